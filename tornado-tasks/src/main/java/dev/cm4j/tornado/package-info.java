/**
 * The TornadoVM backend: {@code @Parallel} shells over the kernel bodies of {@code dev.cm4j.tensor.kernels},
 * {@code KernelContext} kernels where local memory matters (tiled GEMM and convolution, flash attention), each with a
 * JVM reference, and the task graphs and execution plans that keep weights on the device. Built only where a
 * TornadoVM SDK is installed (docs/GPU.md).
 */
package dev.cm4j.tornado;
