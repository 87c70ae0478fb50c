package dev.cm4j.cli;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.cm4j.consistency.data.EmojiOne;
import dev.cm4j.consistency.data.FashionMnist;
import dev.cm4j.consistency.metrics.FashionMnistEvaluator;
import dev.cm4j.tensor.Tensor;
import java.nio.file.Path;
import java.util.Arrays;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code cm4j search-edit-times} on a consistency model of the --smoke setting: the candidates' step times, the
 * context rows' scores (the originals: the evaluator's FD and no error), the choice, and the options checked before
 * any work.
 */
class SearchEditTimesCommandTest {
    @TempDir
    static Path dir;

    private static Path ict;

    @BeforeAll
    static void train() {
        ict = CliRun.smokeIct(dir);
    }

    @Test
    void evenlySpacedIndicesRunFromTheFirstToTheLastPoint() {
        assertArrayEquals(new int[] {0, 39}, SearchEditTimesCommand.evenlySpaced(1, 40));
        assertArrayEquals(new int[] {0, 10, 20, 29, 39}, SearchEditTimesCommand.evenlySpaced(4, 40));
        assertArrayEquals(new int[] {0, 1, 2, 3, 4, 5}, SearchEditTimesCommand.evenlySpaced(5, 6));
    }

    @Test
    void candidatesAreScoredAndTheBestIsTheirMinimum() throws Exception {
        JsonNode m = json("--points", "7", "--evaluations", "1,3", "-n", "20", "--offset", "100");
        JsonNode c = m.path("candidates");
        assertEquals(2, c.size());
        assertEquals("[0,6]", c.get(0).path("ts").toString());
        assertEquals("[0,2,4,6]", c.get(1).path("ts").toString());
        assertEquals(14 * 14, m.path("generated_components").asInt(), "the default hole is the centre quarter");
        assertBest(m, "fd");

        // the originals: the evaluator's FD of training images 100..119 against the test set, and no error
        JsonNode originals = m.path("context").get(0);
        assertEquals(0.0, originals.path("rmse").asDouble());
        Tensor images = FashionMnist.load(FashionMnist.Split.TRAIN).images().slice(0, 100, 120);
        Tensor test = FashionMnist.load(FashionMnist.Split.TEST).images();
        double fd = FashionMnistEvaluator.committed().evaluate("x", images, "test", test).fd();
        assertEquals(fd, originals.path("fd").asDouble(), 1e-9 * fd);
        // the input with its hole at -1 is far from the originals on the hole
        assertTrue(m.path("context").get(1).path("rmse").asDouble() > 0.5, m.path("context").toString());
    }

    @Test
    void superResolutionGeneratesAllButOneComponentPerPatchAndRmseCanChoose() throws Exception {
        JsonNode m = json("--edit", "superres", "--patch", "7", "--points", "5", "--evaluations", "1,2", "-n", "16",
                "--by", "rmse");
        assertEquals(28 * 28 - 16, m.path("generated_components").asInt(), "16 patches of 7 x 7, one mean each");
        assertBest(m, "rmse");
    }

    @Test
    void colorizationOfEmojiIsScoredByRmseAndColourfulness() throws Exception {
        Path rgb = dir.resolve("rgb");
        CliRun t = CliRun.run("train-ict", "--smoke", "--steps", "2", "--sample-every", "0", "--data", "emoji",
                "--model", "small32rgb", "-o", rgb.toString());
        assertEquals(0, t.code(), t.err());
        Path model = rgb.resolve("ict.safetensors");
        JsonNode m = json(model, "--data", "emoji", "--edit", "colorize", "--points", "5", "--evaluations", "1,2",
                "-n", "16", "--offset", "1700");
        assertEquals(2 * 32 * 32, m.path("generated_components").asInt(), "two chroma coefficients per pixel");
        assertTrue(m.path("metric").isMissingNode(), "no FD for RGB images: " + m);
        assertEquals("rmse", m.path("by").asText());
        assertBest(m, "rmse");
        JsonNode originals = m.path("context").get(0);
        assertTrue(originals.path("fd").isMissingNode(), originals.toString());
        assertEquals(0.0, originals.path("rmse").asDouble());
        Tensor emoji = EmojiOne.load(EmojiOne.DEFAULT_DIR, 32, EmojiOne.WHITE).images().slice(0, 1700, 1716);
        assertEquals(SearchEditTimesCommand.colourfulness(emoji), originals.path("colourfulness").asDouble(), 1e-12);
        assertTrue(originals.path("colourfulness").asDouble() > 0.1, "emoji are colourful: " + originals);
        JsonNode gray = m.path("context").get(2);
        assertEquals("the gray image (Y in every channel)", gray.path("what").asText());
        assertEquals(0.0, gray.path("colourfulness").asDouble(), 1e-6, "gray has no colour");
        for (JsonNode row : m.path("candidates")) {
            assertTrue(row.path("colourfulness").asDouble() >= 0, row.toString());
        }

        refusedFor(model, "--by fd: the feature distance exists only for Fashion-MNIST", "--data", "emoji", "--by",
                "fd");
        refusedFor(model, "--patch 7: must divide the image size 32 and be at least 2 (2, 4, 8 or 16)", "--data",
                "emoji", "--edit", "superres", "--patch", "7");
        refusedFor(model, "--data fashion-mnist holds Fashion-MNIST (1 x 28 x 28)", "--edit", "colorize");
        refusedFor(model, "--count 2000: must be between 16 and 1794", "--data", "emoji", "--edit", "colorize", "-n",
                "2000");
    }

    @Test
    void colourfulnessIsZeroForGrayAndOneForPrimaries() {
        Tensor gray = Tensor.wrap(new float[] {0.3f, -0.5f, 0.3f, -0.5f, 0.3f, -0.5f}, new int[] {1, 3, 1, 2});
        assertEquals(0.0, SearchEditTimesCommand.colourfulness(gray), 0.0);
        // red (1, -1, -1) and yellow (1, 1, -1): range 2 in [-1, 1] units = 1 in [0, 1] units
        Tensor primaries = Tensor.wrap(new float[] {1, 1, -1, 1, -1, -1}, new int[] {1, 3, 1, 2});
        assertEquals(1.0, SearchEditTimesCommand.colourfulness(primaries), 0.0);
        // a half-saturated pixel beside a gray one: mean 0.25
        Tensor half = Tensor.wrap(new float[] {0.5f, 0, -0.5f, 0, 0, 0}, new int[] {1, 3, 1, 2});
        assertEquals(0.25, SearchEditTimesCommand.colourfulness(half), 1e-12);
        // gray of red (1, -1, -1) and yellow (1, 1, -1): Y = 0.2989 R + 0.5870 G + 0.1140 B in every channel
        float red = (float) (0.2989 - 0.5870 - 0.1140);
        float yellow = (float) (0.2989 + 0.5870 - 0.1140);
        Tensor g = SearchEditTimesCommand.gray(primaries);
        assertArrayEquals(new float[] {red, yellow, red, yellow, red, yellow},
                Arrays.copyOfRange(g.data(), g.offset(), g.offset() + 6), 1e-6f);
    }

    private static JsonNode json(String... args) throws Exception {
        return json(ict, args);
    }

    private static JsonNode json(Path model, String... args) throws Exception {
        CliRun r = CliRun.run(ImageCommandsTest.cat(new String[] {"search-edit-times", "-c", model.toString(),
            "--json"}, args));
        assertEquals(0, r.code(), r.err() + r.out());
        return new ObjectMapper().readTree(r.out().strip());
    }

    /** The chosen candidate has the lowest score of {@code key}; every candidate has a positive RMSE, and FD if any. */
    private static void assertBest(JsonNode m, String key) {
        JsonNode c = m.path("candidates");
        int best = 0;
        for (int i = 0; i < c.size(); i++) {
            JsonNode row = c.get(i);
            boolean fd = m.has("metric");
            assertTrue(row.path("rmse").asDouble() > 0 && (!fd || row.path("fd").asDouble() > 0), row.toString());
            assertEquals(fd, row.has("fd"), row.toString());
            if (row.path(key).asDouble() < c.get(best).path(key).asDouble()) {
                best = i;
            }
        }
        assertEquals(c.get(best).path("evaluations").asInt(), m.path("best_evaluations").asInt(), key);
    }

    @Test
    void badOptionsAreRefusedInOneLine() {
        refused("--edit colorize: the model takes 1 channel(s); colorization needs an RGB model", "--edit",
                "colorize");
        refused("--edit recolour: must be inpaint, superres or colorize", "--edit", "recolour");
        refused("--data emoji holds RGB images", "--data", "emoji");
        refused("--count 10: must be between 16 and 60000", "-n", "10");
        refused("--patch 5: must divide the image size 28", "--edit", "superres", "--patch", "5");
        refused("--evaluations [0, 2]: 0 is outside 1..39", "--evaluations", "0,2");
        refused("--by fid: must be fd or rmse", "--by", "fid");
        refused("does not lie inside the 28x28 image", "--box", "20,20,10,10");
    }

    private static void refused(String message, String... args) {
        refusedFor(ict, message, args);
    }

    private static void refusedFor(Path model, String message, String... args) {
        CliRun r = CliRun.run(ImageCommandsTest.cat(new String[] {"search-edit-times", "-c", model.toString()}, args));
        assertEquals(1, r.code(), r.out());
        assertTrue(r.err().contains(message), r.err());
        assertFalse(r.hasStackTrace(), r.err());
    }
}
