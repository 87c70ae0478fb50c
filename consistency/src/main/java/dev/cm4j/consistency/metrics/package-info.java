/**
 * Sample-quality metrics: sliced Wasserstein and energy distance for low-dimensional data
 * (docs/ALGORITHMS.md#metrics); for 28 x 28 images the Fashion-MNIST feature distance (FD), precision and recall on the
 * features of cm4j's own classifier, whose weights are a resource of this package (docs/ALGORITHMS.md#fd-evaluator).
 * Uses {@code data} for the training images of the classifier; never {@code train}.
 *
 * <p><b>API</b>: public and kept compatible; the facade for the common path is {@link dev.cm4j.consistency.api}.
 */
package dev.cm4j.consistency.metrics;
