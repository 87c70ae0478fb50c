package dev.cm4j.consistency.sampling;

import dev.cm4j.tensor.BufferArena;
import dev.cm4j.tensor.BufferPool;

/**
 * Where a sampler's steps borrow their arrays: each step runs in a {@link BufferArena}, so the activations of one
 * network evaluation are reused by the next. The pool is the caller's when the caller has an arena open (a loop over
 * many batches opens one around it and keeps the samples it wants with {@link BufferArena#keep}), else one for the
 * call alone, which reuses arrays from the second evaluation on and is garbage after it.
 */
final class SamplingBuffers {
    private SamplingBuffers() {
    }

    /** The caller's pool, or a new one for this call. */
    static BufferPool pool() {
        BufferPool p = BufferPool.current();
        return p != null ? p : new BufferPool();
    }
}
