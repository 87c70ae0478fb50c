package dev.cm4j.spark;

import dev.cm4j.consistency.api.ConsistencyModel;
import dev.cm4j.consistency.api.Sampling;
import dev.cm4j.consistency.model.Denoiser;
import dev.cm4j.consistency.noise.NoiseSource;
import dev.cm4j.consistency.sampling.EdmSampler;
import dev.cm4j.consistency.sampling.MultistepSampler;
import dev.cm4j.tensor.Rng;
import dev.cm4j.tensor.Tensor;

/**
 * One machine's share of {@link ConsistencyModel#sample(int, Sampling, long, int)}: samples {@code from .. from + n -
 * 1} of the sequence that the facade draws for a seed, bit for bit, without drawing those before them.
 *
 * <p>Why it works: the facade draws {@link ConsistencyModel#BATCH} samples per network call, all noise from one Philox
 * stream of the seed, in order. A {@link Rng} is counter-based (element i of a draw is a pure function of seed,
 * stream and block position), so batch k's draws start at block position k times the blocks one full batch consumes:
 * D draws of (BATCH, C, H, W) normal numbers, each of ceil(BATCH C H W / 4) blocks, where D is 1 for x_T plus one per
 * renoising (multistep) or per Heun step (the facade hands the teacher's sampler its noise source, so it draws each
 * step; with S_churn = 0 the draw is unused). A range that starts on a batch boundary therefore sets the generator's
 * position and then runs the facade's own loop, and every batch holds the same samples as on one machine, so no
 * kernel sees a different batch composition. After each batch the position is checked against the formula, so a
 * sampler that changes how it draws is an error here, never a silent difference.
 */
public final class SampleRange {
    private SampleRange() {
    }

    /**
     * Samples {@code from .. from + n - 1} of {@code model.sample(total, sampling, seed, label)} for any total of at
     * least {@code from + n}: (n, C, H, W) in [-1, 1], with the labels of a class-conditional model (classes in turn
     * by global index for label -1).
     *
     * @throws IllegalArgumentException naming the value if {@code from} is not a multiple of
     *     {@link ConsistencyModel#BATCH}, n is below 1, or the sampling or label does not suit the model
     */
    public static ImageBlock sample(ConsistencyModel model, Sampling sampling, long seed, int label, int from, int n) {
        String op = "SampleRange.sample";
        int batch = ConsistencyModel.BATCH;
        if (from < 0 || from % batch != 0 || n < 1) {
            throw new IllegalArgumentException(op + ": samples " + from + " + " + n + ": the first must be a "
                    + "multiple of " + batch + " (the facade's batch) and the count >= 1");
        }
        check(op, model, sampling, label);
        int c = model.config().inChannels();
        int s = model.config().imageSize();
        int per = c * s * s;
        int classes = model.config().numClasses();
        float[] all = new float[Math.multiplyExact(n, per)];
        int[] labels = classes > 0 ? new int[n] : null;
        Rng rng = new Rng(seed);
        long perBatch = blocksPerBatch(model, sampling, batch);
        rng.setPosition(Math.multiplyExact(from / batch, perBatch));
        NoiseSource noise = NoiseSource.of(rng);
        Denoiser f = model.network().denoiser();
        for (int done = 0; done < n; done += batch) {
            int b = Math.min(batch, n - done);
            int[] y = null;
            if (classes > 0) {
                y = new int[b];
                for (int i = 0; i < b; i++) {
                    y[i] = label >= 0 ? label : (from + done + i) % classes;
                }
                System.arraycopy(y, 0, labels, done, b);
            }
            long before = rng.position();
            Denoiser d = f.withLabels(y);
            Tensor z = noise.normal(b, c, s, s);
            Tensor x = switch (sampling) {
                case Sampling.Sigmas t -> MultistepSampler.images(model.schedule()).sample(d, z, sigmas(model, t),
                        noise);
                case Sampling.GridIndices t -> MultistepSampler.images(model.schedule()).sampleAtIndices(d, z,
                        t.ts(), t.points(), noise);
                case Sampling.Heun t -> EdmSampler.images(model.schedule(), t.points()).sample(d, z, noise);
            };
            long drawn = rng.position() - before;
            long expected = blocksPerBatch(model, sampling, b);
            if (drawn != expected) {
                throw new IllegalStateException(op + ": " + sampling + " drew " + drawn + " Philox blocks for "
                        + b + " samples where " + expected + " were expected; the sampler's draws changed and "
                        + "ranges would no longer match one machine's run");
            }
            System.arraycopy(x.data(), x.offset(), all, done * per, b * per);
        }
        return new ImageBlock(from, n, c, s, all, labels);
    }

    /**
     * The Philox blocks that {@code b} samples consume: draws per batch times ceil(b C H W / 4) (a draw takes whole
     * 4-number blocks).
     */
    static long blocksPerBatch(ConsistencyModel model, Sampling sampling, int b) {
        int c = model.config().inChannels();
        int s = model.config().imageSize();
        long perDraw = ((long) b * c * s * s + 3) / 4;
        return drawsPerBatch(model, sampling) * perDraw;
    }

    /** x_T, then one draw after each evaluation of a multistep sampling, or one per step of Heun's sampler. */
    static int drawsPerBatch(ConsistencyModel model, Sampling sampling) {
        return switch (sampling) {
            case Sampling.Sigmas t -> {
                int steps = sigmas(model, t).length;
                yield 1 + (steps > 1 ? steps : 0);
            }
            case Sampling.GridIndices t -> 1 + MultistepSampler.images(model.schedule())
                    .indicesToSigmas(t.ts(), t.points()).length;
            case Sampling.Heun t -> 1 + t.points();
        };
    }

    /** The sigmas of a time list; one-step (no times) is one time, sigmaMax. */
    private static double[] sigmas(ConsistencyModel model, Sampling.Sigmas t) {
        double[] s = t.sigmas();
        return s.length == 0 ? new double[] {model.schedule().sigmaMax()} : s;
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
