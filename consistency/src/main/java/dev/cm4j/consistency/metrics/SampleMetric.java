package dev.cm4j.consistency.metrics;

import dev.cm4j.tensor.Tensor;
import java.util.function.Supplier;

/**
 * A distance between two sets of samples (n, d) and (m, d), as used to score generated 2-D data against fresh data.
 */
public interface SampleMetric {
    /** The distance between the empirical distributions of {@code a} (n, d) and {@code b} (m, d). */
    double distance(Tensor a, Tensor b);

    /** A short name for tables ("SW1", "energy"). */
    String name();

    /**
     * The metric's floor: the distance between two independent fresh draws of the data, of the sizes used for
     * scoring. No sampler can be expected to score below it; it is the finite-sample noise of the metric.
     */
    default double floor(Supplier<Tensor> freshDraw) {
        return distance(freshDraw.get(), freshDraw.get());
    }

    /** Checks that both sets are (n, d) matrices with the same d and at least one row. */
    static int checkPair(String op, Tensor a, Tensor b) {
        if (a.rank() != 2 || b.rank() != 2 || a.dim(1) != b.dim(1) || a.dim(0) == 0 || b.dim(0) == 0) {
            throw new IllegalArgumentException(op + ": need two non-empty sample sets (n, d) and (m, d), got "
                    + java.util.Arrays.toString(a.shape()) + " and " + java.util.Arrays.toString(b.shape()));
        }
        return a.dim(1);
    }
}
