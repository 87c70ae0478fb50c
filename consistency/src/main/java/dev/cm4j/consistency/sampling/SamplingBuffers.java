package dev.cm4j.consistency.sampling;

import dev.cm4j.tensor.BufferArena;
import dev.cm4j.tensor.BufferPool;

/**
 * Where a sampler's steps borrow their arrays: each step runs in a {@link BufferArena}, so the activations of one
 * network evaluation are reused by the next. The pool is the caller's when the caller has an arena open (a loop over
 * many batches opens one around it and keeps the samples it wants with {@link BufferArena#keep}), else one for the
 * call alone, which reuses arrays from the second step on and is garbage after it. A call of one step without a
 * caller's pool borrows nothing: it would reuse nothing, and lent arrays stay until the step ends, where the
 * collector may take an activation back as soon as the next layer has read it.
 */
final class SamplingBuffers {
    private SamplingBuffers() {
    }

    /** The caller's pool; else a new one for a loop of {@code steps} steps, or one that lends nothing for one step. */
    static BufferPool pool(int steps) {
        BufferPool p = BufferPool.current();
        return p != null ? p : new BufferPool(steps > 1 && BufferPool.enabledByDefault());
    }
}
