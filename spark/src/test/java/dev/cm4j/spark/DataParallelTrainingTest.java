package dev.cm4j.spark;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.cm4j.consistency.data.Toy2d;
import dev.cm4j.models.unet.UNet;
import dev.cm4j.tensor.Rng;
import java.util.Arrays;
import java.util.List;
import org.apache.spark.api.java.JavaRDD;
import org.apache.spark.broadcast.Broadcast;
import org.apache.spark.api.java.JavaSparkContext;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Synchronous data-parallel training of the 2-D teacher against the same steps on one machine: after 10 Adam steps
 * (lr 1e-3) of a global batch of 512 split over 2 and 3 partitions, every weight agrees to 2e-6 (measured: 2.2e-7;
 * the gradients' sums round differently, and a step moves a weight by about lr), and the weights did move.
 */
class DataParallelTrainingTest {
    static final int STEPS = 10;
    static JavaSparkContext sc;

    @BeforeAll
    static void start() {
        sc = LocalSpark.start("DataParallelTrainingTest");
    }

    @AfterAll
    static void stop() {
        sc.stop();
    }

    @Test
    void shardsGiveTheOneMachineWeights() {
        DataParallelTraining run = new DataParallelTraining(
                new DataParallelTraining.Config(Toy2d.CHECKERBOARD, 64, 512, 1e-3, 11));
        float[] start = DataParallelTraining.flatWeights(run.initialModel());
        // warm-up of both paths (JIT), so that the step times below are steady ones
        run.trainLocally(2);
        run.train(sc, 2, 2);
        long t0 = System.nanoTime();
        float[] local = DataParallelTraining.flatWeights(run.trainLocally(STEPS));
        double localStep = (System.nanoTime() - t0) / 1e9 / STEPS;
        assertTrue(maxDiff(start, local) > 1e-3, "training moved the weights by " + maxDiff(start, local));
        for (int parts : new int[] {2, 3}) {
            long t1 = System.nanoTime();
            float[] spread = DataParallelTraining.flatWeights(run.train(sc, STEPS, parts));
            double sparkStep = (System.nanoTime() - t1) / 1e9 / STEPS;
            double diff = maxDiff(local, spread);
            System.out.printf("%d partitions: max weight difference %.3g after %d steps of %d weights; step %.1f ms "
                    + "(one machine %.1f ms)%n", parts, diff, STEPS, local.length, sparkStep * 1e3, localStep * 1e3);
            assertTrue(diff <= 2e-6, parts + " partitions: max weight difference " + diff);
        }
        assertThrows(IllegalArgumentException.class, () -> run.train(sc, 1, 0));
    }

    /**
     * Parameter averaging every h local steps: with one partition it is one machine's training bit for bit (the
     * weights and Adam's state go through the packed form unchanged); over 2 and 3 partitions Spark gives the weights
     * of the same rounds computed on one machine to 1e-6 (the averages are sums in double in another order), and
     * they differ from synchronous training, as averaging the shards' separate steps must.
     */
    @Test
    void averagingEveryHStepsMatchesItsOneMachineForm() {
        DataParallelTraining run = new DataParallelTraining(
                new DataParallelTraining.Config(Toy2d.CHECKERBOARD, 64, 512, 1e-3, 11));
        float[] sync = DataParallelTraining.flatWeights(run.trainLocally(STEPS));
        float[] one = DataParallelTraining.flatWeights(run.trainAveraging(sc, STEPS, 1, 5));
        assertEquals(0.0, maxDiff(sync, one), "one partition: one machine's training");
        run.trainAveraging(sc, 2, 2, 1);   // warm-up
        for (int parts : new int[] {2, 3}) {
            float[] local = DataParallelTraining.flatWeights(run.trainAveragingLocally(STEPS, parts, 5));
            long t0 = System.nanoTime();
            float[] spread = DataParallelTraining.flatWeights(run.trainAveraging(sc, STEPS, parts, 5));
            double perStep = (System.nanoTime() - t0) / 1e9 / STEPS;
            double diff = maxDiff(local, spread);
            double drift = maxDiff(sync, spread);
            System.out.printf("averaging every 5 steps, %d partitions: max weight difference to its one-machine form "
                    + "%.3g, to synchronous training %.3g; %.1f ms per step%n", parts, diff, drift, perStep * 1e3);
            assertTrue(diff <= 1e-6, parts + " partitions: max weight difference " + diff);
            assertTrue(drift > 1e-6, parts + " partitions: averaging should differ from synchronous steps: " + drift);
        }
        assertThrows(IllegalArgumentException.class, () -> run.trainAveraging(sc, 1, 2, 0));
        assertThrows(IllegalArgumentException.class, () -> run.trainAveragingLocally(1, 513, 1));
    }

    /**
     * Spark's own cost per synchronous step, without the model: broadcast a weight vector, add one copy of it per
     * partition with treeAggregate (depth 2). Sizes: the 2-D MLP above and the small28 U-Net (Fashion-MNIST).
     */
    @Test
    void perStepOverheadOfBroadcastAndTreeAggregate() {
        int mlp = DataParallelTraining.flatSize(
                new DataParallelTraining(new DataParallelTraining.Config(Toy2d.CHECKERBOARD, 64, 512, 1e-3, 11))
                        .initialModel());
        int unet = 0;
        for (var p : new UNet(UNet.Config.preset("small28"), new Rng(1)).namedParameters().values()) {
            unet += p.value().size();
        }
        int parts = 2;
        JavaRDD<Integer> rows = sc.parallelize(List.of(0, 1), parts).cache();
        for (int size : new int[] {mlp, unet}) {
            float[] w = new float[size];
            Arrays.fill(w, 0.5f);
            double seconds = 0;
            int rounds = 5;
            for (int r = -3; r < rounds; r++) {
                long t0 = System.nanoTime();
                Broadcast<float[]> b = sc.broadcast(w);
                double[] sum = rows.treeAggregate(new double[size], (acc, x) -> {
                    float[] v = b.value();
                    for (int i = 0; i < v.length; i++) {
                        acc[i] += v[i];
                    }
                    return acc;
                }, (a, c) -> {
                    for (int i = 0; i < a.length; i++) {
                        a[i] += c[i];
                    }
                    return a;
                }, 2);
                b.destroy();
                if (r >= 0) {
                    seconds += (System.nanoTime() - t0) / 1e9;
                }
                assertEquals(parts * 0.5, sum[size - 1], "every partition's vector added once");
            }
            System.out.printf("broadcast + treeAggregate of %,d weights (%.1f MB as float) over %d partitions: "
                    + "%.1f ms per step%n", size, size * 4 / 1e6, parts, seconds / rounds * 1e3);
        }
        rows.unpersist();
    }

    private static double maxDiff(float[] a, float[] b) {
        double m = 0;
        for (int i = 0; i < a.length; i++) {
            m = Math.max(m, Math.abs(a[i] - b[i]));
        }
        return m;
    }
}
