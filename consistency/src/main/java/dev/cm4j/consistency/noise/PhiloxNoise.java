package dev.cm4j.consistency.noise;

import dev.cm4j.tensor.Rng;
import dev.cm4j.tensor.Tensor;

/** Gaussian draws from a seeded Philox stream: the default {@link NoiseSource}. */
final class PhiloxNoise implements NoiseSource {
    private final Rng rng;
    private long draws;

    PhiloxNoise(Rng rng) {
        if (rng == null) {
            throw new IllegalArgumentException("NoiseSource.of: the generator is null");
        }
        this.rng = rng;
    }

    @Override
    public Tensor normal(int... shape) {
        draws++;
        return rng.normal(shape);
    }

    @Override
    public long draws() {
        return draws;
    }

    @Override
    public String toString() {
        return "Philox noise (seed " + rng.seed() + ", stream " + rng.stream() + ", position " + rng.position() + ")";
    }
}
