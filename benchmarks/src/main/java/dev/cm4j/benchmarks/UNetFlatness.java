package dev.cm4j.benchmarks;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.List;
import java.util.Locale;
import java.util.Random;
import org.apache.commons.math3.stat.StatUtils;
import org.apache.commons.math3.stat.descriptive.rank.Percentile;
import org.apache.commons.math3.stat.descriptive.rank.Percentile.EstimationType;

/**
 * Whether the training step's time per image is flat over the batch, measured in one JVM: {@link UNetStepBenchmark}'s
 * step at every batch, interleaved in rounds; each round runs every batch on the same number of images (the largest
 * batch's; batch 16 takes eight steps where batch 128 takes one), in an order shuffled per round by a fixed seed, so
 * that all batches see the same JIT state and, within a round, the same machine. Every step is timed.
 *
 * <p>Separate JMH forks measure each batch minutes apart, and on a shared machine the time per image moves between
 * them by more than the 10 % that flatness allows. Here the per-round ratio of two batches cancels the slow drift, and
 * the low quantiles of the per-step times show the cost of the work without the machine's interruptions (each step
 * that another process delays is slower, and the small batch's steps, with more parallel loops per image, lose more
 * to each delay).
 *
 * <p>Run: {@code java --add-modules jdk.incubator.vector -Xmn192m -cp benchmarks/target/benchmarks.jar
 * dev.cm4j.benchmarks.UNetFlatness [batches] [seconds]}, e.g. {@code 16,32,64,128 330}. Prints per batch the median,
 * the 5 % and 25 % quantiles of the time per image, the median per-round ratio of the smallest batch to each other,
 * and the flatness (largest over smallest) of the medians and of the 5 % quantiles.
 */
public final class UNetFlatness {
    private UNetFlatness() {
    }

    public static void main(String[] args) {
        int[] batches = Arrays.stream((args.length > 0 ? args[0] : "16,32,64,128").split(","))
                .mapToInt(Integer::parseInt).sorted().toArray();
        double seconds = args.length > 1 ? Double.parseDouble(args[1]) : 300;
        int largest = batches[batches.length - 1];
        for (int b : batches) {
            if (b < 1 || largest % b != 0) {
                throw new IllegalArgumentException("UNetFlatness: every batch must divide the largest (" + largest
                        + "), got " + b);
            }
        }
        UNetStepBenchmark[] steps = new UNetStepBenchmark[batches.length];
        float sink = 0;
        for (int i = 0; i < batches.length; i++) {
            steps[i] = new UNetStepBenchmark();
            steps[i].batch = batches[i];
            steps[i].setUp();
            for (long end = System.nanoTime() + 8_000_000_000L; System.nanoTime() < end; ) {
                sink += steps[i].step(); // warm-up: 8 s per batch
            }
        }
        List<List<Double>> perImage = new ArrayList<>();  // ms per image of every step, per batch
        List<double[]> rounds = new ArrayList<>();         // ms per image of each round, per batch
        for (int i = 0; i < batches.length; i++) {
            perImage.add(new ArrayList<>());
        }
        Random order = new Random(7);
        List<Integer> indices = new ArrayList<>();
        for (int i = 0; i < batches.length; i++) {
            indices.add(i);
        }
        long end = System.nanoTime() + (long) (seconds * 1e9);
        while (System.nanoTime() < end) {
            Collections.shuffle(indices, order);
            double[] round = new double[batches.length];
            for (int i : indices) {
                long total = 0;
                for (int k = 0; k < largest / batches[i]; k++) {
                    long t0 = System.nanoTime();
                    sink += steps[i].step();
                    long dt = System.nanoTime() - t0;
                    total += dt;
                    perImage.get(i).add(dt / 1e6 / batches[i]);
                }
                round[i] = total / 1e6 / largest;
            }
            rounds.add(round);
        }
        System.out.printf(Locale.ROOT, "%d rounds of %d images per batch (sink %s)%n", rounds.size(), largest,
                Float.isFinite(sink) ? "finite" : "non-finite");
        double[] medians = new double[batches.length];
        double[] low = new double[batches.length];
        for (int i = 0; i < batches.length; i++) {
            double[] v = perImage.get(i).stream().mapToDouble(Double::doubleValue).toArray();
            medians[i] = quantile(v, 0.5);
            low[i] = quantile(v, 0.05);
            System.out.printf(Locale.ROOT, "batch %d: %d steps, ms per image median %.2f, 5 %% %.2f, 25 %% %.2f%n",
                    batches[i], v.length, medians[i], low[i], quantile(v, 0.25));
        }
        for (int i = 1; i < batches.length; i++) {
            final int j = i;
            double[] r = rounds.stream().mapToDouble(x -> x[0] / x[j]).toArray();
            System.out.printf(Locale.ROOT, "batch %d / batch %d per round: median %.3f (quartiles %.3f-%.3f)%n",
                    batches[0], batches[i], quantile(r, 0.5), quantile(r, 0.25), quantile(r, 0.75));
        }
        System.out.printf(Locale.ROOT, "flatness (largest / smallest time per image): medians %.3f, 5 %% quantiles "
                + "%.3f%n", StatUtils.max(medians) / StatUtils.min(medians),
                StatUtils.max(low) / StatUtils.min(low));
    }

    /** The q-quantile, interpolated linearly between neighbours (R's type 7). */
    private static double quantile(double[] values, double q) {
        return new Percentile().withEstimationType(EstimationType.R_7).evaluate(values, 100 * q);
    }
}
