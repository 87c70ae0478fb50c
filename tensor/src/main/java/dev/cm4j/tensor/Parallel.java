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
 * <p>Waiting threads spin before they sleep, 100 µs by default: a worker that has finished a loop polls for the next
 * one, and a caller that has finished its chunks polls for the workers' before it blocks. Waking a sleeping thread
 * takes tens of microseconds, about the length of a small loop's chunk, so without the spin the caller usually ran a
 * small loop's chunks alone (docs/PERFORMANCE.md, "Spinning workers"). {@code -Dcm4j.spin=MICROSECONDS} sets the
 * time ({@code 0} turns the spin off, for a machine shared with other busy processes); with more threads than
 * processors nothing spins, since a spinning thread would hold the processor that the awaited one needs.
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
    /** The system property of the spin before a wait, in microseconds. */
    public static final String SPIN_PROPERTY = "cm4j.spin";
    /** Why {@code cm4j.spin} cannot be used, or null when it can. */
    private static final String SPIN_ERROR = spinError(System.getProperty(SPIN_PROPERTY));
    /** How long a waiting thread polls before it sleeps, in nanoseconds (0: it sleeps at once). */
    static final long SPIN_NANOS = SPIN_ERROR != null || THREADS > Runtime.getRuntime().availableProcessors() ? 0
            : 1000L * (System.getProperty(SPIN_PROPERTY) == null ? 100
                    : Long.parseLong(System.getProperty(SPIN_PROPERTY).trim()));
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
        if (SPIN_ERROR != null) {
            throw new IllegalArgumentException(SPIN_ERROR);
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

    /** The problem with a {@code cm4j.spin} value, or null when it is absent or an integer from 0 to 10^6. */
    static String spinError(String value) {
        if (value == null) {
            return null;
        }
        try {
            long v = Long.parseLong(value.trim());
            if (v >= 0 && v <= 1_000_000) {
                return null;
            }
        } catch (NumberFormatException e) {
            // reported below
        }
        return "-D" + SPIN_PROPERTY + "=" + value + " is not a number of microseconds from 0 to 1000000; give how long "
                + "a waiting thread polls before it sleeps (e.g. -D" + SPIN_PROPERTY + "=0 to sleep at once) or leave it"
                + " out for 100";
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
     * one item, one thread, or when called from inside another parallel loop. When items fail, the lowest-numbered
     * failure is thrown; run inline, the items after it do not run, run in parallel they may have.
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
        // Every chunk is claimed by now and the ones left run on workers: wait for them whatever happens, so no worker
        // still writes into the loop's outputs after the call returns. An interrupt is kept for the caller to see.
        boolean interrupted = false;
        try {
            spinUntilDone(loop.done);
            while (true) {
                try {
                    loop.done.await();
                    break;
                } catch (InterruptedException e) {
                    interrupted = true;
                }
            }
        } finally {
            if (interrupted) {
                Thread.currentThread().interrupt();
            }
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
                    try {
                        run(c);
                    } finally {
                        done.countDown();
                    }
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
            } catch (Throwable e) { // an Error, a RuntimeException, or a checked exception thrown without declaring it
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
            if (failure != null) {
                throw new IllegalStateException("cm4j: chunk " + failedChunk + " of a parallel loop failed", failure);
            }
        }
    }

    /** Polls the latch for {@link #SPIN_NANOS} at most, so a loop that ends soon does not put the caller to sleep. */
    private static void spinUntilDone(java.util.concurrent.CountDownLatch done) {
        if (SPIN_NANOS == 0 || done.getCount() == 0) {
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
            if (SPIN_NANOS == 0) {
                return super.take();
            }
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
