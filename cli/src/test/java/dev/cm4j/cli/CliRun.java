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

    /**
     * Trains a consistency model of the --smoke setting (4 steps of iCT on 256 Fashion-MNIST images) into
     * {@code dir/ict} and returns its checkpoint: a real checkpoint for tests of the commands that read one.
     */
    static java.nio.file.Path smokeIct(java.nio.file.Path dir) {
        java.nio.file.Path out = dir.resolve("ict");
        CliRun r = run("train-ict", "--smoke", "--steps", "4", "--sample-every", "0", "-o", out.toString());
        if (r.code() != 0) {
            throw new AssertionError("train-ict --smoke failed: " + r.err());
        }
        return out.resolve("ict.safetensors");
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
