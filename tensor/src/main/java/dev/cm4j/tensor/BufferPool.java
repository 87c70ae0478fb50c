package dev.cm4j.tensor;

import java.util.ArrayDeque;
import java.util.Arrays;
import java.util.HashMap;
import java.util.Map;

/**
 * Arrays kept from one training step (or sampling step) to the next, by length, so that the activations and gradients
 * of a step reuse the arrays of the step before instead of asking the collector for hundreds of megabytes each time.
 *
 * <p>A pool lends arrays only through a {@link BufferArena} ({@link #open()}), the scope that says when they come
 * back; a trainer or sampler owns one pool and opens an arena around each step. The pool keeps every array given back
 * until {@link #clear()} or until the pool itself is garbage, so it holds about the largest step's working set.
 *
 * <p>Pooling is on unless {@code -Dcm4j.tensor.pool=false}; off, {@link #open()} returns arenas that lend nothing
 * (operations allocate as without an arena), for comparison and as the safe fallback. A lent array is zero-filled, as
 * a new one is, so results are the same bits with and without pooling; except for an operation that writes every
 * element of its result ({@code Tensor.outputOverwritten}), whose reused array is lent as it was: filling it would be
 * a pass over memory on one thread that the operation's own pass makes moot. With {@code -Dcm4j.tensor.poison=true}
 * (the tests run with it) such an array is filled with NaN instead, so that an operation that leaves an element
 * unwritten shows NaN rather than a stale value.
 *
 * <p>Thread-safe: arenas on several threads may share a pool.
 */
public final class BufferPool {
    /** Whether arenas lend arrays: {@code -Dcm4j.tensor.pool=false} turns pooling off. */
    static final boolean ENABLED = !"false".equals(System.getProperty("cm4j.tensor.pool"));
    /** Whether arrays lent unfilled are filled with NaN: {@code -Dcm4j.tensor.poison=true}, for tests. */
    static final boolean POISON = Boolean.getBoolean("cm4j.tensor.poison");

    private final boolean enabled;
    private final Map<Integer, ArrayDeque<float[]>> free = new HashMap<>();
    private long freeFloats;
    private long lent;
    private long created;

    /** A pool that lends arrays unless {@code -Dcm4j.tensor.pool=false}. */
    public BufferPool() {
        this(ENABLED);
    }

    /** A pool that lends arrays when {@code enabled}, else one whose arenas lend nothing. */
    public BufferPool(boolean enabled) {
        this.enabled = enabled;
    }

    /** Whether this pool's arenas lend arrays. */
    public boolean enabled() {
        return enabled;
    }

    /**
     * Opens an arena on this thread: until it closes, {@link Tensor#output} on this thread takes its arrays from this
     * pool, and closing gives back every array not {@link BufferArena#keep kept}. Use it in try-with-resources.
     */
    public BufferArena open() {
        return BufferArena.open(this, enabled);
    }

    /**
     * The pool of this thread's innermost open arena, or null: a loop that opens arenas of its own (a sampler's steps)
     * borrows from the caller's pool when the caller has one, so that arrays are reused across the caller's calls.
     */
    public static BufferPool current() {
        BufferArena a = BufferArena.current();
        return a == null ? null : a.pool();
    }

    /** A zero-filled array of length n: a pooled one when there is one, else a new one. */
    /**
     * An array of length n: a reused one zero-filled when {@code zero}, else as it was (NaN with {@link #POISON});
     * a new one is zero either way.
     */
    float[] take(int n, boolean zero) {
        float[] a;
        synchronized (this) {
            lent++;
            ArrayDeque<float[]> q = free.get(n);
            a = q == null ? null : q.poll();
            if (a == null) {
                created++;
                return new float[n];
            }
            freeFloats -= n;
        }
        if (zero) {
            Arrays.fill(a, 0f);
        } else if (POISON) {
            Arrays.fill(a, Float.NaN);
        }
        return a;
    }

    /** Takes back an array no tensor may use any more. */
    synchronized void give(float[] a) {
        free.computeIfAbsent(a.length, k -> new ArrayDeque<>()).push(a);
        freeFloats += a.length;
    }

    /** Bytes of the arrays waiting in the pool (not those lent out now). */
    public synchronized long freeBytes() {
        return 4 * freeFloats;
    }

    /** How many arrays arenas have asked for, and how many of those had to be allocated (not reused). */
    public synchronized long[] counts() {
        return new long[] {lent, created};
    }

    /** Drops every array waiting in the pool (lent ones come back as usual). */
    public synchronized void clear() {
        free.clear();
        freeFloats = 0;
    }

    @Override
    public synchronized String toString() {
        return "BufferPool(" + (enabled ? "" : "off, ") + freeBytes() / (1 << 20) + " MB free, " + lent + " lent, "
                + created + " allocated)";
    }
}
