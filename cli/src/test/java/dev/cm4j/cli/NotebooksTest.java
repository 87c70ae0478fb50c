package dev.cm4j.cli;

import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import java.io.ByteArrayOutputStream;
import java.io.File;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import jdk.jshell.JShell;
import jdk.jshell.Snippet;
import jdk.jshell.SnippetEvent;
import jdk.jshell.SourceCodeAnalysis;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * Runs every notebook of notebooks/ through the JShell API in its short setting, so none rots: each file is split
 * into snippets as JShell itself would ({@link SourceCodeAnalysis#analyzeCompletion}), evaluated in a remote VM with
 * the test's class path and the Vector API module, and fails on a rejected snippet or an exception. It then checks
 * the lines the notebook teaches and the picture it wrote.
 */
class NotebooksTest {
    @TempDir
    Path out;

    @ParameterizedTest
    @CsvSource(delimiter = '|', value = {
        "01-tensors-and-autodiff.jsh   | 01-fit.png       | hand and tape gradients agree: true;finite differences agree with the tape: true",
        "02-edm-teacher.jsh            | 02-teacher.png   | teacher score: SW1;c_noise",
        "03-consistency-distillation.jsh | 03-cd.png      | CD one-step score:;CD two-step score:;grid indices ts = {0, 9, 17}",
        "04-consistency-training.jsh   | 04-ct-vs-ict.png | CT one-step score:;iCT one-step score:"})
    void notebookRuns(String file, String picture, String expected) throws Exception {
        Path notebook = notebooks().resolve(file);
        String source = Files.readString(notebook);
        ByteArrayOutputStream printed = new ByteArrayOutputStream();
        PrintStream ps = new PrintStream(printed, true, StandardCharsets.UTF_8);
        try (JShell shell = JShell.builder().out(ps).err(ps)
                .remoteVMOptions("--add-modules=jdk.incubator.vector", "-Dcm4j.notebook.short=true",
                        "-Dcm4j.notebook.out=" + out)
                .build()) {
            for (String entry : classPath()) {
                shell.addToClasspath(entry);
            }
            SourceCodeAnalysis analysis = shell.sourceCodeAnalysis();
            String remaining = source;
            while (!remaining.isBlank()) {
                SourceCodeAnalysis.CompletionInfo info = analysis.analyzeCompletion(remaining);
                if (!info.completeness().isComplete()) {
                    fail(file + ": incomplete snippet at the end of the file: " + remaining.strip());
                }
                String snippet = info.source();
                for (SnippetEvent e : shell.eval(snippet)) {
                    if (e.status() == Snippet.Status.REJECTED) {
                        List<String> diags = new ArrayList<>();
                        shell.diagnostics(e.snippet()).forEach(d -> diags.add(d.getMessage(null)));
                        fail(file + ": snippet rejected " + diags + ":\n" + snippet + "\nprinted so far:\n" + text(printed));
                    }
                    if (e.exception() != null) {
                        fail(file + ": snippet threw " + e.exception() + ":\n" + snippet + "\nprinted so far:\n"
                                + text(printed), e.exception());
                    }
                }
                remaining = info.remaining();
            }
        }
        String text = text(printed);
        for (String line : expected.split(";")) {
            assertTrue(text.contains(line.strip()), file + " did not print \"" + line.strip() + "\":\n" + text);
        }
        Path png = out.resolve(picture);
        assertTrue(Files.size(png) > 1000, file + " wrote no picture " + png);
    }

    private static String text(ByteArrayOutputStream b) {
        return b.toString(StandardCharsets.UTF_8);
    }

    /** notebooks/ at the repository root; tests run in the cli module's directory. */
    private static Path notebooks() {
        for (Path p = Path.of("").toAbsolutePath(); p != null; p = p.getParent()) {
            if (Files.isDirectory(p.resolve("notebooks"))) {
                return p.resolve("notebooks");
            }
        }
        throw new IllegalStateException("NotebooksTest: no notebooks/ above " + Path.of("").toAbsolutePath());
    }

    /** The test's class path; surefire may hide it behind a manifest-only jar and name it in a property. */
    private static List<String> classPath() {
        String cp = System.getProperty("surefire.test.class.path", System.getProperty("java.class.path"));
        List<String> entries = new ArrayList<>();
        for (String e : cp.split(File.pathSeparator)) {
            if (!e.isBlank()) {
                entries.add(e);
            }
        }
        return entries;
    }
}
