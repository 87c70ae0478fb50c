package dev.cm4j.consistency.sampling;

import dev.cm4j.tensor.Tensor;

/**
 * A map from a noisy batch and its noise levels to an estimate of the clean data: the EDM denoiser D(x, sigma) or a
 * consistency function f(x, sigma). Both have this signature, so every sampler runs on a network, an EMA copy or an
 * analytic formula alike.
 *
 * <p>{@code x} is (B, ...) with the batch on the leading axis; {@code sigma} holds one noise level per sample (B).
 * Implementations must not modify {@code x}.
 */
@FunctionalInterface
public interface Denoiser {
    /** The clean-data estimate for each sample of {@code x} at its noise level; same shape as {@code x}. */
    Tensor denoise(Tensor x, float[] sigma);

    /**
     * This denoiser with its output clamped to [lo, hi], as the image samplers do after every network call
     * ({@code clip_denoised=True}). For data that are not bounded (2-D toys) do not clamp.
     */
    default Denoiser clamped(float lo, float hi) {
        if (!(lo < hi)) {
            throw new IllegalArgumentException("Denoiser.clamped: need lo < hi, got [" + lo + ", " + hi + "]");
        }
        return (x, sigma) -> {
            Tensor y = denoise(x, sigma).copy();
            float[] d = y.data();
            for (int i = 0; i < d.length; i++) {
                d[i] = Math.min(hi, Math.max(lo, d[i]));
            }
            return y;
        };
    }
}
