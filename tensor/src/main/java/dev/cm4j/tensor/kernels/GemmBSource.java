package dev.cm4j.tensor.kernels;

/**
 * op(B) of a GEMM as a packer rather than a matrix: whatever produces op(B) writes each KC x NC block straight into the
 * NR-column panels the micro-kernel streams ({@link GemmPack} gives the layout). A matrix operand is
 * {@link GemmPack#matrixB}; a convolution's patch matrix is {@link Im2colPanels}, which reads the image itself and so
 * never stores the (C*kh*kw, Ho*Wo) column matrix.
 *
 * <p>Implementations only move data: for the same op(B) they must write the same floats as {@link GemmPack#packB},
 * so the product is bit-identical whichever source feeds it. They are called concurrently by the GEMM's threads
 * (each with its own {@code dst}) and must not keep state between calls.
 */
@FunctionalInterface
interface GemmBSource {
    /**
     * Packs op(B)[p0 .. p0+kc, j0 .. j0+nc) into {@code dst} as ceil(nc / nr) panels: element (p, j) of the block at
     * {@code (j / nr) * nr * kc + p * nr + j % nr}, columns past nc of the last panel as zeros.
     */
    void pack(int p0, int kc, int j0, int nc, int nr, float[] dst);
}
