package dev.cm4j.tensor;

import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.ThreadFactory;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * The one shared worker pool of cm4j.
 *
 * <p>Work is split into a fixed number of contiguous chunks, so every output element is computed by exactly one thread
 * in a fixed order: results never depend on scheduling. Reductions that must not depend on the thread count either
 * split their input into blocks of a size fixed by the kernel (not by the thread count) and combine the partial
 * results in block order. Nested calls run inline on the calling thread (no nested parallelism).
 *
 * <p>{@code -Dcm4j.threads=N} sets the pool size (default: available processors).
 */
public final class Parallel {
    /** Body of a parallel loop over the half-open range [start, end). */
    @FunctionalInterface
    public interface RangeBody {
        void run(int start, int end);
    }

    private static final int THREADS = Math.max(1,
            Integer.getInteger("cm4j.threads", Runtime.getRuntime().availableProcessors()));
    private static final ThreadLocal<Boolean> INSIDE = ThreadLocal.withInitial(() -> Boolean.FALSE);
    private static final ExecutorService POOL = THREADS > 1 ? Executors.newFixedThreadPool(THREADS - 1, daemonThreads()) : null;

    private Parallel() {
    }

    /** Number of threads a parallel loop uses. */
    public static int threads() {
        return THREADS;
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

    /** Start of chunk {@code c} of {@code chunks} near-equal parts of [0, n), rounded down to a multiple of align. */
    private static int boundary(int n, int c, int chunks, int align) {
        if (c >= chunks) {
            return n;
        }
        int b = (int) ((long) n * c / chunks);
        return b - b % align;
    }

    /** Runs chunk {@code c} of {@code chunks} parts of [0, n) on its own worker; chunk 0 runs on the caller. */
    private static void forChunks(int n, int chunks, int align, RangeBody body) {
        @SuppressWarnings("unchecked")
        Future<?>[] futures = new Future<?>[chunks - 1];
        for (int c = 1; c < chunks; c++) {
            int start = boundary(n, c, chunks, align);
            int end = boundary(n, c + 1, chunks, align);
            if (start >= end) {
                continue; // rounding emptied this chunk
            }
            futures[c - 1] = POOL.submit(() -> {
                INSIDE.set(Boolean.TRUE);
                try {
                    body.run(start, end);
                } finally {
                    INSIDE.set(Boolean.FALSE);
                }
            });
        }
        RuntimeException failure = null;
        INSIDE.set(Boolean.TRUE);
        try {
            int end0 = boundary(n, 1, chunks, align);
            if (end0 > 0) {
                body.run(0, end0);
            }
        } catch (RuntimeException e) {
            failure = e;
        } finally {
            INSIDE.set(Boolean.FALSE);
        }
        for (Future<?> f : futures) {
            if (f == null) {
                continue;
            }
            try {
                f.get();
            } catch (java.util.concurrent.ExecutionException e) {
                Throwable cause = e.getCause();
                if (failure == null) {
                    failure = cause instanceof RuntimeException re ? re : new IllegalStateException(cause);
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                if (failure == null) {
                    failure = new IllegalStateException("cm4j: interrupted while waiting for a parallel loop", e);
                }
            }
        }
        if (failure != null) {
            throw failure;
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
