package dev.cm4j.spark;

import dev.cm4j.consistency.api.ConsistencyModel;
import dev.cm4j.consistency.api.Sampling;
import dev.cm4j.tensor.Tensor;

/**
 * One machine's share of {@link ConsistencyModel#sample(int, Sampling, long, int)}: samples {@code from .. from + n -
 * 1} of the sequence that the facade draws for a seed, bit for bit, without drawing those before them.
 *
 * <p>Why it works: each sample's noise comes from its own stream, forked from the seed by the sample's index
 * ({@link dev.cm4j.consistency.noise.NoiseSource#perSample}), and a network's output for an image does not depend
 * on the other images of its batch, so {@link ConsistencyModel#sampleRange} gives any range the bits it has in the
 * whole run.
 */
public final class SampleRange {
    private SampleRange() {
    }

    /**
     * Samples {@code from .. from + n - 1} of {@code model.sample(total, sampling, seed, label)} for any total of at
     * least {@code from + n}: (n, C, H, W) in [-1, 1], with the labels of a class-conditional model (classes in turn
     * by global index for label -1).
     *
     * @throws IllegalArgumentException naming the value if {@code from} is negative, n is below 1, or the sampling
     *     or label does not suit the model
     */
    public static ImageBlock sample(ConsistencyModel model, Sampling sampling, long seed, int label, int from, int n) {
        String op = "SampleRange.sample";
        if (from < 0 || n < 1) {
            throw new IllegalArgumentException(op + ": samples " + from + " + " + n + ": the first must be >= 0 and "
                    + "the count >= 1");
        }
        check(op, model, sampling, label);
        int c = model.config().inChannels();
        int s = model.config().imageSize();
        int classes = model.config().numClasses();
        Tensor x = model.sampleRange(from, n, sampling, seed, label);
        int[] labels = null;
        if (classes > 0) {
            labels = new int[n];
            for (int i = 0; i < n; i++) {
                labels[i] = label >= 0 ? label : (from + i) % classes;
            }
        }
        return new ImageBlock(from, n, c, s, x.toArray(), labels);
    }

    /** The checks of the facade: the kind of sampling suits the model, the label its classes. */
    static void check(String op, ConsistencyModel model, Sampling sampling, int label) {
        if (sampling == null) {
            throw new IllegalArgumentException(op + ": sampling is null; e.g. Sampling.oneStep()");
        }
        boolean heun = sampling instanceof Sampling.Heun;
        if (model.isConsistency() == heun) {
            throw new IllegalArgumentException(op + ": " + sampling + " does not suit " + model + " ("
                    + (heun ? "a consistency model takes Sampling.oneStep(), sigmas(...) or gridIndices(...)"
                    : "an EDM teacher takes Sampling.heun(points)") + ")");
        }
        int k = model.config().numClasses();
        if (k == 0 ? label != -1 : label < -1 || label >= k) {
            throw new IllegalArgumentException(op + ": label " + label + " outside " + (k == 0 ? "-1 (" + model
                    + " is unconditional)" : "-1.." + (k - 1)));
        }
    }
}
