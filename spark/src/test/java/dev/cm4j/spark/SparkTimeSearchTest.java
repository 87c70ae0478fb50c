package dev.cm4j.spark;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.cm4j.consistency.api.ConsistencyModel;
import dev.cm4j.consistency.api.Sampling;
import dev.cm4j.consistency.data.FashionMnist;
import dev.cm4j.consistency.metrics.FashionMnistEvaluator;
import dev.cm4j.consistency.metrics.FrechetDistance;
import dev.cm4j.consistency.model.ImageCheckpoint;
import dev.cm4j.models.unet.UNet;
import dev.cm4j.tensor.Rng;
import dev.cm4j.tensor.Tensor;
import java.io.IOException;
import java.nio.file.Path;
import java.util.List;
import org.apache.spark.api.java.JavaSparkContext;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The two-step time search with one Spark task per middle index, against the one-machine score of each index (the
 * facade's samples, the evaluator's features, the Frechet distance of their fit) on a tiny random 28 x 28 model.
 */
class SparkTimeSearchTest {
    static JavaSparkContext sc;

    @BeforeAll
    static void start() {
        sc = LocalSpark.start("SparkTimeSearchTest");
    }

    @AfterAll
    static void stop() {
        sc.stop();
    }

    @Test
    void everyIndexScoresAsOnOneMachine(@TempDir Path dir) throws IOException {
        Path ckpt = dir.resolve("cd.safetensors");
        ImageCheckpoint.write(ckpt, "cd", new UNet(SparkSamplerTest.TINY.withImageSize(28), new Rng(7)), 3);
        Tensor reference = FashionMnist.load(FashionMnist.Split.TEST).images().slice(0, 0, 300);
        int[] indices = {5, 20, 30};
        List<SparkTimeSearch.Row> rows = new SparkTimeSearch(sc).exhaustive(ckpt, 40, indices, 40, 1, reference, 2);
        System.out.print(SparkTimeSearch.table(rows));
        ConsistencyModel model = ConsistencyModel.load(ckpt);
        FashionMnistEvaluator one = FashionMnistEvaluator.committed();
        FrechetDistance.Gaussian ref = FrechetDistance.fit(one.features("reference", reference));
        assertEquals(indices.length, rows.size());
        for (int i = 0; i < indices.length; i++) {
            SparkTimeSearch.Row r = rows.get(i);
            assertEquals(indices[i], r.index());
            Tensor samples = model.sample(40, Sampling.gridIndices(40, 0, indices[i], 39), 1);
            double want = FrechetDistance.distance(FrechetDistance.fit(one.features("s", samples)), ref);
            assertTrue(Math.abs(r.fd() - want) <= 1e-9 * Math.abs(want), "index " + r.index() + ": " + r.fd()
                    + " vs one machine " + want);
        }
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> new SparkTimeSearch(sc).exhaustive(ckpt, 40, new int[] {39}, 40, 1, reference, 2));
        assertTrue(e.getMessage().contains("index 39"), e.getMessage());
    }
}
