package dev.cm4j.tensor.kernels;

/**
 * op(A) of a GEMM as a packer rather than a matrix: whatever produces op(A) writes each MC x KC block straight into the
 * row-major block the micro-kernel reads ({@link GemmPack} gives the layout). A matrix operand is
 * {@link GemmPack#matrixA}; a convolution's patch rows are {@link Im2colRows}.
 *
 * <p>Implementations only move data: for the same op(A) they must write the same floats as {@link GemmPack#packA}, so
 * the product is bit-identical whichever source feeds it. They are called concurrently by the GEMM's threads (each
 * with its own {@code dst}) and must not keep state between calls.
 */
@FunctionalInterface
interface GemmASource {
    /** Packs op(A)[i0 .. i0+mc, p0 .. p0+kc) into {@code dst} as an mc x kc row-major block: (i, p) at i*kc + p. */
    void pack(int i0, int mc, int p0, int kc, float[] dst);
}
