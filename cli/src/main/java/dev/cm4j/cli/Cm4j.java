package dev.cm4j.cli;

import picocli.CommandLine;
import picocli.CommandLine.Command;

/** The {@code cm4j} command line: consistency models on the JVM. */
@Command(name = "cm4j", mixinStandardHelpOptions = true, version = "cm4j 0.1.0-SNAPSHOT",
        description = "Consistency models in pure Java: EDM teachers, consistency distillation and training.",
        subcommands = {DemoCommand.class,
                TrainTeacherCommand.class, DistillCommand.class, TrainIctCommand.class, TrainCtCommand.class,
                TrainEctCommand.class,
                SampleCommand.class, SearchTimesCommand.class, EditCommand.class, SearchEditTimesCommand.class,
                EvalCommand.class, ConvertCommand.class,
                CommandLine.HelpCommand.class})
public final class Cm4j implements Runnable {
    @CommandLine.Spec
    private CommandLine.Model.CommandSpec spec;

    @CommandLine.Option(names = "--verbose", scope = CommandLine.ScopeType.INHERIT,
            description = "Print the stack trace of an error.")
    boolean verbose;

    public static void main(String[] args) {
        // plots are rendered off-screen
        System.setProperty("java.awt.headless", "true");
        System.exit(commandLine().execute(args));
    }

    /**
     * The command line with its error handling: an error prints one or two lines that say what is wrong and what to do
     * (not a stack trace, unless {@code --verbose}), exit code 1 ({@link ErrorReport}).
     */
    static CommandLine commandLine() {
        CommandLine cl = new CommandLine(new Cm4j());
        cl.setExecutionExceptionHandler((ex, cmd, parsed) ->
                ErrorReport.print(cmd.getErr(), cmd.getCommandName(), ex, verbose(parsed)));
        cl.setExecutionStrategy(parsed -> withConfig(cl, parsed));
        return cl;
    }

    /**
     * Runs the parsed command; a subcommand given {@code --config FILE} runs again with the file's options in front of
     * its own arguments ({@link ConfigFile}), so that the flags on the command line override the file.
     */
    private static int withConfig(CommandLine cl, CommandLine.ParseResult parsed) {
        CommandLine.ParseResult sub = parsed.subcommand();
        if (sub == null || !sub.hasMatchedOption(ConfigFile.OPTION)) {
            return new CommandLine.RunLast().execute(parsed);
        }
        CommandLine subCl = sub.commandSpec().commandLine();
        try {
            String[] args = parsed.originalArgs().toArray(new String[0]);
            int at = java.util.Arrays.asList(args).indexOf(sub.commandSpec().name());
            java.nio.file.Path file = sub.matchedOptionValue(ConfigFile.OPTION, null);
            String[] expanded = ConfigFile.expand(args, at, file, sub.commandSpec());
            CommandLine again = commandLine();
            // the file's value of an option comes first, the command line's after it wins
            again.setOverwrittenOptionsAllowed(true);
            again.setOut(cl.getOut());
            again.setErr(cl.getErr());
            return again.execute(expanded);
        } catch (Exception e) {
            return ErrorReport.print(subCl.getErr(), subCl.getCommandName(), e, verbose(parsed));
        }
    }

    /** Whether --verbose was given to the top command or a subcommand. */
    private static boolean verbose(CommandLine.ParseResult parsed) {
        for (CommandLine.ParseResult p = parsed; p != null; p = p.subcommand()) {
            if (p.hasMatchedOption("--verbose")) {
                return true;
            }
        }
        return false;
    }

    /**
     * Checks the system properties of the library ({@code cm4j.threads}, {@code cm4j.simd}, {@code cm4j.backend})
     * before a command starts work, so that a bad value is reported in one line.
     *
     * @throws IllegalArgumentException naming the property and the value
     */
    static void checkSystemProperties() {
        dev.cm4j.tensor.Parallel.checkProperties();
        dev.cm4j.tensor.backend.Backends.checkProperty();
    }

    @Override
    public void run() {
        spec.commandLine().usage(System.out);
    }
}
