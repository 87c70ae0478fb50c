package dev.cm4j.consistency.sampling;

import dev.cm4j.tensor.BufferArena;
import dev.cm4j.tensor.BufferPool;

/**
 * Where a sampler's steps borrow their arrays: each step runs in a {@link BufferArena} on the pool of the caller's
 * open arena, so that a caller who opens one around its calls (a loop over many batches, keeping the samples it wants
 * with {@link BufferArena#keep}) has the activations of one network evaluation reused by the next. Without a caller's
 * arena the steps borrow nothing: with no tape nothing is given back before a step ends, so a pool holds a whole
 * evaluation's activations, where the collector takes each back once the next layer has read it (at batch 256 of
 * small28 a pool of 2.9 GB against a peak RSS of 1.1 GB without; docs/PERFORMANCE.md).
 */
public final class SamplingBuffers {
    private SamplingBuffers() {
    }

    /** The pool of the caller's open arena, or one that lends nothing. */
    public static BufferPool pool() {
        BufferPool p = BufferPool.current();
        return p != null ? p : new BufferPool(false);
    }
}
