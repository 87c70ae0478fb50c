package dev.cm4j.consistency.analytic;

import dev.cm4j.consistency.PerSample;
import dev.cm4j.consistency.model.Denoiser;
import dev.cm4j.tensor.Rng;
import dev.cm4j.tensor.Tensor;

/**
 * Data distributed as N(0, s^2 I), the one case where the denoiser, the probability-flow ODE and the consistency
 * function have closed forms. Used to check solvers, samplers and training against the truth.
 *
 * <p>With x_sigma = x_0 + sigma z the noisy marginal is N(0, (s^2 + sigma^2) I), so
 * <ul>
 *   <li>the ideal denoiser is {@code D(x, sigma) = E[x_0 | x_sigma = x] = x s^2 / (s^2 + sigma^2)};</li>
 *   <li>the PF-ODE {@code dx/dsigma = (x - D)/sigma = x sigma / (s^2 + sigma^2)} gives
 *       {@code d ln x / dsigma = (1/2) d ln(s^2 + sigma^2) / dsigma}, hence
 *       {@code x(sigma') = x(sigma) sqrt((s^2 + sigma'^2) / (s^2 + sigma^2))};</li>
 *   <li>the consistency function maps every point of a trajectory to its point at time epsilon:
 *       {@code f(x, sigma) = x sqrt((s^2 + eps^2) / (s^2 + sigma^2))}, and f(x, eps) = x.</li>
 * </ul>
 *
 * @param s the data standard deviation per coordinate
 */
public record GaussianData(double s) {
    public GaussianData {
        if (!(s > 0) || !Double.isFinite(s)) {
            throw new IllegalArgumentException("GaussianData: s must be positive and finite, got " + s);
        }
    }

    /** n samples of dimension d (n, d). */
    public Tensor sample(int n, int d, Rng rng) {
        Tensor z = rng.normal(n, d);
        return PerSample.scale("GaussianData.sample", z, PerSample.fill(n, s));
    }

    /** The exact denoiser D(x, sigma) = x s^2 / (s^2 + sigma^2). */
    public Denoiser denoiser() {
        return (x, sigma, labels) -> {
            float[] k = new float[sigma.length];
            for (int b = 0; b < k.length; b++) {
                k[b] = (float) (s * s / (s * s + (double) sigma[b] * sigma[b]));
            }
            return PerSample.scale("GaussianData.denoiser", x, k);
        };
    }

    /** The exact consistency function with boundary time {@code epsilon}. */
    public Denoiser consistencyFunction(double epsilon) {
        return (x, sigma, labels) -> {
            float[] k = new float[sigma.length];
            for (int b = 0; b < k.length; b++) {
                k[b] = (float) odeFactor(sigma[b], epsilon);
            }
            return PerSample.scale("GaussianData.consistencyFunction", x, k);
        };
    }

    /** The factor by which the PF-ODE scales a point carried from noise level {@code from} to {@code to}. */
    public double odeFactor(double from, double to) {
        return Math.sqrt((s * s + to * to) / (s * s + from * from));
    }
}
