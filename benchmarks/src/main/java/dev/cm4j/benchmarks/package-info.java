/**
 * JMH benchmarks of the kernel families and of a training step, reporting GFLOPS; docs/PERFORMANCE.md holds
 * the figures measured side by side with the peers. Where separate JMH forks move by more than the effect to be
 * measured, a harness compares the cases interleaved in one JVM: {@link dev.cm4j.benchmarks.MlpOverhead} (autodiff
 * against raw kernels) and {@link dev.cm4j.benchmarks.UNetFlatness} (the U-Net step's time per image over the batch).
 * Never a dependency of the library.
 */
package dev.cm4j.benchmarks;
