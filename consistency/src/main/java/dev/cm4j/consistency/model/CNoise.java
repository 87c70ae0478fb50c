package dev.cm4j.consistency.model;

/**
 * The noise-level input c_noise(sigma) that a network receives. It is a property of the network, not of the
 * algorithm: a network trained with one encoding gives wrong outputs under another, so every
 * {@link NoiseConditionedNet} declares the one it expects and {@link Preconditioned} refuses a contradiction
 * (docs/ALGORITHMS.md#noise-conditioning). All are functions of ln(sigma); negative values are fine.
 */
public enum CNoise {
    /**
     * EDM, ECT and the JAX CIFAR-10 code (Karras et al. 2022, Table 1): {@code c_noise = ln(sigma) / 4}, from about
     * -1.55 at sigma 0.002 to 1.10 at sigma 80. cm4j's toy MLP takes it (and scales it inside its embedding).
     */
    QUARTER_LOG {
        @Override
        public double of(double sigma) {
            return 0.25 * Math.log(sigma);
        }
    },
    /**
     * The released ADM U-Net of openai/consistency_models (the "timesteps" its sinusoidal embedding reads, computed in
     * {@code KarrasDenoiser.denoise}): {@code 1000 * 0.25 * ln(sigma + 1e-44)}, from about -1554 at sigma 0.002 to
     * +1095 at sigma 80. The default of cm4j's U-Net adapter, so released and PyTorch-trained weights work as they are.
     */
    ADM {
        @Override
        public double of(double sigma) {
            return 1000 * 0.25 * Math.log(sigma + 1e-44);
        }
    };

    /** c_noise for one noise level. */
    public abstract double of(double sigma);

    /** c_noise per sample. */
    public float[] of(float[] sigma) {
        float[] c = new float[sigma.length];
        for (int b = 0; b < sigma.length; b++) {
            c[b] = (float) of(sigma[b]);
        }
        return c;
    }
}
