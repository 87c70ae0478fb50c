package dev.cm4j.consistency.sampling;

import dev.cm4j.consistency.KarrasSchedule;
import dev.cm4j.consistency.PerSample;
import dev.cm4j.consistency.model.Denoiser;
import dev.cm4j.consistency.noise.NoiseSource;
import dev.cm4j.tensor.BufferArena;
import dev.cm4j.tensor.BufferPool;
import dev.cm4j.tensor.Rng;
import dev.cm4j.tensor.Tensor;
import java.util.Arrays;

/**
 * Algorithm 1 of Song et al. 2023: one-step and multistep consistency sampling
 * (docs/ALGORITHMS.md#multistep-sampling).
 *
 * <p>With times tau_0 > tau_1 > ... > tau_{M-1}: {@code x <- f(tau_0 z, tau_0)}, then for each later tau_n
 * {@code x^ = x + sqrt(tau_n^2 - eps^2) z_n} and {@code x <- f(x^, tau_n)}. The noise scale is sqrt(tau^2 - eps^2),
 * not tau, because f's output stands for a point at time eps. M times cost M evaluations.
 *
 * <p>Draw order, as the released {@code karras_sample}: x_T first (when the sampler draws it), then with two or more
 * times one draw after every evaluation, the last one scaled by 0 ({@code stochastic_iterative_sampler} draws toward
 * sigmaMin after its final call); a single time draws nothing after x_T ({@code sample_onestep}). So a
 * {@link NoiseSource#recorded recorded} run of the released code replays call for call.
 *
 * <p>Each step runs in a {@link dev.cm4j.tensor.BufferArena} on the pool of the caller's open arena, if any
 * ({@link SamplingBuffers}): the activations of one step reuse the arrays of the step before, and only x goes on.
 *
 * @param schedule the training grid: eps = sigmaMin, the clip range [sigmaMin, sigmaMax], and the index-to-sigma map
 * @param clampDenoised clamp f to [-1, 1] after every call, as the image code does ({@code clip_denoised=True});
 *                      leave it off for data that are not bounded (2-D toys)
 * @param clampOutput clamp the final sample to [-1, 1], as {@code karras_sample} returns it
 */
public record MultistepSampler(KarrasSchedule schedule, boolean clampDenoised, boolean clampOutput) {
    public MultistepSampler {
        if (schedule == null) {
            throw new IllegalArgumentException("MultistepSampler: schedule is null");
        }
    }

    /** Both clamps on or both off: {@code true} for images in [-1, 1], {@code false} for unbounded data. */
    public MultistepSampler(KarrasSchedule schedule, boolean clamp) {
        this(schedule, clamp, clamp);
    }

    /** The released image setting: f clamped after every call and the output clamped to [-1, 1]. */
    public static MultistepSampler images(KarrasSchedule schedule) {
        return new MultistepSampler(schedule, true, true);
    }

    /** No clamping, for data that are not bounded (2-D toys). */
    public static MultistepSampler unbounded(KarrasSchedule schedule) {
        return new MultistepSampler(schedule, false, false);
    }

    /**
     * Samples from noise {@code z} (B, ...) at the given times; {@code sigmas[0]} is the starting time (normally
     * sigmaMax), one evaluation per time. Times are clipped to [sigmaMin, sigmaMax] and must decrease. With two or
     * more times {@code noise} must not be null.
     */
    public Tensor sample(Denoiser f, Tensor z, double[] sigmas, NoiseSource noise) {
        double[] tau = checkTimes(sigmas);
        return run(f, z, tau, schedule.sigmaMin(), noise, tau.length > 1);
    }

    /** {@link #sample(Denoiser, Tensor, double[], NoiseSource)} with draws from {@code rng}. */
    public Tensor sample(Denoiser f, Tensor z, double[] sigmas, Rng rng) {
        return sample(f, z, sigmas, rng == null ? null : NoiseSource.of(rng));
    }

    /** As {@code karras_sample}: draws x_T (shape) from {@code noise}, scales it by sigmas[0], then samples. */
    public Tensor sample(Denoiser f, int[] shape, double[] sigmas, NoiseSource noise) {
        double[] tau = checkTimes(sigmas);
        requireNoise(noise, "x_T");
        return run(f, noise.normal(shape), tau, schedule.sigmaMin(), noise, tau.length > 1);
    }

    /**
     * The released code's form ({@code stochastic_iterative_sampler}): times are indices {@code ts} into a grid of
     * {@code steps} points, increasing, the last one {@code steps - 1} (sigmaMin, whose noise term is 0). For example
     * ts = (0, 22, 39) with steps = 40 is the ImageNet-64 CD two-step setting (middle sigma 1.382). Evaluations:
     * {@code ts.length - 1}, each followed by a draw.
     */
    public Tensor sampleAtIndices(Denoiser f, Tensor z, int[] ts, int steps, NoiseSource noise) {
        return run(f, z, indicesToSigmas(ts, steps), lastTime(ts, steps), noise, true);
    }

    /** {@link #sampleAtIndices(Denoiser, Tensor, int[], int, NoiseSource)} with draws from {@code rng}. */
    public Tensor sampleAtIndices(Denoiser f, Tensor z, int[] ts, int steps, Rng rng) {
        return sampleAtIndices(f, z, ts, steps, rng == null ? null : NoiseSource.of(rng));
    }

    /** As {@code karras_sample} with {@code sampler="multistep"}: x_T drawn from {@code noise} first. */
    public Tensor sampleAtIndices(Denoiser f, int[] shape, int[] ts, int steps, NoiseSource noise) {
        double[] tau = indicesToSigmas(ts, steps);
        requireNoise(noise, "x_T");
        return run(f, noise.normal(shape), tau, lastTime(ts, steps), noise, true);
    }

    /**
     * Evaluates f at every tau; with {@code drawAfterEach}, after the evaluation at tau_n draws z and adds
     * {@code sqrt(next^2 - eps^2) z}, where next is tau_{n+1}, or {@code tEnd} after the last evaluation (sigmaMin up to
     * rounding: the released code computes it from the last index, and the tiny scale it gets is kept).
     */
    private Tensor run(Denoiser f, Tensor z, double[] tau, double tEnd, NoiseSource noise, boolean drawAfterEach) {
        if (drawAfterEach) {
            requireNoise(noise, tau.length + " steps");
        }
        Denoiser g = clampDenoised ? f.clamped(-1, 1) : f;
        int batch = z.dim(0);
        double eps = schedule.sigmaMin();
        Tensor x = PerSample.scale("MultistepSampler.sample", z, PerSample.fill(batch, tau[0]));
        BufferPool buffers = SamplingBuffers.pool();
        for (int n = 0; n < tau.length; n++) {
            // the step's activations go back to the pool at its end; only x goes on to the next step
            try (BufferArena arena = buffers.open()) {
                x = g.denoise(x, PerSample.fill(batch, tau[n]));
                if (drawAfterEach) {
                    double next = n + 1 < tau.length ? tau[n + 1] : tEnd;
                    Tensor zn = noise.normal(x.shape());
                    double scale = Math.sqrt(Math.max(0, next * next - eps * eps));
                    x = PerSample.combine("MultistepSampler.sample", x, PerSample.fill(batch, 1), zn,
                            PerSample.fill(batch, scale));
                }
                x = BufferArena.keep(x);
            }
        }
        return clampOutput ? x.clamp(-1, 1) : x;
    }

    /** The time of the last index, where the released sampler's final draw steps to (sigmaMin up to rounding). */
    private double lastTime(int[] ts, int steps) {
        return schedule.clip(schedule.sigma(ts[ts.length - 1], steps));
    }

    private static void requireNoise(NoiseSource noise, String what) {
        if (noise == null) {
            throw new IllegalArgumentException("MultistepSampler.sample: " + what + " need a noise source, got null");
        }
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
        if (sigmas == null || sigmas.length == 0) {
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
