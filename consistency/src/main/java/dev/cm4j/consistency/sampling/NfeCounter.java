package dev.cm4j.consistency.sampling;

import dev.cm4j.consistency.model.Denoiser;
import dev.cm4j.tensor.Tensor;

/**
 * Counts the network function evaluations (NFE) of a sampler: one batched call is one evaluation, as the papers count.
 */
public final class NfeCounter implements Denoiser {
    private final Denoiser inner;
    private int calls;

    public NfeCounter(Denoiser inner) {
        this.inner = inner;
    }

    @Override
    public Tensor denoise(Tensor x, float[] sigma, int[] labels) {
        calls++;
        return inner.denoise(x, sigma, labels);
    }

    /** Evaluations since construction or the last {@link #reset()}. */
    public int calls() {
        return calls;
    }

    public void reset() {
        calls = 0;
    }
}
