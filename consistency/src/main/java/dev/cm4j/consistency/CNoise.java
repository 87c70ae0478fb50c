package dev.cm4j.consistency;

/**
 * The noise-level input c_noise(sigma) that a network receives, which depends on the code base (CM-SPEC section 2).
 * All are functions of ln(sigma); negative values are fine.
 */
public enum CNoise {
    /** EDM, ECT and the JAX CIFAR-10 code (Gaussian Fourier features): {@code c_noise = ln(sigma) / 4}. */
    QUARTER_LOG {
        @Override
        public double of(double sigma) {
            return 0.25 * Math.log(sigma);
        }
    },
    /**
     * The PyTorch ADM U-Net (sinusoidal embedding of "timesteps"): {@code 1000 * 0.25 * ln(sigma + 1e-44)}, from about
     * -1554 at sigma 0.002 to +1095 at sigma 80.
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
