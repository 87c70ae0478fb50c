package dev.cm4j.consistency.train;

import dev.cm4j.tensor.Rng;
import dev.cm4j.tensor.Tensor;

/**
 * Training data: a batch of {@code n} samples (n, ...) drawn with the trainer's generator, so a resumed run draws
 * the same batches. {@code Toy2d::sample} is one.
 */
@FunctionalInterface
public interface DataSource {
    Tensor sample(int n, Rng rng);
}
