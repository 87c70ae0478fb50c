package dev.cm4j.tensor;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The chunking of {@link Parallel#forRange}: exact cover of the range, and aligned boundaries when asked. */
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
}
