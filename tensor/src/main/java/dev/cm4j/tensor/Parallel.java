package dev.cm4j.tensor;

import java.util.concurrent.ExecutorService;
import java.util.concurrent.Future;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.ThreadFactory;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.IntConsumer;

/**
 * The one shared worker pool of cm4j.
 *
 * <p>Work is split into a fixed number of contiguous chunks, so every output element is computed by exactly one thread
 * in a fixed order: results never depend on scheduling. Reductions that must not depend on the thread count either
 * split their input into blocks of a size fixed by the kernel (not by the thread count) and combine the partial
 * results in block order. Nested calls run inline on the calling thread (no nested parallelism).
 *
 * <p>{@code -Dcm4j.threads=N} sets the pool size (default: available processors). A value that is not a positive
 * integer is an error, reported by {@link #checkProperties()} and by the first parallel loop (an
 * {@link IllegalArgumentException} naming the property), never silently replaced.
 *
 * <p>Waiting threads spin for {@value #SPIN_NANOS} ns before they sleep: a worker that has finished a loop polls for
 * the next one, and a caller that has finished its chunks polls for the workers' before it blocks. Waking a sleeping
 * thread takes tens of microseconds, about the length of a small loop's chunk, so without the spin the caller
 * usually ran a small loop's chunks alone (docs/PERFORMANCE.md, "Spinning workers").
 */
public final class Parallel {
    /** Body of a parallel loop over the half-open range [start, end). */
    @FunctionalInterface
    public interface RangeBody {
        void run(int start, int end);
    }

    /** The system property of the pool size. */
    public static final String THREADS_PROPERTY = "cm4j.threads";
    /** Why {@code cm4j.threads} cannot be used, or null when it can. */
    private static final String THREADS_ERROR = threadsError(System.getProperty(THREADS_PROPERTY));
    private static final int THREADS = THREADS_ERROR != null ? 1 : threadCount(System.getProperty(THREADS_PROPERTY));
    private static final ThreadLocal<Boolean> INSIDE = ThreadLocal.withInitial(() -> Boolean.FALSE);
    /** How long a waiting thread polls before it sleeps, in nanoseconds. */
    static final long SPIN_NANOS = 100_000;
    private static final ExecutorService POOL = THREADS > 1
            ? new ThreadPoolExecutor(THREADS - 1, THREADS - 1, 0L, TimeUnit.MILLISECONDS, new SpinningQueue(),
                    daemonThreads())
            : null;

    private Parallel() {
    }

    /** Number of threads a parallel loop uses. */
    public static int threads() {
        checkProperties();
        return THREADS;
    }

    /**
     * Checks the tensor module's system properties ({@code cm4j.threads} here, {@code cm4j.simd} in {@link Simd}), so
     * that a command line can report a bad value before any work. Every parallel loop runs this check too.
     *
     * @throws IllegalArgumentException naming the property, its value and what it accepts
     */
    public static void checkProperties() {
        if (THREADS_ERROR != null) {
            throw new IllegalArgumentException(THREADS_ERROR);
        }
        Simd.checkProperty();
    }

    /** The problem with a {@code cm4j.threads} value, or null when it is absent or a positive integer. */
    static String threadsError(String value) {
        if (value == null) {
            return null;
        }
        try {
            if (Integer.parseInt(value.trim()) >= 1) {
                return null;
            }
        } catch (NumberFormatException e) {
            // reported below
        }
        return "-D" + THREADS_PROPERTY + "=" + value + " is not a positive integer; give the number of worker threads "
                + "(e.g. -D" + THREADS_PROPERTY + "=" + Runtime.getRuntime().availableProcessors()
                + ") or leave it out for one per processor";
    }

    private static int threadCount(String value) {
        return value == null ? Runtime.getRuntime().availableProcessors() : Integer.parseInt(value.trim());
    }

    /**
     * Runs {@code body} over [0, n) split into at most {@link #threads()} contiguous chunks, each at least {@code grain}
     * long. Runs inline when there is one chunk or when called from inside another parallel loop.
     */
    public static void forRange(int n, int grain, RangeBody body) {
        forRange(n, grain, 1, body);
    }

    /**
     * As {@link #forRange(int, int, RangeBody)}, with every chunk boundary a multiple of {@code align} (the last chunk
     * ends at n). Flat elementwise and reduction loops pass a multiple of every SIMD width, so each chunk starts on the
     * same vector boundary as a single-threaded pass and no element's vector or tail treatment depends on the split.
     */
    public static void forRange(int n, int grain, int align, RangeBody body) {
        checkProperties();
        if (n <= 0) {
            return;
        }
        if (align < 1) {
            throw new IllegalArgumentException("Parallel.forRange: align " + align + " must be >= 1");
        }
        int chunks = Math.min(THREADS, Math.max(1, n / Math.max(1, Math.max(grain, align))));
        if (chunks <= 1 || POOL == null || INSIDE.get()) {
            body.run(0, n);
            return;
        }
        forChunks(n, chunks, align, body);
    }

    /**
     * Runs {@code body} for every item in [0, n), each item a chunk of its own, claimed in index order by whichever
     * thread is free (the caller takes item 0 first). For loops over few, large, independent items (the images of a
     * convolution): a thread that starts late or meets a slower item does not leave the other waiting at the end, as
     * with {@link #forRange}'s one contiguous chunk per thread. Each item runs whole on one thread, and nested loops
     * inside it run inline, so results are those of a sequential loop whoever runs an item. Runs inline when there is
     * one item or when called from inside another parallel loop.
     */
    public static void forItems(int n, IntConsumer body) {
        checkProperties();
        if (n <= 0) {
            return;
        }
        if (n == 1 || POOL == null || INSIDE.get()) {
            for (int i = 0; i < n; i++) {
                body.accept(i);
            }
            return;
        }
        forChunks(n, n, 1, (start, end) -> {
            for (int i = start; i < end; i++) {
                body.accept(i);
            }
        });
    }

    /** Start of chunk {@code c} of {@code chunks} near-equal parts of [0, n), rounded down to a multiple of align. */
    private static int boundary(int n, int c, int chunks, int align) {
        if (c >= chunks) {
            return n;
        }
        int b = (int) ((long) n * c / chunks);
        return b - b % align;
    }

    /**
     * Runs the {@code chunks} parts of [0, n): chunk 0 on the caller, the others claimed in index order by whichever
     * thread is free first, the caller included. A chunk covers the same range whoever runs it, so results do not
     * change; but when the machine is busy and a worker has not been scheduled yet, the caller takes its chunk instead
     * of sleeping until the worker runs (on two shared cores that wait had made small loops several times slower).
     */
    private static void forChunks(int n, int chunks, int align, RangeBody body) {
        Loop loop = new Loop(n, chunks, align, body);
        // one helper per other chunk, at most one per worker: each helper claims chunks until none is left
        Future<?>[] helpers = new Future<?>[Math.min(chunks - 1, THREADS - 1)];
        for (int h = 0; h < helpers.length; h++) {
            helpers[h] = POOL.submit(loop::claimAll);
        }
        INSIDE.set(Boolean.TRUE);
        try {
            loop.run(0);
            loop.claimAll();
        } finally {
            INSIDE.set(Boolean.FALSE);
        }
        try {
            spinUntilDone(loop.done);
            loop.done.await();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("cm4j: interrupted while waiting for a parallel loop", e);
        } finally {
            // helpers still queued would find nothing left to claim: drop them
            for (Future<?> f : helpers) {
                f.cancel(false);
            }
        }
        loop.rethrow();
    }

    /** The shared state of one parallel loop: the next unclaimed chunk, a count of unfinished ones, the failure. */
    private static final class Loop {
        final int n;
        final int chunks;
        final int align;
        final RangeBody body;
        final AtomicInteger next = new AtomicInteger(1);
        final java.util.concurrent.CountDownLatch done;
        /** The failure of the lowest-numbered chunk that failed, so the error reported does not depend on timing. */
        private Throwable failure;
        private int failedChunk = Integer.MAX_VALUE;

        Loop(int n, int chunks, int align, RangeBody body) {
            this.n = n;
            this.chunks = chunks;
            this.align = align;
            this.body = body;
            this.done = new java.util.concurrent.CountDownLatch(chunks - 1);
        }

        /** Claims and runs chunks 1.. until none is left (on a worker: marked as inside a parallel loop). */
        void claimAll() {
            boolean outer = !INSIDE.get();
            INSIDE.set(Boolean.TRUE);
            try {
                for (int c = next.getAndIncrement(); c < chunks; c = next.getAndIncrement()) {
                    run(c);
                    done.countDown();
                }
            } finally {
                if (outer) {
                    INSIDE.set(Boolean.FALSE);
                }
            }
        }

        void run(int c) {
            int start = boundary(n, c, chunks, align);
            int end = boundary(n, c + 1, chunks, align);
            if (start >= end) {
                return; // rounding emptied this chunk
            }
            try {
                body.run(start, end);
            } catch (RuntimeException | Error e) {
                synchronized (this) {
                    if (c < failedChunk) {
                        failedChunk = c;
                        failure = e;
                    }
                }
            }
        }

        synchronized void rethrow() {
            if (failure instanceof RuntimeException re) {
                throw re;
            }
            if (failure instanceof Error err) {
                throw err;
            }
        }
    }

    /** Polls the latch for {@link #SPIN_NANOS} at most, so a loop that ends soon does not put the caller to sleep. */
    private static void spinUntilDone(java.util.concurrent.CountDownLatch done) {
        if (done.getCount() == 0) {
            return;
        }
        long deadline = System.nanoTime() + SPIN_NANOS;
        for (int i = 1; done.getCount() > 0; i++) {
            Thread.onSpinWait();
            if ((i & 63) == 0 && System.nanoTime() > deadline) {
                return;
            }
        }
    }

    /**
     * The workers' task queue: {@link #take()} polls for {@link #SPIN_NANOS} before it blocks, so a worker that has
     * just finished a chunk picks up the next loop without being woken.
     */
    private static final class SpinningQueue extends LinkedBlockingQueue<Runnable> {
        private static final long serialVersionUID = 1L;

        @Override
        public Runnable take() throws InterruptedException {
            long deadline = System.nanoTime() + SPIN_NANOS;
            for (int i = 1; ; i++) {
                Runnable r = poll();
                if (r != null) {
                    return r;
                }
                Thread.onSpinWait();
                if ((i & 63) == 0 && System.nanoTime() > deadline) {
                    return super.take();
                }
            }
        }
    }

    private static ThreadFactory daemonThreads() {
        AtomicInteger count = new AtomicInteger();
        return r -> {
            Thread t = new Thread(r, "cm4j-worker-" + count.incrementAndGet());
            t.setDaemon(true);
            return t;
        };
    }
}
