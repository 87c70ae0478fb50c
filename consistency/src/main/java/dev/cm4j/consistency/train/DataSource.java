package dev.cm4j.consistency.train;

import dev.cm4j.tensor.Rng;
import dev.cm4j.tensor.Tensor;
import java.util.Arrays;
import java.util.function.BiFunction;

/**
 * Training data: a batch of {@code n} samples (n, ...) drawn with the trainer's generator, so a resumed run draws the
 * same batches. {@code Toy2d::sample} is one. A class-conditional source also returns one label per sample
 * ({@link #batch}); make one with {@link #labelled}.
 */
@FunctionalInterface
public interface DataSource {
    /** n samples (n, ...). */
    Tensor sample(int n, Rng rng);

    /** n samples and their labels; an unlabelled source returns null labels. */
    default Batch batch(int n, Rng rng) {
        return new Batch(sample(n, rng), null);
    }

    /**
     * One batch of training data.
     *
     * @param x the samples (n, ...)
     * @param labels one class per sample (n), or null for unlabelled data
     */
    record Batch(Tensor x, int[] labels) {
        public Batch {
            if (x == null || x.rank() < 1) {
                throw new IllegalArgumentException("DataSource.Batch: need samples with a leading batch axis, got "
                        + (x == null ? "null" : Arrays.toString(x.shape())));
            }
            if (labels != null && labels.length != x.dim(0)) {
                throw new IllegalArgumentException("DataSource.Batch: " + labels.length + " labels for "
                        + x.dim(0) + " samples");
            }
        }
    }

    /** A source of labelled batches. */
    static DataSource labelled(BiFunction<Integer, Rng, Batch> draw) {
        return new DataSource() {
            @Override
            public Tensor sample(int n, Rng rng) {
                return batch(n, rng).x();
            }

            @Override
            public Batch batch(int n, Rng rng) {
                Batch b = draw.apply(n, rng);
                if (b == null || b.x().dim(0) != n) {
                    throw new IllegalArgumentException("DataSource.labelled: asked for " + n + " samples, got "
                            + (b == null ? "null" : Arrays.toString(b.x().shape())));
                }
                return b;
            }
        };
    }
}
