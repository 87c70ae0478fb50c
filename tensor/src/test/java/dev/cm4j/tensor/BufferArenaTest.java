package dev.cm4j.tensor;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotSame;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;

/** The lending rules of {@link BufferPool} and {@link BufferArena}: reuse, escape detection, keep, nesting. */
class BufferArenaTest {
    private static final float[] SEVEN = {1, 2, 3, 4, 5, 6, 7};

    @Test
    void arraysComeBackAndAreLentAgainZeroed() {
        BufferPool pool = new BufferPool(true);
        float[] first;
        try (BufferArena a = pool.open()) {
            Tensor t = Tensor.of(SEVEN, 7).add(1f);
            assertTrue(BufferArena.isLent(t));
            first = t.data();
        }
        assertEquals(28, pool.freeBytes());
        try (BufferArena a = pool.open()) {
            Tensor u = Tensor.output(7);
            assertSame(first, u.data(), "the array given back is lent again");
            assertArrayEquals(new float[7], u.toArray(), "a lent array is zero-filled");
            Tensor v = Tensor.output(7);
            assertNotSame(first, v.data(), "an array is lent to one tensor at a time");
        }
        assertArrayEquals(new long[] {3, 2}, pool.counts());
    }

    @Test
    void aTensorThatEscapesItsArenaThrowsNamingTheProblem() {
        BufferPool pool = new BufferPool(true);
        Tensor escaped;
        Tensor view;
        try (BufferArena a = pool.open()) {
            escaped = Tensor.of(SEVEN, 7).mul(2f);
            view = escaped.reshape(7, 1);
        }
        IllegalStateException e = assertThrows(IllegalStateException.class, () -> escaped.get(6));
        assertTrue(e.getMessage().contains("Tensor.get") && e.getMessage().contains("[7]")
                && e.getMessage().contains("BufferArena.keep"), e.getMessage());
        assertThrows(IllegalStateException.class, view::toArray, "a view shares its tensor's fate");
        assertThrows(IllegalStateException.class, () -> view.add(1f));
        assertThrows(IllegalStateException.class, () -> Tensor.zeros(7).copyFrom(escaped));
        assertTrue(escaped.toString().contains("given back"), escaped.toString());
    }

    @Test
    void keptTensorsAndExplicitAllocationsSurviveAndAreNeverLentAgain() {
        BufferPool pool = new BufferPool(true);
        Tensor kept;
        Tensor zeros;
        Tensor copy;
        try (BufferArena a = pool.open()) {
            kept = BufferArena.keep(Tensor.of(SEVEN, 7).mul(2f));
            zeros = Tensor.zeros(7);
            copy = kept.copy();
            assertFalse(BufferArena.isLent(kept));
            assertFalse(BufferArena.isLent(zeros));
            assertFalse(BufferArena.isLent(copy));
        }
        assertEquals(0, pool.freeBytes(), "nothing was given back");
        try (BufferArena a = pool.open()) {
            for (int i = 0; i < 4; i++) {
                assertNotSame(kept.data(), Tensor.output(7).data());
            }
        }
        assertEquals(14f, kept.get(6));
        assertEquals(0f, zeros.get(0));
        assertArrayEquals(kept.toArray(), copy.toArray());
    }

    @Test
    void recycleGivesBackEarlyOnlyWhatThisThreadsArenaLent() {
        BufferPool pool = new BufferPool(true);
        try (BufferArena a = pool.open()) {
            Tensor t = Tensor.output(5);
            float[] array = t.data();
            Tensor mine = Tensor.zeros(5);
            assertTrue(BufferArena.recycle(t));
            assertFalse(BufferArena.recycle(t), "given back once");
            assertFalse(BufferArena.recycle(mine));
            assertThrows(IllegalStateException.class, t::data);
            assertSame(array, Tensor.output(5).data(), "the recycled array is lent again in the same arena");
        }
    }

    @Test
    void arenasNestAndMustCloseInReverseOrder() {
        BufferPool outerPool = new BufferPool(true);
        BufferPool innerPool = new BufferPool(true);
        try (BufferArena outer = outerPool.open()) {
            Tensor a = Tensor.output(3);
            Tensor b;
            try (BufferArena inner = innerPool.open()) {
                b = Tensor.output(3);
            }
            assertThrows(IllegalStateException.class, b::data, "closed with the inner arena");
            a.fill(1f);
            assertTrue(BufferArena.isLent(Tensor.output(3)), "the outer arena lends again");
            BufferArena inner = innerPool.open();
            assertThrows(IllegalStateException.class, outer::close);
            inner.close();
        }
        assertFalse(BufferArena.isOpen());
        assertEquals(12, innerPool.freeBytes());
        assertEquals(24, outerPool.freeBytes());
    }

    @Test
    void disabledPoolsAndOtherThreadsLendNothing() throws Exception {
        BufferPool off = new BufferPool(false);
        Tensor t;
        try (BufferArena a = off.open()) {
            assertFalse(BufferArena.isOpen());
            t = Tensor.output(4);
        }
        assertFalse(BufferArena.isLent(t));
        assertEquals(0f, t.get(3), "not lent: usable after the arena");
        BufferPool pool = new BufferPool(true);
        AtomicReference<Tensor> other = new AtomicReference<>();
        try (BufferArena a = pool.open()) {
            Thread th = new Thread(() -> other.set(Tensor.output(4)));
            th.start();
            th.join();
            assertFalse(BufferArena.isLent(other.get()));
        }
        assertEquals(0f, other.get().get(0), "allocated on another thread: not lent, still usable");
    }
}
