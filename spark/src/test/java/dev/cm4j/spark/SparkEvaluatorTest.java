package dev.cm4j.spark;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.cm4j.consistency.data.FashionMnist;
import dev.cm4j.consistency.metrics.FashionMnistEvaluator;
import dev.cm4j.consistency.metrics.FrechetDistance;
import dev.cm4j.tensor.Rng;
import dev.cm4j.tensor.Tensor;
import java.io.IOException;
import org.apache.spark.SparkException;
import org.apache.spark.api.java.JavaSparkContext;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The distributed Fashion-MNIST evaluation against {@link FashionMnistEvaluator} on one machine, on 600 + 500 test
 * images: the Frechet distance to 1e-9 relative, precision and recall exactly, whatever the partitioning.
 */
class SparkEvaluatorTest {
    static JavaSparkContext sc;
    static Tensor test;

    @BeforeAll
    static void start() throws IOException {
        sc = LocalSpark.start("SparkEvaluatorTest");
        test = FashionMnist.load(FashionMnist.Split.TEST).images();
    }

    @AfterAll
    static void stop() {
        sc.stop();
    }

    @Test
    void momentsGiveTheTwoPassMeanAndCovariance() {
        Tensor x = new Rng(3).normal(500, 16).mul(2f).add(1.5f);
        FrechetDistance.Gaussian want = FrechetDistance.fit(x);
        FeatureMoments a = new FeatureMoments(16).add(x.data(), x.offset(), 200);
        FeatureMoments b = new FeatureMoments(16).add(x.data(), x.offset() + 200 * 16, 300);
        FrechetDistance.Gaussian got = a.merge(b).gaussian();
        assertEquals(500, got.n());
        double worst = 0;
        for (int i = 0; i < 16 * 16; i++) {
            worst = Math.max(worst, Math.abs(got.cov().data[i] - want.cov().data[i]));
        }
        for (int j = 0; j < 16; j++) {
            worst = Math.max(worst, Math.abs(got.mean()[j] - want.mean()[j]));
        }
        assertTrue(worst < 1e-12, "max difference of mean and covariance " + worst);
        assertThrows(IllegalStateException.class, () -> new FeatureMoments(4).add(new float[4], 0, 1).gaussian());
    }

    @Test
    void distributedScoresEqualOneMachineScores() throws IOException {
        FashionMnistEvaluator one = FashionMnistEvaluator.committed();
        Tensor reference = test.slice(0, 600, 1100);
        Tensor real = test.slice(0, 0, 600);
        // the same images washed out: a clearly larger distance
        Tensor faded = real.mul(0.5f).add(-0.3f);
        SparkEvaluator spark = new SparkEvaluator(sc);
        for (Tensor samples : new Tensor[] {real, faded}) {
            FashionMnistEvaluator.Report want = one.evaluate("samples", samples, "reference", reference);
            for (int parts : new int[] {1, 3}) {
                long t0 = System.nanoTime();
                FashionMnistEvaluator.Report got = spark.evaluate("samples", spark.parallelize(samples, parts),
                        "reference", reference, parts);
                double rel = Math.abs(got.fd() - want.fd()) / Math.abs(want.fd());
                System.out.printf("%d partitions: FD %.9f (one machine %.9f, relative difference %.2e), "
                                + "precision %.4f, recall %.4f, %.2f s%n", parts, got.fd(), want.fd(), rel,
                        got.precision(), got.recall(), (System.nanoTime() - t0) / 1e9);
                assertTrue(rel <= 1e-9, "FD " + got.fd() + " vs " + want.fd() + ": relative " + rel);
                assertEquals(want.precision(), got.precision(), "precision, " + parts + " partitions");
                assertEquals(want.recall(), got.recall(), "recall, " + parts + " partitions");
                assertEquals(600, got.sampleCount());
                assertEquals(500, got.referenceCount());
            }
        }
    }

    @Test
    void badImagesAreNamed() {
        SparkEvaluator spark = new SparkEvaluator(sc);
        Tensor reference = test.slice(0, 0, 10);
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> spark.evaluate("samples",
                spark.parallelize(reference, 1), "reference", test.slice(0, 0, 3), 1));
        assertTrue(e.getMessage().contains("reference"), e.getMessage());
        Tensor wrong = Tensor.zeros(8, 1, 8, 8);
        SparkException s = assertThrows(SparkException.class, () -> spark.evaluate("tiny samples",
                spark.parallelize(wrong, 2), "reference", reference, 1));
        assertTrue(String.valueOf(s.getMessage()).contains("tiny samples"), s.getMessage());
    }
}
