package dev.cm4j.consistency.noise;

import dev.cm4j.tensor.Rng;
import dev.cm4j.tensor.Tensor;
import java.util.List;

/**
 * Where samplers and trainers take their Gaussian draws from. By default a seeded Philox stream ({@link #of(Rng)});
 * for drawing many samples, one stream per sample ({@link #perSample(Rng, long, int)});
 * a recorded sequence ({@link #recorded(List)}) replays the draws of another run, for example of the released
 * reference code, draw by draw. Callers draw in the released code's order (docs/ALGORITHMS.md#random-draws-and-replay), so
 * a recording of one implementation drives the other step for step.
 *
 * <p>Not thread-safe: one source per consumer.
 */
public interface NoiseSource {
    /** The next draw: a tensor of the given shape of independent standard normal numbers. */
    Tensor normal(int... shape);

    /** Draws taken so far. */
    long draws();

    /** Standard normal draws from {@code rng}; the source advances the generator exactly as {@link Rng#normal} does. */
    static NoiseSource of(Rng rng) {
        return new PhiloxNoise(rng);
    }

    /**
     * Draws for samples {@code first .. first + count - 1} of a run, each from its own stream {@code root.fork(index)}:
     * every draw's first axis must be the {@code count} samples. A sample's noise depends on the seed of {@code root}
     * and its index only, so samplers that draw a run batch by batch give each sample the same noise whatever the
     * batch size, and any range of samples can be drawn without the ones before it.
     */
    static NoiseSource perSample(Rng root, long first, int count) {
        return new PerSampleNoise(root, first, count);
    }

    /**
     * Replays {@code draws} in order. A request whose shape differs from the next recorded draw, or a request after
     * the last one, is refused with the draw's number and both shapes.
     */
    static RecordedNoise recorded(List<Tensor> draws) {
        return new RecordedNoise(draws);
    }
}
