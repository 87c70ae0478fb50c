package dev.cm4j.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import picocli.CommandLine;

/**
 * docs/CLI.md must be what {@link CliReference} renders from the commands' help now: a changed option or description
 * without a regenerated reference fails here, naming the first line that differs and the command that rewrites it
 * (this test with {@code -Dcm4j.cli.reference.write=true}, which writes the file before comparing).
 */
class CliReferenceTest {
    @Test
    void committedReferenceMatchesTheCommandsHelp() throws IOException {
        Path file = root().resolve(CliReference.FILE);
        String now = CliReference.markdown();
        if (Boolean.getBoolean(CliReference.WRITE_PROPERTY)) {
            Files.writeString(file, now, StandardCharsets.UTF_8);
            System.out.println("CliReferenceTest: wrote " + file);
        }
        if (!Files.isRegularFile(file)) {
            fail(CliReference.FILE + " is missing; generate it from the repository root with: "
                    + CliReference.REGENERATE);
        }
        String committed = Files.readString(file, StandardCharsets.UTF_8);
        if (!committed.equals(now)) {
            List<String> a = committed.lines().toList();
            List<String> b = now.lines().toList();
            int i = 0;
            while (i < a.size() && i < b.size() && a.get(i).equals(b.get(i))) {
                i++;
            }
            fail(CliReference.FILE + " is out of date with the commands' help; first difference at line " + (i + 1)
                    + ":\n  committed: " + (i < a.size() ? a.get(i) : "(end of file)")
                    + "\n  now:       " + (i < b.size() ? b.get(i) : "(end of file)")
                    + "\nregenerate it from the repository root with: " + CliReference.REGENERATE);
        }
    }

    @Test
    void referenceHasEveryCommandsUsageWithinTheDocWidth() {
        String md = CliReference.markdown();
        CommandLine cl = Cm4j.commandLine();
        for (String name : cl.getSubcommands().keySet()) {
            assertTrue(md.contains("\n## cm4j " + name + "\n"), "no section for cm4j " + name);
            assertTrue(md.contains("Usage: cm4j " + name), "no usage text of cm4j " + name);
        }
        assertTrue(md.contains("## cm4j eval train-classifier"), "nested subcommands are rendered too");
        assertTrue(md.contains("--heun-steps"), "options of cm4j sample are listed");
        assertEquals(-1, md.indexOf('\u001b'), "no ANSI escape codes");
        md.lines().forEach(line -> assertTrue(line.length() <= 120, "line over 120 columns: " + line));
    }

    /** The repository root: the folder above the working directory (cli/) that holds docs/. */
    private static Path root() {
        for (Path p = Path.of("").toAbsolutePath(); p != null; p = p.getParent()) {
            if (Files.isDirectory(p.resolve("docs")) && Files.isDirectory(p.resolve("cli"))) {
                return p;
            }
        }
        throw new IllegalStateException("CliReferenceTest: no repository root above " + Path.of("").toAbsolutePath());
    }
}
