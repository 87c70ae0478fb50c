package dev.cm4j.cli;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.cm4j.consistency.data.FashionMnist;
import dev.cm4j.consistency.metrics.FashionMnistEvaluator;
import dev.cm4j.tensor.Tensor;
import java.nio.file.Path;
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

    private static JsonNode json(String... args) throws Exception {
        CliRun r = CliRun.run(ImageCommandsTest.cat(new String[] {"search-edit-times", "-c", ict.toString(),
            "--json"}, args));
        assertEquals(0, r.code(), r.err() + r.out());
        return new ObjectMapper().readTree(r.out().strip());
    }

    /** The chosen candidate has the lowest score of {@code key}; every candidate has a positive FD and RMSE. */
    private static void assertBest(JsonNode m, String key) {
        JsonNode c = m.path("candidates");
        int best = 0;
        for (int i = 0; i < c.size(); i++) {
            JsonNode row = c.get(i);
            assertTrue(row.path("rmse").asDouble() > 0 && row.path("fd").asDouble() > 0, row.toString());
            if (row.path(key).asDouble() < c.get(best).path(key).asDouble()) {
                best = i;
            }
        }
        assertEquals(c.get(best).path("evaluations").asInt(), m.path("best_evaluations").asInt(), key);
    }

    @Test
    void badOptionsAreRefusedInOneLine() {
        refused("--edit colorize: must be inpaint or superres", "--edit", "colorize");
        refused("--patch 5: must divide the image size 28", "--edit", "superres", "--patch", "5");
        refused("--evaluations [0, 2]: 0 is outside 1..39", "--evaluations", "0,2");
        refused("--by fid: must be fd or rmse", "--by", "fid");
        refused("does not lie inside the 28x28 image", "--box", "20,20,10,10");
    }

    private static void refused(String message, String... args) {
        CliRun r = CliRun.run(ImageCommandsTest.cat(new String[] {"search-edit-times", "-c", ict.toString()}, args));
        assertEquals(1, r.code(), r.out());
        assertTrue(r.err().contains(message), r.err());
        assertFalse(r.hasStackTrace(), r.err());
    }
}
