/**
 * Dense float32 tensors on heap arrays, row-major, with the ops every layer needs.

 * <p>{@link dev.cm4j.tensor.Tensor} carries a shape and an offset into its array; the op families
 * ({@link dev.cm4j.tensor.ElementwiseOps}, {@link dev.cm4j.tensor.Reductions}, {@link dev.cm4j.tensor.ShapeOps},
 * {@link dev.cm4j.tensor.MatMul}, {@link dev.cm4j.tensor.NN}) check their inputs, naming the op and the shapes, and
 * call the static kernels of {@code dev.cm4j.tensor.kernels}. {@link dev.cm4j.tensor.Parallel} splits work into fixed
 * chunks on one pool and {@link dev.cm4j.tensor.Rng} draws from a counter-based Philox stream, so results depend on
 * the seeds only, never on the thread count. {@link dev.cm4j.tensor.Simd} decides once whether the Vector API
 * kernels run (docs/ARCHITECTURE.md). {@link dev.cm4j.tensor.BufferPool} and {@link dev.cm4j.tensor.BufferArena} let the
 * results of ops reuse arrays from one training or sampling step to the next; a tensor used after its arena took its
 * array back throws.
 *
 * <p><b>API</b>: public and kept compatible; exported by the module {@code dev.cm4j.tensor}.
 */
package dev.cm4j.tensor;
