package dev.cm4j.consistency.noise;

import dev.cm4j.tensor.Rng;
import dev.cm4j.tensor.Tensor;
import java.util.Arrays;

/**
 * Draws for a batch of samples in which each sample has its own stream: sample {@code first + i} (its index in the
 * whole run) takes its numbers from {@code root.fork(first + i)}, draw after draw. A sample's noise is therefore a
 * function of the seed and its index alone, not of how many samples share a batch or where the batch starts.
 */
final class PerSampleNoise implements NoiseSource {
    private final Rng[] streams;
    private final long first;
    private long draws;

    PerSampleNoise(Rng root, long first, int count) {
        if (root == null) {
            throw new IllegalArgumentException("NoiseSource.perSample: the generator is null");
        }
        if (first < 0 || count < 1) {
            throw new IllegalArgumentException("NoiseSource.perSample: samples " + first + " + " + count
                    + ": the first index must be >= 0 and the count >= 1");
        }
        this.first = first;
        this.streams = new Rng[count];
        for (int i = 0; i < count; i++) {
            streams[i] = root.fork(first + i);
        }
    }

    @Override
    public Tensor normal(int... shape) {
        if (shape.length == 0 || shape[0] != streams.length) {
            throw new IllegalArgumentException("NoiseSource.perSample: a draw of shape " + Arrays.toString(shape)
                    + " from a source of " + streams.length + " samples; the first axis must be the samples");
        }
        Tensor t = Tensor.zeros(shape);
        int per = t.size() / streams.length;
        for (int i = 0; i < streams.length; i++) {
            streams[i].fillNormal(t.data(), t.offset() + i * per, per);
        }
        draws++;
        return t;
    }

    @Override
    public long draws() {
        return draws;
    }

    @Override
    public String toString() {
        return "per-sample Philox noise (seed " + streams[0].seed() + ", samples " + first + ".."
                + (first + streams.length - 1) + ")";
    }
}
