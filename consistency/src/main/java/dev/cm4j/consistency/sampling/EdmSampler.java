package dev.cm4j.consistency.sampling;

import dev.cm4j.consistency.KarrasSchedule;
import dev.cm4j.consistency.PerSample;
import dev.cm4j.consistency.model.Denoiser;
import dev.cm4j.consistency.noise.NoiseSource;
import dev.cm4j.tensor.BufferArena;
import dev.cm4j.tensor.BufferPool;
import dev.cm4j.tensor.Rng;
import dev.cm4j.tensor.Tensor;

/**
 * The EDM sampler (Karras et al. 2022, Algorithm 2; {@code edm_sampler} in NVlabs/edm, {@code sample_heun} in
 * openai/consistency_models) over the Karras grid sigma_0 > ... > sigma_{N-1} and sigma_N = 0
 * (docs/ALGORITHMS.md#edm-sampler).
 *
 * <p>Step i: {@code gamma = min(S_churn/N, sqrt 2 - 1)} when {@code S_tmin <= sigma_i <= S_tmax}, else 0;
 * {@code sigma^ = sigma_i (1 + gamma)}; {@code x^ = x + sqrt(sigma^2 - sigma_i^2) S_noise z}; then an Euler step to
 * sigma_{i+1}, corrected by Heun unless sigma_{i+1} = 0. Deterministic (S_churn = 0) it uses 2N - 1 evaluations.
 *
 * <p>Draw order, as the released {@code sample_heun}: with a noise source, z is drawn at the start of every step,
 * whether or not gamma > 0 uses it, so a recorded run of the released code replays call for call. Without a source
 * a deterministic sampler (S_churn = 0) draws nothing.
 *
 * <p>Each step runs in a {@link dev.cm4j.tensor.BufferArena} on the pool of the caller's open arena, if any
 * ({@link SamplingBuffers}): the activations of one step reuse the arrays of the step before, and only x goes on.
 *
 * @param schedule the Karras grid (sigmaMin, sigmaMax, rho)
 * @param steps N, the number of grid points (18 for CIFAR-10, 35 NFE)
 * @param solver HEUN (the EDM sampler) or EULER (N evaluations)
 * @param sChurn total stochasticity; 0 = deterministic
 * @param sTmin the lowest sigma that receives churn
 * @param sTmax the highest sigma that receives churn
 * @param sNoise the scale of the fresh noise (slightly above 1 offsets the denoiser's loss of detail)
 * @param clampDenoised clamp D to [-1, 1] after every call ({@code clip_denoised=True}; images only)
 * @param clampOutput clamp the final sample to [-1, 1], as {@code karras_sample} returns it (images only)
 */
public record EdmSampler(KarrasSchedule schedule, int steps, OdeSolver solver, double sChurn, double sTmin,
                         double sTmax, double sNoise, boolean clampDenoised, boolean clampOutput) {
    public EdmSampler {
        if (schedule == null || solver == null) {
            throw new IllegalArgumentException("EdmSampler: schedule and solver must not be null");
        }
        if (steps < 2) {
            throw new IllegalArgumentException("EdmSampler: the grid needs N >= 2 points, got N = " + steps);
        }
        if (!(sChurn >= 0) || !(sNoise >= 0) || !(sTmin >= 0) || !(sTmax >= sTmin)) {
            throw new IllegalArgumentException("EdmSampler: need S_churn >= 0, S_noise >= 0, 0 <= S_tmin <= S_tmax; got "
                    + "S_churn " + sChurn + ", S_noise " + sNoise + ", S_tmin " + sTmin + ", S_tmax " + sTmax);
        }
    }

    /** The deterministic Heun sampler on an {@code steps}-point grid (2 steps - 1 evaluations), no clamping. */
    public static EdmSampler heun(KarrasSchedule schedule, int steps) {
        return new EdmSampler(schedule, steps, OdeSolver.HEUN, 0, 0, Double.POSITIVE_INFINITY, 1, false, false);
    }

    /**
     * The released image sampler's defaults ({@code karras_sample} with {@code sampler="heun"}): Heun, S_churn 0,
     * S_tmin 0, S_tmax infinity, S_noise 1, D and the output clamped to [-1, 1].
     */
    public static EdmSampler images(KarrasSchedule schedule, int steps) {
        return heun(schedule, steps).withClamping(true);
    }

    /** The same sampler with EDM's stochastic churn. */
    public EdmSampler withChurn(double sChurn, double sTmin, double sTmax, double sNoise) {
        return new EdmSampler(schedule, steps, solver, sChurn, sTmin, sTmax, sNoise, clampDenoised, clampOutput);
    }

    /** The same sampler with another number of grid points. */
    public EdmSampler withSteps(int n) {
        return new EdmSampler(schedule, n, solver, sChurn, sTmin, sTmax, sNoise, clampDenoised, clampOutput);
    }

    /** The same sampler with another solver. */
    public EdmSampler withSolver(OdeSolver s) {
        return new EdmSampler(schedule, steps, s, sChurn, sTmin, sTmax, sNoise, clampDenoised, clampOutput);
    }

    /** The same sampler with both clamps (D after every call, and the output) on or off. */
    public EdmSampler withClamping(boolean on) {
        return new EdmSampler(schedule, steps, solver, sChurn, sTmin, sTmax, sNoise, on, on);
    }

    /** Network evaluations per batch: 2N - 1 for Heun, N for Euler. */
    public int nfe() {
        return solver == OdeSolver.HEUN ? 2 * steps - 1 : steps;
    }

    /**
     * Integrates from x_T = sigmaMax z to sigma = 0.
     *
     * @param z standard normal noise (B, ...)
     * @param noise the source of the per-step draws; may be null when S_churn = 0 (then nothing is drawn)
     */
    public Tensor sample(Denoiser denoiser, Tensor z, NoiseSource noise) {
        if (sChurn > 0 && noise == null) {
            throw new IllegalArgumentException("EdmSampler.sample: S_churn = " + sChurn + " needs a noise source");
        }
        Denoiser d = clampDenoised ? denoiser.clamped(-1, 1) : denoiser;
        double[] sigma = schedule.sigmasWithZero(steps);
        int batch = z.dim(0);
        Tensor x = PerSample.scale("EdmSampler.sample", z, PerSample.fill(batch, sigma[0]));
        double gammaMax = Math.min(sChurn / steps, Math.sqrt(2) - 1);
        BufferPool buffers = SamplingBuffers.pool();
        for (int i = 0; i < steps; i++) {
            double tCur = sigma[i];
            double gamma = sTmin <= tCur && tCur <= sTmax ? gammaMax : 0;
            double tHat = tCur * (1 + gamma);
            // the step's activations go back to the pool at its end; only x goes on to the next step
            try (BufferArena arena = buffers.open()) {
                Tensor eps = noise == null ? null : noise.normal(x.shape());
                if (gamma > 0) {
                    double scale = Math.sqrt(tHat * tHat - tCur * tCur) * sNoise;
                    x = PerSample.combine("EdmSampler.sample", x, PerSample.fill(batch, 1), eps,
                            PerSample.fill(batch, scale));
                }
                x = BufferArena.keep(solver.step(d, x, PerSample.fill(batch, tHat), PerSample.fill(batch,
                        sigma[i + 1])));
            }
        }
        return clampOutput ? x.clamp(-1, 1) : x;
    }

    /** {@link #sample(Denoiser, Tensor, NoiseSource)} with draws from {@code rng} (may be null when S_churn = 0). */
    public Tensor sample(Denoiser denoiser, Tensor z, Rng rng) {
        return sample(denoiser, z, rng == null ? null : NoiseSource.of(rng));
    }

    /** As {@code karras_sample}: draws x_T (shape) from {@code noise} first, then samples. */
    public Tensor sample(Denoiser denoiser, int[] shape, NoiseSource noise) {
        if (noise == null) {
            throw new IllegalArgumentException("EdmSampler.sample: drawing x_T needs a noise source, got null");
        }
        return sample(denoiser, noise.normal(shape), noise);
    }
}
