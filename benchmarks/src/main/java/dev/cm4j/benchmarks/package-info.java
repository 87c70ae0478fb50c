/**
 * JMH benchmarks of the kernel families and of a training step, reporting GFLOPS; docs/PERFORMANCE.md holds
 * the figures measured side by side with the peers. Never a dependency of the library.
 */
package dev.cm4j.benchmarks;
