/**
 * Sample-quality metrics: sliced Wasserstein and energy distance for low-dimensional data
 * (docs/ALGORITHMS.md#metrics). The image feature distance comes here.
 */
package dev.cm4j.consistency.metrics;
