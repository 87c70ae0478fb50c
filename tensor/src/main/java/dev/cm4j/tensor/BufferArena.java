package dev.cm4j.tensor;

import java.util.ArrayList;
import java.util.List;

/**
 * The scope in which operation results borrow arrays from a {@link BufferPool}: one training step, one sampling
 * step. Open it with {@link BufferPool#open()} in try-with-resources; while it is the innermost open arena of its
 * thread, every {@link Tensor#output} on that thread (the results of tensor ops, autodiff rules and layers) is lent
 * by it. Closing gives every lent array back to the pool, and from then on each tensor over one of them, views
 * included, throws {@link IllegalStateException} when used: a tensor that escapes the scope by mistake is reported,
 * never silently overwritten by the next step.
 *
 * <p>What must outlive the scope (a returned sample, a value kept for later) is taken out with {@link #keep}: its
 * array is then the caller's for good. A backward pass gives back, before the scope ends, the activations and
 * gradients it has consumed ({@link #recycle}). Tensors made with {@link Tensor#zeros}, {@link Tensor#copy} and the
 * like, and everything allocated on other threads, are never lent.
 *
 * <p>Arenas nest: an inner arena (another pool, or the same one) lends until it closes, then the outer one again.
 * They must close in the reverse order of opening, on the thread that opened them.
 */
public final class BufferArena implements AutoCloseable {
    private static final ThreadLocal<BufferArena> CURRENT = new ThreadLocal<>();

    private final BufferPool pool;
    private final boolean active;
    private final Thread owner;
    private final BufferArena outer;
    private final List<Tensor.Storage> lent = new ArrayList<>();
    private boolean closed;

    private BufferArena(BufferPool pool, boolean active) {
        this.pool = pool;
        this.active = active;
        this.owner = Thread.currentThread();
        this.outer = active ? CURRENT.get() : null;
    }

    static BufferArena open(BufferPool pool, boolean active) {
        BufferArena a = new BufferArena(pool, active);
        if (active) {
            CURRENT.set(a);
        }
        return a;
    }

    /** The innermost open arena of this thread that lends arrays, or null. */
    static BufferArena current() {
        return CURRENT.get();
    }

    /** The pool this arena lends from. */
    BufferPool pool() {
        return pool;
    }

    /** Whether this thread has an open arena that lends arrays. */
    public static boolean isOpen() {
        return CURRENT.get() != null;
    }

    /** Lends a zero-filled array of length n to the tensor whose storage is {@code s}. */
    float[] lend(int n, Tensor.Storage s, boolean zero) {
        float[] a = pool.take(n, zero);
        s.arena = this;
        s.array = a;
        lent.add(s);
        return a;
    }

    /**
     * Takes {@code t}'s array out of whichever arena lent it, so that it is never given back: {@code t} and its views
     * stay usable after the arena closes. A tensor that was not lent is returned as it is. Returns {@code t}.
     *
     * @throws IllegalStateException when the array was already given back (keep it while its arena is open)
     */
    public static Tensor keep(Tensor t) {
        Tensor.Storage s = t.storage();
        if (s.released) {
            t.data(); // throws, naming the problem
        }
        s.arena = null;
        s.array = null;
        return t;
    }

    /**
     * True when {@code t}'s array is lent by an open arena of this thread and not kept: {@link #recycle} would give it
     * back.
     */
    public static boolean isLent(Tensor t) {
        Tensor.Storage s = t.storage();
        return s.arena != null && !s.released && s.arena.owner == Thread.currentThread();
    }

    /**
     * Gives {@code t}'s array back to its pool now, before its arena closes, when it is lent ({@link #isLent}); the
     * caller asserts that no live tensor needs it any more (a backward pass, for the activations and gradients it has
     * consumed). Every tensor over it then throws when used. Returns whether the array went back.
     */
    public static boolean recycle(Tensor t) {
        if (!isLent(t)) {
            return false;
        }
        Tensor.Storage s = t.storage();
        s.arena.giveBack(s);
        return true;
    }

    private void giveBack(Tensor.Storage s) {
        s.released = true;
        float[] a = s.array;
        s.array = null;
        s.arena = null;
        pool.give(a);
    }

    /** Gives back every array lent by this arena and not kept or recycled, and makes the outer arena current again. */
    @Override
    public void close() {
        if (closed) {
            return;
        }
        if (Thread.currentThread() != owner) {
            throw new IllegalStateException("BufferArena.close: opened on thread " + owner.getName()
                    + ", closed on " + Thread.currentThread().getName());
        }
        if (active && CURRENT.get() != this) {
            throw new IllegalStateException("BufferArena.close: an arena opened inside this one is still open;"
                    + " close arenas in the reverse order of opening");
        }
        closed = true;
        if (active) {
            if (outer == null) {
                CURRENT.remove();
            } else {
                CURRENT.set(outer);
            }
        }
        for (Tensor.Storage s : lent) {
            if (s.arena == this) {
                giveBack(s);
            }
        }
        lent.clear();
    }

    @Override
    public String toString() {
        return "BufferArena(" + (active ? lent.size() + " lent" : "not lending") + (closed ? ", closed" : "") + ", "
                + pool + ")";
    }
}
