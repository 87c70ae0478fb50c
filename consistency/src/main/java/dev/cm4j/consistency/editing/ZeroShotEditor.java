package dev.cm4j.consistency.editing;

import dev.cm4j.consistency.KarrasSchedule;
import dev.cm4j.consistency.PerSample;
import dev.cm4j.consistency.model.Denoiser;
import dev.cm4j.consistency.noise.NoiseSource;
import dev.cm4j.consistency.sampling.MultistepSampler;
import dev.cm4j.consistency.sampling.SamplingBuffers;
import dev.cm4j.tensor.BufferArena;
import dev.cm4j.tensor.BufferPool;
import dev.cm4j.tensor.Tensor;
import java.util.Arrays;

/**
 * Algorithm 4 of Song et al. 2023, zero-shot editing with a consistency function f (docs/EDITING.md#algorithm-4),
 * step for step as the released {@code iterative_inpainting}, {@code iterative_colorization} and
 * {@code iterative_superres} ({@code cm/karras_diffusion.py}):
 *
 * <pre>
 *   ref = A^T[(A y) known + fill (1 - known)]              the reference (released: images = replacement(images, fill))
 *   x   = ref + tau_1 z                                       Algorithm 4's start, x ~ N(ref, tau_1^2 I)
 *   for n = 1..M:
 *     x0 = clamp(f(x, tau_n), -1, 1)                          clip_denoised, before the replacement
 *     x0 = A^T[(A ref) known + (A x0) (1 - known)]            replacement(images, x0)
 *     x  = x0 + sqrt(next^2 - eps^2) z_n                      next = tau_{n+1}, after the last step eps (scale 0)
 * </pre>
 *
 * The released functions take their start x from the caller (its {@code karras_sample} passes x_T = 80 z, without the
 * reference); {@link #run} takes any start, so a recording of the released code replays here draw for draw. The output
 * is not clamped, as the released functions return it (known components keep the reference exactly).
 *
 * <p>Draw order: the start's z first (when the editor draws it), then one draw after every evaluation, the last one
 * scaled by sqrt(eps^2 - eps^2) = 0, as the released loop draws toward t_min after its final call; with a single time
 * given as a sigma nothing is drawn after it (as {@link MultistepSampler}).
 *
 * @param schedule the training grid: eps = sigmaMin, the clip range [sigmaMin, sigmaMax], and the index-to-sigma map
 * @param clampDenoised clamp f to [-1, 1] after every call, as the released image code does; off for unbounded data
 */
public record ZeroShotEditor(KarrasSchedule schedule, boolean clampDenoised) {
    public ZeroShotEditor {
        if (schedule == null) {
            throw new IllegalArgumentException("ZeroShotEditor: schedule is null");
        }
    }

    /** The released image setting: f clamped to [-1, 1] after every call. */
    public static ZeroShotEditor images(KarrasSchedule schedule) {
        return new ZeroShotEditor(schedule, true);
    }

    /** No clamping, for data that are not bounded (analytic models in tests). */
    public static ZeroShotEditor unbounded(KarrasSchedule schedule) {
        return new ZeroShotEditor(schedule, false);
    }

    /** Called after every step's replacement, before the noise of the next step is added. */
    @FunctionalInterface
    public interface StepListener {
        /** {@code step} counts from 0; {@code sigma} is the time f was evaluated at; {@code x} is (B, C, H, W). */
        void afterStep(int step, double sigma, Tensor x);

        StepListener NONE = (step, sigma, x) -> {
        };
    }

    /**
     * Algorithm 4 on images {@code y} (B, C, H, W) at the decreasing times {@code sigmas} (tau_1 first; 80 for a start
     * from pure noise, less to stay closer to the reference): starts from {@code ref + tau_1 z}.
     */
    public Tensor edit(Denoiser f, Edit edit, Tensor y, double[] sigmas, NoiseSource noise) {
        return edit(f, edit, y, sigmas, noise, StepListener.NONE);
    }

    /** {@link #edit(Denoiser, Edit, Tensor, double[], NoiseSource)} reporting every step to {@code listener}. */
    public Tensor edit(Denoiser f, Edit edit, Tensor y, double[] sigmas, NoiseSource noise, StepListener listener) {
        double[] tau = checkTimes(sigmas);
        Tensor ref = edit.reference(y);
        Tensor start = addNoise(ref, tau[0], requireNoise(noise));
        return run(f, edit, ref, start, tau, schedule.sigmaMin(), tau.length > 1 ? noise : null, listener);
    }

    /**
     * The released form: times are increasing indices {@code ts} into a grid of {@code steps} points, the last one
     * {@code steps - 1} (sigmaMin); {@code ts.length - 1} evaluations, each followed by a draw. For example ts = (0, 20,
     * 39) with steps = 40.
     */
    public Tensor editAtIndices(Denoiser f, Edit edit, Tensor y, int[] ts, int steps, NoiseSource noise,
            StepListener listener) {
        double[] tau = sampler().indicesToSigmas(ts, steps);
        Tensor ref = edit.reference(y);
        Tensor start = addNoise(ref, tau[0], requireNoise(noise));
        double tEnd = schedule.clip(schedule.sigma(ts[ts.length - 1], steps));
        return run(f, edit, ref, start, tau, tEnd, noise, listener);
    }

    /**
     * The loop of Algorithm 4 from a given start x (B, C, H, W) and the reference {@code ref} (already blanked by
     * {@link Edit#reference}, or any image whose known components are wanted). After the evaluation at {@code tau[n]}
     * the next noise level is {@code tau[n + 1]}, or {@code tEnd} after the last; with {@code noise} null nothing is
     * drawn after the last evaluation (then only one time is allowed).
     */
    public Tensor run(Denoiser f, Edit edit, Tensor ref, Tensor start, double[] tau, double tEnd, NoiseSource noise,
            StepListener listener) {
        edit.check(ref);
        edit.check(start);
        if (noise == null && tau.length > 1) {
            throw new IllegalArgumentException("ZeroShotEditor: " + tau.length + " steps need a noise source, got null");
        }
        Denoiser g = clampDenoised ? f.clamped(-1, 1) : f;
        Tensor refCoefficients = edit.transform().forward(ref);
        int batch = start.dim(0);
        double eps = schedule.sigmaMin();
        Tensor x = start;
        BufferPool buffers = SamplingBuffers.pool();
        for (int n = 0; n < tau.length; n++) {
            // the step's activations go back to the pool at its end; only x goes on to the next step
            try (BufferArena arena = buffers.open()) {
                Tensor x0 = g.denoise(x, PerSample.fill(batch, tau[n]));
                x = edit.replaceCoefficients(refCoefficients, x0);
                listener.afterStep(n, tau[n], x);
                if (noise != null) {
                    double next = n + 1 < tau.length ? tau[n + 1] : tEnd;
                    x = addNoise(x, Math.sqrt(Math.max(0, next * next - eps * eps)), noise);
                }
                x = BufferArena.keep(x);
            }
        }
        return x;
    }

    /**
     * Denoising at a known noise level: one evaluation {@code f(y, sigma)} of images {@code y} that carry Gaussian
     * noise of standard deviation {@code sigma} (clamped to [-1, 1] as every image step).
     */
    public Tensor denoise(Denoiser f, Tensor noisy, double sigma) {
        double[] tau = checkTimes(new double[] {sigma});
        Denoiser g = clampDenoised ? f.clamped(-1, 1) : f;
        return g.denoise(noisy, PerSample.fill(noisy.dim(0), tau[0]));
    }

    /**
     * Stroke-guided generation (SDEdit-like): nothing is replaced and the start is the stroke painting itself plus
     * noise, {@code x = stroke + tau_1 z}; then the steps of Algorithm 4 (multistep sampling from that start). A
     * medium tau_1 keeps the strokes' layout and colours and lets the model add the detail.
     */
    public Tensor strokes(Denoiser f, Tensor stroke, double[] sigmas, NoiseSource noise) {
        double[] tau = checkTimes(sigmas);
        Edit none = Edit.nothingKnown(stroke.dim(1), stroke.dim(2), stroke.dim(3));
        Tensor start = addNoise(stroke, tau[0], requireNoise(noise));
        return run(f, none, stroke, start, tau, schedule.sigmaMin(), tau.length > 1 ? noise : null, StepListener.NONE);
    }

    /** The times given as grid indices, mapped as {@link MultistepSampler#indicesToSigmas}. */
    public double[] indicesToSigmas(int[] ts, int steps) {
        return sampler().indicesToSigmas(ts, steps);
    }

    private MultistepSampler sampler() {
        return new MultistepSampler(schedule, clampDenoised);
    }

    /** x + scale z with z drawn from {@code noise} in the shape of x. */
    private static Tensor addNoise(Tensor x, double scale, NoiseSource noise) {
        int batch = x.dim(0);
        Tensor z = noise.normal(x.shape());
        return PerSample.combine("ZeroShotEditor", x, PerSample.fill(batch, 1), z, PerSample.fill(batch, scale));
    }

    private static NoiseSource requireNoise(NoiseSource noise) {
        if (noise == null) {
            throw new IllegalArgumentException("ZeroShotEditor: the start x = ref + tau_1 z needs a noise source, "
                    + "got null");
        }
        return noise;
    }

    /** Positive, strictly decreasing times, clipped to [sigmaMin, sigmaMax]. */
    private double[] checkTimes(double[] sigmas) {
        if (sigmas == null || sigmas.length == 0) {
            throw new IllegalArgumentException("ZeroShotEditor: no times given");
        }
        double[] tau = new double[sigmas.length];
        for (int i = 0; i < tau.length; i++) {
            if (!(sigmas[i] > 0) || !Double.isFinite(sigmas[i])) {
                throw new IllegalArgumentException("ZeroShotEditor: times " + Arrays.toString(sigmas)
                        + " must be positive and finite; element " + i + " is " + sigmas[i]);
            }
            tau[i] = schedule.clip(sigmas[i]);
            if (i > 0 && !(tau[i] < tau[i - 1])) {
                throw new IllegalArgumentException("ZeroShotEditor: times " + Arrays.toString(sigmas)
                        + " must decrease within [" + schedule.sigmaMin() + ", " + schedule.sigmaMax()
                        + "]; element " + i + " (" + sigmas[i] + ") is not below " + sigmas[i - 1]);
            }
        }
        return tau;
    }
}
