package dev.cm4j.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.cm4j.consistency.api.ConsistencyModel;
import dev.cm4j.consistency.api.Sampling;
import dev.cm4j.consistency.data.FashionMnist;
import dev.cm4j.consistency.metrics.FashionMnistEvaluator;
import dev.cm4j.tensor.Tensor;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code cm4j search-times} on a consistency model of the --smoke setting (a few steps of iCT on 256 Fashion-MNIST
 * images): its scores are the evaluator's FD of the samples it names, the ternary search returns the best of what it
 * scored, the exhaustive one scores every index, and the options are checked before any work.
 */
class SearchTimesCommandTest {
    @TempDir
    static Path dir;

    private static Path ict;
    private static Path teacher;

    @BeforeAll
    static void train() {
        ict = CliRun.smokeIct(dir);
        Path teacherDir = dir.resolve("teacher");
        CliRun r = CliRun.run("train-teacher", "--smoke", "--steps", "2", "--sample-every", "0", "-o",
                teacherDir.toString());
        assertEquals(0, r.code(), r.err());
        teacher = teacherDir.resolve("teacher.safetensors");
    }

    private static JsonNode json(CliRun r) throws Exception {
        assertEquals(0, r.code(), r.err() + r.out());
        return new ObjectMapper().readTree(r.out().strip());
    }

    @Test
    void theScoresAreTheEvaluatorsFdOfTheSamplesAndTheBestIsTheirMinimum() throws Exception {
        JsonNode m = json(CliRun.run("search-times", "-c", ict.toString(), "--points", "9", "-n", "24", "--seed", "3",
                "--reference", "test", "--reference-count", "300", "--json"));
        assertEquals("ternary", m.path("search").asText());
        List<Integer> indices = new ArrayList<>();
        double min = Double.POSITIVE_INFINITY;
        int argmin = -1;
        for (JsonNode row : m.path("evaluated")) {
            int p = row.path("index").asInt();
            assertTrue(p > 0 && p < 8, "index " + p + " strictly inside the 9-point grid");
            indices.add(p);
            if (row.path("fd").asDouble() < min) {
                min = row.path("fd").asDouble();
                argmin = p;
            }
        }
        assertTrue(indices.size() >= 3 && indices.size() < 7, "the ternary search scores part of the 7 indices: "
                + indices);
        assertEquals(argmin, m.path("best_index").asInt());
        assertEquals(min, m.path("best_fd").asDouble());

        // the score of the best index is the evaluator's FD of the two-step samples of that seed
        ConsistencyModel model = ConsistencyModel.load(ict);
        Tensor x = model.sample(24, Sampling.gridIndices(9, 0, argmin, 8), 3);
        Tensor test = FashionMnist.load(FashionMnist.Split.TEST).images().slice(0, 0, 300);
        assertEquals(300, m.path("reference_count").asInt());
        double fd = FashionMnistEvaluator.committed().evaluate("x", x, "test", test).fd();
        assertEquals(fd, m.path("best_fd").asDouble(), 1e-9 * fd);
        double expectedSigma = dev.cm4j.consistency.sampling.MultistepSampler.images(model.schedule())
                .indicesToSigmas(new int[] {0, argmin, 8}, 9)[1];
        assertEquals(expectedSigma, m.path("best_sigma").asDouble(), 1e-12);
        double oneStep = FashionMnistEvaluator.committed().evaluate("x", model.sample(24, Sampling.oneStep(), 3),
                "test", test).fd();
        assertEquals(oneStep, m.path("one_step_fd").asDouble(), 1e-9 * oneStep);
    }

    @Test
    void theExhaustiveSearchScoresEveryIndexAndAgreesWithTheTernaryOnesScores() throws Exception {
        String[] common = {"search-times", "-c", ict.toString(), "--points", "7", "-n", "16", "--reference",
            "test", "--reference-count", "200", "--json"};
        JsonNode all = json(CliRun.run(ImageCommandsTest.cat(common, "--exhaustive")));
        JsonNode ternary = json(CliRun.run(common));
        assertEquals(5, all.path("evaluated").size(), "indices 1..5 of a 7-point grid");
        assertEquals("train", new SearchTimesCommand().reference, "held out from the test set by default");
        for (JsonNode t : ternary.path("evaluated")) {
            JsonNode same = all.path("evaluated").get(t.path("index").asInt() - 1);
            assertEquals(t.path("index").asInt(), same.path("index").asInt());
            assertEquals(same.path("fd").asDouble(), t.path("fd").asDouble(), 0.0, "the same noise for every index");
        }
        double min = Double.POSITIVE_INFINITY;
        for (JsonNode row : all.path("evaluated")) {
            min = Math.min(min, row.path("fd").asDouble());
        }
        assertEquals(min, all.path("best_fd").asDouble());
    }

    @Test
    void aTeacherAWrongReferenceOrTooFewPointsAreRefusedInOneLine() {
        refused(teacher.toString() + ": an EDM teacher", "-c", teacher.toString());
        refused("--reference validation: must be test or train", "-c", ict.toString(), "--reference", "validation");
        refused("--points", "-c", ict.toString(), "--points", "2");
        refused("--reference-count 10001: Fashion-MNIST test", "-c", ict.toString(), "--reference", "test",
                "--reference-count", "10001");
        refused("missing.safetensors", "-c", dir.resolve("missing.safetensors").toString());
    }

    private static void refused(String message, String... args) {
        CliRun r = CliRun.run(ImageCommandsTest.cat(new String[] {"search-times"}, args));
        assertEquals(1, r.code(), r.out());
        assertTrue(r.err().contains(message), r.err());
        assertFalse(r.hasStackTrace(), r.err());
    }
}
