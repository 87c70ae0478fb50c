package dev.cm4j.cli;

import picocli.CommandLine;
import picocli.CommandLine.Command;

/** The {@code cm4j} command line: consistency models on the JVM. */
@Command(name = "cm4j", mixinStandardHelpOptions = true, version = "cm4j 0.1.0-SNAPSHOT",
        description = "Consistency models in pure Java: EDM teachers, consistency distillation and training.",
        subcommands = {DemoCommand.class, CommandLine.HelpCommand.class})
public final class Cm4j implements Runnable {
    @CommandLine.Spec
    private CommandLine.Model.CommandSpec spec;

    public static void main(String[] args) {
        // plots are rendered off-screen
        System.setProperty("java.awt.headless", "true");
        System.exit(commandLine().execute(args));
    }

    /** The command line with its error handling: a bad setting prints its message (not a stack trace), exit code 1. */
    static CommandLine commandLine() {
        CommandLine cl = new CommandLine(new Cm4j());
        cl.setExecutionExceptionHandler((ex, cmd, parsed) -> {
            if (!(ex instanceof IllegalArgumentException || ex instanceof IllegalStateException)) {
                throw ex;
            }
            cmd.getErr().println(cmd.getColorScheme().errorText("cm4j " + cmd.getCommandName() + ": " + ex.getMessage()));
            return 1;
        });
        return cl;
    }

    @Override
    public void run() {
        spec.commandLine().usage(System.out);
    }
}
