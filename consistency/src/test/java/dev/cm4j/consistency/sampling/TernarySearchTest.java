package dev.cm4j.consistency.sampling;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.cm4j.tensor.Rng;
import java.util.function.IntToDoubleFunction;
import org.junit.jupiter.api.Test;

class TernarySearchTest {
    @Test
    void findsTheMinimumOfUnimodalCostsLikeBruteForce() {
        Rng rng = new Rng(17);
        for (int trial = 0; trial < 2000; trial++) {
            int begin = rng.nextInt(20) - 10;
            int end = begin + 2 + rng.nextInt(trial < 200 ? 6 : 300);
            // a strictly unimodal cost with its minimum anywhere in (begin, end), possibly at either edge
            double centre = begin + 1 + rng.nextDouble() * (end - begin - 2);
            double power = 0.5 + 2 * rng.nextDouble();
            IntToDoubleFunction cost = p -> Math.pow(Math.abs(p - centre), power) + 1e-9 * p;
            int brute = begin + 1;
            for (int p = begin + 1; p < end; p++) {
                if (cost.applyAsDouble(p) < cost.applyAsDouble(brute)) {
                    brute = p;
                }
            }
            TernarySearch.Result r = TernarySearch.minimise(begin, end, cost);
            assertEquals(brute, r.best(), "range (" + begin + ", " + end + "), centre " + centre);
            int n = end - begin - 1;
            assertTrue(r.evaluated().size() <= 2 * Math.ceil(Math.log(Math.max(n, 1)) / Math.log(1.5)) + 3,
                    n + " candidates took " + r.evaluated().size() + " evaluations");
            assertTrue(r.evaluated().keySet().stream().allMatch(p -> p > begin && p < end));
        }
    }

    @Test
    void exhaustiveSearchFindsTheGlobalMinimumOfABimodalCost() {
        // two dips: ternary search may settle in either, the exhaustive search takes the deeper one
        IntToDoubleFunction cost = p -> Math.min(Math.abs(p - 2) + 0.5, Math.abs(p - 12));
        TernarySearch.Result r = TernarySearch.exhaustive(0, 17, cost);
        assertEquals(12, r.best());
        assertEquals(16, r.evaluated().size());
        assertEquals(0.0, r.cost());
        assertThrows(IllegalArgumentException.class, () -> TernarySearch.exhaustive(5, 6, cost));
    }

    @Test
    void evaluatesEachIndexOnce() {
        int[] calls = new int[200];
        TernarySearch.minimise(0, 199, p -> {
            calls[p]++;
            return Math.abs(p - 123);
        });
        for (int c : calls) {
            assertTrue(c <= 1);
        }
    }

    @Test
    void rejectsEmptyRangesAndNaNCosts() {
        assertThrows(IllegalArgumentException.class, () -> TernarySearch.minimise(3, 4, p -> 0));
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> TernarySearch.minimise(0, 10, p -> Double.NaN));
        assertTrue(e.getMessage().contains("NaN"), e.getMessage());
    }
}
