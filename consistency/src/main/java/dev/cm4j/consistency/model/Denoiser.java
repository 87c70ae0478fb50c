package dev.cm4j.consistency.model;

import dev.cm4j.tensor.Tensor;
import java.util.Arrays;

/**
 * A map from a noisy batch and its noise levels to an estimate of the clean data: the EDM denoiser D(x, sigma) or a
 * consistency function f(x, sigma). Both have this signature, so every sampler runs on a network, an EMA copy or an
 * analytic formula alike.
 *
 * <p>{@code x} is (B, ...) with the batch on the leading axis; {@code sigma} holds one noise level per sample (B);
 * {@code labels} one class per sample (B) for a class-conditional model, or null. Implementations must not modify
 * {@code x}. Samplers call {@link #denoise(Tensor, float[])}; bind the labels of a class-conditional batch first with
 * {@link #withLabels(int[])}.
 */
@FunctionalInterface
public interface Denoiser {
    /** The clean-data estimate for each sample of {@code x} at its noise level and class; same shape as {@code x}. */
    Tensor denoise(Tensor x, float[] sigma, int[] labels);

    /** {@link #denoise(Tensor, float[], int[])} without labels (an unconditional model, or labels bound already). */
    default Tensor denoise(Tensor x, float[] sigma) {
        return denoise(x, sigma, null);
    }

    /**
     * This denoiser with the labels of one batch bound: every call passes {@code labels} (B), whatever labels it is
     * given, and refuses a batch of another size.
     */
    default Denoiser withLabels(int[] labels) {
        if (labels == null) {
            return this;
        }
        int[] bound = labels.clone();
        return (x, sigma, ignored) -> {
            if (x.rank() < 1 || x.dim(0) != bound.length) {
                throw new IllegalArgumentException("Denoiser.withLabels: batch " + Arrays.toString(x.shape())
                        + " does not match the " + bound.length + " bound labels");
            }
            return denoise(x, sigma, bound);
        };
    }

    /**
     * This denoiser with its output clamped to [lo, hi], as the image samplers do after every network call
     * ({@code clip_denoised=True}). For data that are not bounded (2-D toys) do not clamp.
     */
    default Denoiser clamped(float lo, float hi) {
        if (!(lo < hi)) {
            throw new IllegalArgumentException("Denoiser.clamped: need lo < hi, got [" + lo + ", " + hi + "]");
        }
        return (x, sigma, labels) -> denoise(x, sigma, labels).clamp(lo, hi);
    }
}
