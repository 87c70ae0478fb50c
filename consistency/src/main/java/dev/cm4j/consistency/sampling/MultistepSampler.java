package dev.cm4j.consistency.sampling;

import dev.cm4j.consistency.KarrasSchedule;
import dev.cm4j.consistency.PerSample;
import dev.cm4j.tensor.Rng;
import dev.cm4j.tensor.Tensor;
import java.util.Arrays;

/**
 * Algorithm 1 of Song et al. 2023: one-step and multistep consistency sampling.
 *
 * <p>With times tau_0 > tau_1 > ... > tau_{M-1}: {@code x <- f(tau_0 z, tau_0)}, then for each later tau_n
 * {@code x^ = x + sqrt(tau_n^2 - eps^2) z_n} and {@code x <- f(x^, tau_n)}. The noise scale is sqrt(tau^2 - eps^2),
 * not tau, because f's output stands for a point at time eps. M times cost M evaluations.
 *
 * @param schedule the training grid: eps = sigmaMin, the clip range [sigmaMin, sigmaMax], and the index-to-sigma map
 * @param clampDenoised clamp f to [-1, 1] after every call, as the image code does ({@code clip_denoised=True});
 *                      leave it off for data that are not bounded (2-D toys)
 */
public record MultistepSampler(KarrasSchedule schedule, boolean clampDenoised) {
    public MultistepSampler {
        if (schedule == null) {
            throw new IllegalArgumentException("MultistepSampler: schedule is null");
        }
    }

    /**
     * Samples from noise {@code z} (B, ...) at the given times; {@code sigmas[0]} is the starting time (normally
     * sigmaMax), one evaluation per time. Times are clipped to [sigmaMin, sigmaMax] and must decrease.
     */
    public Tensor sample(Denoiser f, Tensor z, double[] sigmas, Rng rng) {
        double[] tau = checkTimes(sigmas);
        if (tau.length > 1 && rng == null) {
            throw new IllegalArgumentException("MultistepSampler.sample: " + tau.length + " steps need a random generator");
        }
        Denoiser g = clampDenoised ? f.clamped(-1, 1) : f;
        int batch = z.dim(0);
        double eps = schedule.sigmaMin();
        Tensor x = g.denoise(PerSample.scale("MultistepSampler.sample", z, PerSample.fill(batch, tau[0])),
                PerSample.fill(batch, tau[0]));
        for (int n = 1; n < tau.length; n++) {
            Tensor zn = rng.normal(x.shape());
            double scale = Math.sqrt(Math.max(0, tau[n] * tau[n] - eps * eps));
            Tensor xHat = PerSample.combine("MultistepSampler.sample", x, PerSample.fill(batch, 1), zn,
                    PerSample.fill(batch, scale));
            x = g.denoise(xHat, PerSample.fill(batch, tau[n]));
        }
        return x;
    }

    /**
     * The released code's form ({@code stochastic_iterative_sampler}): times are indices {@code ts} into a grid of
     * {@code steps} points, increasing, the last one {@code steps - 1} (sigmaMin, whose noise term is 0). For example
     * ts = (0, 22, 39) with steps = 40 is the ImageNet-64 CD two-step setting (middle sigma 1.382). Evaluations:
     * {@code ts.length - 1}.
     */
    public Tensor sampleAtIndices(Denoiser f, Tensor z, int[] ts, int steps, Rng rng) {
        return sample(f, z, indicesToSigmas(ts, steps), rng);
    }

    /** The sigmas at which {@link #sampleAtIndices} evaluates f: all indices but the last, mapped by the grid. */
    public double[] indicesToSigmas(int[] ts, int steps) {
        if (steps < 2 || ts.length < 2) {
            throw new IllegalArgumentException("MultistepSampler: need steps >= 2 and at least 2 indices, got steps "
                    + steps + ", ts " + Arrays.toString(ts));
        }
        for (int i = 0; i < ts.length; i++) {
            if (ts[i] < 0 || ts[i] >= steps || (i > 0 && ts[i] <= ts[i - 1])) {
                throw new IllegalArgumentException("MultistepSampler: indices " + Arrays.toString(ts)
                        + " must increase within [0, " + (steps - 1) + "]");
            }
        }
        if (ts[ts.length - 1] != steps - 1) {
            throw new IllegalArgumentException("MultistepSampler: indices " + Arrays.toString(ts) + " must end at "
                    + (steps - 1) + " (sigmaMin) so that no noise is added after the last evaluation");
        }
        double[] s = new double[ts.length - 1];
        for (int i = 0; i < s.length; i++) {
            s[i] = schedule.clip(schedule.sigma(ts[i], steps));
        }
        return s;
    }

    private double[] checkTimes(double[] sigmas) {
        if (sigmas.length == 0) {
            throw new IllegalArgumentException("MultistepSampler.sample: no times given");
        }
        double[] tau = new double[sigmas.length];
        for (int i = 0; i < tau.length; i++) {
            if (!(sigmas[i] > 0)) {
                throw new IllegalArgumentException("MultistepSampler.sample: times " + Arrays.toString(sigmas)
                        + " must be positive");
            }
            tau[i] = schedule.clip(sigmas[i]);
            if (i > 0 && !(tau[i] < tau[i - 1])) {
                throw new IllegalArgumentException("MultistepSampler.sample: times " + Arrays.toString(sigmas)
                        + " must decrease");
            }
        }
        return tau;
    }
}
