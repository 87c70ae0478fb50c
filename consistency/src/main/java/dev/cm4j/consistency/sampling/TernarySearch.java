package dev.cm4j.consistency.sampling;

import java.util.Collections;
import java.util.Map;
import java.util.TreeMap;
import java.util.function.IntToDoubleFunction;

/**
 * Integer ternary search for the intermediate time of two-step consistency sampling (Song et al. 2023, Section 6;
 * {@code scripts/ternary_search.py}): finds the index p with {@code begin < p < end} that minimises a quality metric
 * (FID for images, a sample distance for 2-D data), assuming the metric is unimodal in p.
 *
 * <p>While the bracket [l, r] holds more than three candidates, {@code m1 = l + (r-l)/3}, {@code m2 = r - (r-l)/3};
 * if cost(m1) &lt; cost(m2) the minimum is not right of m2, else not left of m1. The remaining two or three candidates
 * are all evaluated (the reference script's final branch returns stale values there). Costs are cached, so every
 * index is evaluated at most once; the caller should use a fixed seed inside the cost so values are comparable.
 */
public final class TernarySearch {
    /**
     * The result of a search.
     *
     * @param best the minimising index
     * @param cost its cost
     * @param evaluated every index evaluated, with its cost, in index order
     */
    public record Result(int best, double cost, Map<Integer, Double> evaluated) {
    }

    private TernarySearch() {
    }

    /** Minimises {@code cost} over the integers strictly between {@code begin} and {@code end}. */
    public static Result minimise(int begin, int end, IntToDoubleFunction cost) {
        Map<Integer, Double> cache = new TreeMap<>();
        IntToDoubleFunction cached = cached("TernarySearch.minimise", begin, end, cost, cache);
        int l = begin + 1;
        int r = end - 1;
        while (r - l >= 3) {
            int m1 = l + (r - l) / 3;
            int m2 = r - (r - l) / 3;
            if (cached.applyAsDouble(m1) < cached.applyAsDouble(m2)) {
                r = m2;
            } else {
                l = m1;
            }
        }
        int best = l;
        for (int p = l; p <= r; p++) {
            if (cached.applyAsDouble(p) < cached.applyAsDouble(best)) {
                best = p;
            }
        }
        return new Result(best, cache.get(best), Collections.unmodifiableMap(cache));
    }

    /**
     * Evaluates every index strictly between {@code begin} and {@code end} and returns the best: for metrics cheap
     * enough to afford it, and for curves that are not unimodal, where the ternary search can stop in a local minimum
     * (two-step scores of a small consistency model can dip twice: near sigmaMax, where two steps act like one, and
     * again at a medium sigma).
     */
    public static Result exhaustive(int begin, int end, IntToDoubleFunction cost) {
        Map<Integer, Double> cache = new TreeMap<>();
        IntToDoubleFunction cached = cached("TernarySearch.exhaustive", begin, end, cost, cache);
        int best = begin + 1;
        for (int p = begin + 1; p < end; p++) {
            if (cached.applyAsDouble(p) < cached.applyAsDouble(best)) {
                best = p;
            }
        }
        return new Result(best, cache.get(best), Collections.unmodifiableMap(cache));
    }

    /** The cost with a cache and a NaN check, after checking that the range holds a candidate. */
    private static IntToDoubleFunction cached(String op, int begin, int end, IntToDoubleFunction cost,
                                              Map<Integer, Double> cache) {
        if (end - begin < 2) {
            throw new IllegalArgumentException(op + ": no index strictly between " + begin + " and " + end);
        }
        return p -> cache.computeIfAbsent(p, q -> {
            double c = cost.applyAsDouble(q);
            if (Double.isNaN(c)) {
                throw new IllegalArgumentException(op + ": cost of index " + q + " is NaN");
            }
            return c;
        });
    }
}
