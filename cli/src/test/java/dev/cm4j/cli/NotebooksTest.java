package dev.cm4j.cli;

import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.cm4j.consistency.data.FashionMnist;
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
import org.junit.jupiter.api.Test;
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
        check(file, run(file), expected, picture);
    }

    /** 05 samples the committed Fashion-MNIST teacher of runs/ and scores it against the test set. */
    @Test
    void fashionMnistNotebookSamplesTheCommittedTeacherAndScoresIt() throws Exception {
        assumeFashionMnist();
        String text = run("05-fashion-mnist.jsh", "-Dcm4j.notebook.root=" + notebooks().getParent());
        check("05-fashion-mnist.jsh", text, "role teacher, consistency model: false;c_noise here is ADM;"
                + "5 NFE each;training images (the floor);teacher, 5 NFE;uniform noise;not Inception FID",
                "05-teacher.png");
    }

    /** 05 names the missing checkpoint instead of failing somewhere inside. */
    @Test
    void fashionMnistNotebookNamesAMissingCheckpoint() {
        Path missing = out.resolve("no-teacher.safetensors");
        AssertionError e = assertThrows(AssertionError.class,
                () -> run("05-fashion-mnist.jsh", "-Dcm4j.notebook.teacher=" + missing));
        assertTrue(e.getMessage().contains("no teacher checkpoint at " + missing), e.getMessage());
    }

    /**
     * 06 on analytic data and, where Fashion-MNIST is installed, on its test images with a consistency model of two
     * --smoke steps of {@code cm4j train-ict} (its edits mean nothing; the notebook's path through the facade runs).
     */
    @Test
    void editingNotebookRunsOnAnalyticDataAndWithAModel() throws Exception {
        String file = "06-zero-shot-editing.jsh";
        String expected = "max |f(x, eps) - x| =;an unconditional one-step sample;16 steps (NFE);"
                + "an exact sample of the hole given the rest;super-resolution x2;super-resolution x4;"
                + "colorization Q;luminance kept to";
        if (!Files.isDirectory(FashionMnist.DEFAULT_DIR)) {
            check(file, run(file), expected + ";no model given", "06-inpainting-analytic.png");
            return;
        }
        Path dir = out.resolve("ict");
        CliRun ict = CliRun.run("train-ict", "--smoke", "--steps", "2", "--sample-every", "0", "-o", dir.toString());
        assertTrue(ict.code() == 0, "train-ict --smoke failed: " + ict.err());
        String text = run(file, "-Dcm4j.notebook.model=" + dir.resolve("ict.safetensors"));
        check(file, text, expected + ";editing Fashion-MNIST test images with;inpainting, 2-step at grid indices "
                + "[0, 20, 39] of 40: known part off by 0.0e+00;superresolution, 2-step", "06-inpainting-analytic.png");
        check(file, text, "denoising at sigma 0.3: RMSE to the original;interpolation between the noises",
                "06-fashion-interpolation.png");
        for (String png : new String[] {"06-fashion-inpainting.png", "06-fashion-strokes.png",
                "06-fashion-superres4.png", "06-fashion-superres7.png", "06-fashion-denoise.png"}) {
            assertTrue(Files.size(out.resolve(png)) > 1000, file + " wrote no picture " + png);
        }
    }

    private static void assumeFashionMnist() {
        assumeTrue(Files.isDirectory(FashionMnist.DEFAULT_DIR), "Fashion-MNIST is not installed at "
                + FashionMnist.DEFAULT_DIR + " (" + FashionMnist.APT_COMMAND + ")");
    }

    /** The lines a notebook must have printed and the picture it must have written. */
    private void check(String file, String text, String expected, String picture) throws Exception {
        for (String line : expected.split(";")) {
            assertTrue(text.contains(line.strip()), file + " did not print \"" + line.strip() + "\":\n" + text);
        }
        Path png = out.resolve(picture);
        assertTrue(Files.isRegularFile(png) && Files.size(png) > 1000, file + " wrote no picture " + png);
    }

    /** Runs a notebook in its short setting with these extra system properties of the remote VM; what it printed. */
    private String run(String file, String... properties) throws Exception {
        Path notebook = notebooks().resolve(file);
        String source = Files.readString(notebook);
        ByteArrayOutputStream printed = new ByteArrayOutputStream();
        PrintStream ps = new PrintStream(printed, true, StandardCharsets.UTF_8);
        List<String> options = new ArrayList<>(List.of("--add-modules=jdk.incubator.vector",
                "-Dcm4j.notebook.short=true", "-Dcm4j.notebook.out=" + out));
        options.addAll(List.of(properties));
        try (JShell shell = JShell.builder().out(ps).err(ps).remoteVMOptions(options.toArray(new String[0])).build()) {
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
                        fail(file + ": snippet rejected " + diags + ":\n" + snippet + "\nprinted so far:\n"
                                + text(printed));
                    }
                    if (e.exception() != null) {
                        fail(file + ": snippet threw " + e.exception() + " " + e.exception().getMessage() + ":\n"
                                + snippet + "\nprinted so far:\n" + text(printed), e.exception());
                    }
                }
                remaining = info.remaining();
            }
        }
        return text(printed);
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
