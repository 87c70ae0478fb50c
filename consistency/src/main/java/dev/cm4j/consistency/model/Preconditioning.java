package dev.cm4j.consistency.model;

import dev.cm4j.consistency.PerSample;
import dev.cm4j.tensor.Tensor;

/**
 * The input and output scalings that wrap a raw network F into a denoiser or a consistency function:
 * {@code f(x, sigma) = c_skip(sigma) x + c_out(sigma) F(c_in(sigma) x, c_noise(sigma))}.
 *
 * <ul>
 *   <li>EDM teacher (Karras et al. 2022, Table 1), epsilon = 0: {@code c_skip = sd^2 / (sigma^2 + sd^2)},
 *       {@code c_out = sigma sd / sqrt(sigma^2 + sd^2)}.</li>
 *   <li>Consistency models (Song et al. 2023, App. C), shifted by epsilon = sigmaMin so that the boundary condition
 *       {@code f(x, epsilon) = x} holds exactly: {@code c_skip = sd^2 / ((sigma - eps)^2 + sd^2)},
 *       {@code c_out = sd (sigma - eps) / sqrt(sigma^2 + sd^2)} (the root keeps sigma, not sigma - eps).</li>
 *   <li>Both: {@code c_in = 1 / sqrt(sigma^2 + sd^2)}; c_noise per {@link CNoise}.</li>
 * </ul>
 * docs/ALGORITHMS.md#preconditioning gives the derivation of the epsilon shift.
 *
 * <p>The c_noise encoding belongs to the network ({@link NoiseConditionedNet#cNoise()}). The factories leave it
 * unset ({@code null}): {@link Preconditioned} then takes the network's. A preconditioning that names an encoding
 * ({@link #withCNoise}) is a claim about the network, and {@link Preconditioned} refuses a network that contradicts it.
 *
 * @param sigmaData sd, the data standard deviation (0.5)
 * @param epsilon the boundary time: 0 for the EDM teacher, sigmaMin (0.002) for consistency models
 * @param cNoise the noise-level encoding, or null for "the network's own"
 */
public record Preconditioning(double sigmaData, double epsilon, CNoise cNoise) {
    public Preconditioning {
        if (!(sigmaData > 0) || !Double.isFinite(sigmaData)) {
            throw new IllegalArgumentException("Preconditioning: sigmaData must be positive and finite, got " + sigmaData);
        }
        if (!(epsilon >= 0) || !Double.isFinite(epsilon)) {
            throw new IllegalArgumentException("Preconditioning: epsilon must be >= 0 and finite, got " + epsilon);
        }
    }

    /** The EDM teacher's scalings (epsilon = 0); c_noise is the network's. */
    public static Preconditioning edm(double sigmaData) {
        return new Preconditioning(sigmaData, 0, null);
    }

    /** Consistency-model scalings shifted by {@code epsilon}; c_noise is the network's. */
    public static Preconditioning consistency(double sigmaData, double epsilon) {
        return new Preconditioning(sigmaData, epsilon, null);
    }

    /** The same scalings with the c_noise encoding named explicitly (null: the network's). */
    public Preconditioning withCNoise(CNoise encoding) {
        return new Preconditioning(sigmaData, epsilon, encoding);
    }

    public double cSkip(double sigma) {
        double s = sigma - epsilon;
        return sigmaData * sigmaData / (s * s + sigmaData * sigmaData);
    }

    public double cOut(double sigma) {
        return sigmaData * (sigma - epsilon) / Math.sqrt(sigma * sigma + sigmaData * sigmaData);
    }

    public double cIn(double sigma) {
        return 1 / Math.sqrt(sigma * sigma + sigmaData * sigmaData);
    }

    /** c_noise for one noise level; the encoding must be set (it is, inside a {@link Preconditioned}). */
    public double cNoise(double sigma) {
        return encoding().of(sigma);
    }

    /** c_skip per sample. */
    public float[] cSkip(float[] sigma) {
        return perSample(sigma, this::cSkip);
    }

    /** c_out per sample. */
    public float[] cOut(float[] sigma) {
        return perSample(sigma, this::cOut);
    }

    /** c_in per sample. */
    public float[] cIn(float[] sigma) {
        return perSample(sigma, this::cIn);
    }

    /** c_noise per sample. */
    public float[] cNoise(float[] sigma) {
        return encoding().of(sigma);
    }

    private CNoise encoding() {
        if (cNoise == null) {
            throw new IllegalStateException("Preconditioning.cNoise: no c_noise encoding is set; it comes from the "
                    + "network (wrap both in a Preconditioned) or from withCNoise(...)");
        }
        return cNoise;
    }

    private static float[] perSample(float[] sigma, java.util.function.DoubleUnaryOperator scaling) {
        float[] c = new float[sigma.length];
        for (int b = 0; b < c.length; b++) {
            c[b] = (float) scaling.applyAsDouble(sigma[b]);
        }
        return c;
    }

    /** The network input {@code c_in(sigma_b) x_b} for x (B, ...) and one sigma per sample. */
    public Tensor scaleInput(Tensor x, float[] sigma) {
        return PerSample.scale("Preconditioning.scaleInput", x, cIn(sigma));
    }

    /** The output {@code c_skip(sigma_b) x_b + c_out(sigma_b) F_b} for x and F (B, ...) with one sigma per sample. */
    public Tensor combine(Tensor x, float[] sigma, Tensor f) {
        return PerSample.combine("Preconditioning.combine", x, cSkip(sigma), f, cOut(sigma));
    }
}
