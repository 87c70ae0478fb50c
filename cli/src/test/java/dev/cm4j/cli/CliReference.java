package dev.cm4j.cli;

import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import picocli.CommandLine;

/**
 * docs/CLI.md, the command-line reference, rendered from the commands' own help: the usage text of {@code cm4j} and
 * of every subcommand, depth first in the order {@code cm4j --help} lists them, without ANSI colours and at a fixed
 * width so that the text does not depend on the terminal. {@link CliReferenceTest} fails when the committed file
 * differs, and rewrites it when run with {@code -Dcm4j.cli.reference.write=true} ({@link #REGENERATE}).
 */
final class CliReference {
    /** The file, relative to the repository root. */
    static final String FILE = "docs/CLI.md";
    /** The system property that makes {@link CliReferenceTest} rewrite the file instead of comparing it. */
    static final String WRITE_PROPERTY = "cm4j.cli.reference.write";
    /** The command that rewrites it, from the repository root, as the test's failure message gives it. */
    static final String REGENERATE = "./mvnw -B -q -pl cli -am verify -Dtest=CliReferenceTest "
            + "-Dsurefire.failIfNoSpecifiedTests=false -D" + WRITE_PROPERTY + "=true";
    /** Columns of the usage text: the doc lines stay within 120 with room to spare. */
    static final int WIDTH = 100;

    private CliReference() {
    }

    /** The whole reference. */
    static String markdown() {
        List<CommandLine> commands = new ArrayList<>();
        collect(Cm4j.commandLine(), commands);
        StringBuilder md = new StringBuilder();
        md.append("# Command-line reference\n\n");
        md.append("The usage text of every `cm4j` command, as `cm4j <command> --help` prints it. This file is\n");
        md.append("generated from the commands' own help by `CliReference` (cli test sources); `CliReferenceTest`\n");
        md.append("fails when it is out of date. Regenerate it from the repository root with\n\n");
        // the command on two lines, so that the file keeps within 120 columns
        md.append("```bash\n").append(REGENERATE.replace(" -Dsurefire", " \\\n    -Dsurefire")).append("\n```\n\n");
        md.append("The guides are [README.md](../README.md) (training and sampling on images),\n");
        md.append("[EDITING.md](EDITING.md) (`cm4j edit`) and [RESULTS.md](RESULTS.md) (`cm4j eval`, `cm4j demo`).")
                .append("\n\n");
        for (CommandLine c : commands) {
            String name = c.getCommandSpec().qualifiedName(" ");
            md.append("- [").append(name).append("](#").append(name.replace(' ', '-')).append(")\n");
        }
        for (CommandLine c : commands) {
            md.append("\n## ").append(c.getCommandSpec().qualifiedName(" ")).append("\n\n```\n");
            md.append(usage(c).stripTrailing()).append("\n```\n");
        }
        return md.toString();
    }

    /** One command's usage text, plain and at {@link #WIDTH} columns, each line without trailing blanks. */
    static String usage(CommandLine c) {
        c.setUsageHelpWidth(WIDTH);
        c.setUsageHelpAutoWidth(false);
        String text = c.getUsageMessage(CommandLine.Help.Ansi.OFF);
        StringBuilder out = new StringBuilder();
        for (String line : text.split("\n", -1)) {
            out.append(line.stripTrailing()).append('\n');
        }
        return out.toString();
    }

    /** c and its subcommands, depth first; an alias names the same command once. */
    private static void collect(CommandLine c, List<CommandLine> into) {
        into.add(c);
        Set<CommandLine> seen = new LinkedHashSet<>(c.getSubcommands().values());
        for (CommandLine sub : seen) {
            collect(sub, into);
        }
    }
}
