package dev.cm4j.tensor;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * The chunking of {@link Parallel#forRange}: exact cover of the range, and aligned boundaries when asked; and
 * {@link Parallel#forItems}: every item once, the lowest failing item's error.
 */
class ParallelTest {

    /** The (start, end) chunks one call hands out, sorted by start. */
    private static List<int[]> chunks(int n, int grain, int align) {
        List<int[]> out = new ArrayList<>();
        Parallel.forRange(n, grain, align, (s, e) -> {
            synchronized (out) {
                out.add(new int[] {s, e});
            }
        });
        out.sort((a, b) -> Integer.compare(a[0], b[0]));
        return out;
    }

    @Test
    void alignedChunksCoverTheRangeOnceAndStartOnMultiplesOfTheAlignment() {
        for (int n : new int[] {1, 63, 64, 65, 4097, 49_157, 147_458}) {
            for (int align : new int[] {1, 16, 64}) {
                List<int[]> cs = chunks(n, 16, align);
                int at = 0;
                for (int[] c : cs) {
                    assertEquals(at, c[0], "n=" + n + " align=" + align + ": chunks must tile [0, n)");
                    assertTrue(c[1] > c[0], "n=" + n + ": an empty chunk was run");
                    assertEquals(0, c[0] % align, "n=" + n + ": chunk start " + c[0] + " not a multiple of " + align);
                    at = c[1];
                }
                assertEquals(n, at, "n=" + n + " align=" + align);
                assertTrue(cs.size() <= Parallel.threads());
            }
        }
        // the plain overload is align 1: same chunks
        List<int[]> plain = new ArrayList<>();
        Parallel.forRange(1001, 16, (s, e) -> {
            synchronized (plain) {
                plain.add(new int[] {s, e});
            }
        });
        assertEquals(chunks(1001, 16, 1).size(), plain.size());
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> Parallel.forRange(10, 1, 0, (s, t) -> { }));
        assertEquals("Parallel.forRange: align 0 must be >= 1", e.getMessage());
    }

    /**
     * A loop completes when no worker is free: a first loop (on another thread) holds its second chunk, which a worker
     * may have claimed; a second loop's chunks are then run by its caller instead of waiting for that worker.
     */
    @Test
    void aLoopFinishesOnItsCallerWhileTheWorkersAreBusy() throws Exception {
        java.util.concurrent.CountDownLatch held = new java.util.concurrent.CountDownLatch(1);
        java.util.concurrent.CountDownLatch release = new java.util.concurrent.CountDownLatch(1);
        Thread first = new Thread(() -> Parallel.forRange(1000, 1, (s, e) -> {
            if (s > 0) {
                held.countDown();
                try {
                    release.await();
                } catch (InterruptedException ex) {
                    Thread.currentThread().interrupt();
                }
            }
        }));
        first.start();
        try {
            if (Parallel.threads() > 1) {
                assertTrue(held.await(10, java.util.concurrent.TimeUnit.SECONDS), "the first loop's second chunk ran");
            }
            float[] out = new float[1000];
            org.junit.jupiter.api.Assertions.assertTimeoutPreemptively(java.time.Duration.ofSeconds(10), () ->
                    Parallel.forRange(out.length, 1, (s, e) -> {
                        for (int i = s; i < e; i++) {
                            out[i] = i;
                        }
                    }));
            for (int i = 0; i < out.length; i++) {
                assertEquals(i, out[i]);
            }
        } finally {
            release.countDown();
            first.join();
        }
    }

    @Test
    void theLowestNumberedChunksFailureIsThrown() {
        IllegalStateException e = assertThrows(IllegalStateException.class, () -> Parallel.forRange(1000, 1,
                (s, t) -> {
                    throw new IllegalStateException("chunk at " + s);
                }));
        assertEquals("chunk at 0", e.getMessage());
        // an Error passes through as itself
        AssertionError a = assertThrows(AssertionError.class, () -> Parallel.forRange(1000, 1, (s, t) -> {
            if (s > 0 || Parallel.threads() == 1) {
                throw new AssertionError("late chunk");
            }
        }));
        assertEquals("late chunk", a.getMessage());
    }
    @Test
    void forItemsRunsEveryItemOnceWhoeverClaimsIt() {
        for (int n : new int[] {0, 1, 2, 3, 7, 64, 1001}) {
            java.util.concurrent.atomic.AtomicIntegerArray runs = new java.util.concurrent.atomic.AtomicIntegerArray(
                    Math.max(1, n));
            Parallel.forItems(n, i -> {
                runs.incrementAndGet(i);
                // a nested loop runs inline on the item's thread
                int[] inner = new int[3];
                Parallel.forRange(inner.length, 1, (s, e) -> {
                    for (int j = s; j < e; j++) {
                        inner[j]++;
                    }
                });
                assertEquals(3, inner[0] + inner[1] + inner[2]);
            });
            for (int i = 0; i < n; i++) {
                assertEquals(1, runs.get(i), "n=" + n + ": item " + i);
            }
        }
        IllegalStateException e = assertThrows(IllegalStateException.class, () -> Parallel.forItems(50, i -> {
            if (i % 7 == 3) {
                throw new IllegalStateException("item " + i);
            }
        }));
        assertEquals("item 3", e.getMessage());
    }

    /** A checked exception thrown without being declared fails the loop instead of leaving its caller waiting. */
    @Test
    void anUndeclaredCheckedExceptionFailsTheLoop() {
        Throwable e = assertThrows(Throwable.class, () -> Parallel.forItems(8, i -> {
            if (i >= 1) {
                ParallelTest.<RuntimeException>sneaky(new java.io.IOException("item " + i));
            }
        }));
        // in parallel the loop wraps it; run inline (one thread) it passes through as itself
        Throwable cause = Parallel.threads() > 1 ? e.getCause() : e;
        assertTrue(Parallel.threads() == 1 || e instanceof IllegalStateException, e.toString());
        assertTrue(cause instanceof java.io.IOException, e.toString());
        assertEquals("item 1", cause.getMessage());
    }

    @SuppressWarnings("unchecked")
    private static <T extends Throwable> void sneaky(Throwable t) throws T {
        throw (T) t;
    }
}
