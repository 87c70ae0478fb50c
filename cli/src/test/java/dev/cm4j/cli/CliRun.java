package dev.cm4j.cli;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.io.PrintWriter;
import java.io.StringWriter;
import picocli.CommandLine;

/** One command line run in this JVM, as {@code Cm4j.main} runs it: its exit code, standard error and output. */
record CliRun(int code, String err, String out) {
    boolean hasStackTrace() {
        return err.contains("\tat ");
    }

    static CliRun run(String... args) {
        PrintStream saved = System.out;
        ByteArrayOutputStream captured = new ByteArrayOutputStream();
        StringWriter err = new StringWriter();
        int code;
        try {
            System.setOut(new PrintStream(captured, true));
            CommandLine cl = Cm4j.commandLine();
            cl.setErr(new PrintWriter(err, true));
            code = cl.execute(args);
        } finally {
            System.setOut(saved);
        }
        return new CliRun(code, err.toString(), captured.toString());
    }
}
