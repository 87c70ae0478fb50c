package dev.cm4j.tensor.kernels;

/**
 * The scalar micro-kernel: a 4 x 4 tile held in 16 local accumulators. It is the fallback when the Vector API is
 * unavailable and the twin the vector kernel is tested beside (same driver, same packing, plain Java arithmetic).
 */
final class GemmMicroKernelReference extends GemmMicroKernel {
    static final int MR = 4;
    static final int NR = 4;
    static final GemmMicroKernelReference INSTANCE = new GemmMicroKernelReference();

    private GemmMicroKernelReference() {
        super(MR, NR);
    }

    // A rows (4, kc) at a[a0 + i*rs + p], pb (kc, 4) panel -> C tile (rows, cols) at c[ic], row stride ldc
    @Override
    void tile(int kc, float[] a, int a0, int rs, float[] pb, int ib, float alpha, float beta,
              float[] c, int ic, int ldc, int rows, int cols, float[] scratch) {
        // rows past the edge re-read the last row; their results are never stored
        int r0 = a0;
        int r1 = a0 + Math.min(1, rows - 1) * rs;
        int r2 = a0 + Math.min(2, rows - 1) * rs;
        int r3 = a0 + Math.min(3, rows - 1) * rs;
        float c00 = 0, c01 = 0, c02 = 0, c03 = 0;
        float c10 = 0, c11 = 0, c12 = 0, c13 = 0;
        float c20 = 0, c21 = 0, c22 = 0, c23 = 0;
        float c30 = 0, c31 = 0, c32 = 0, c33 = 0;
        for (int p = 0; p < kc; p++) {
            int ob = ib + p * NR;
            float b0 = pb[ob], b1 = pb[ob + 1], b2 = pb[ob + 2], b3 = pb[ob + 3];
            float a0v = a[r0 + p], a1v = a[r1 + p], a2v = a[r2 + p], a3v = a[r3 + p];
            c00 += a0v * b0; c01 += a0v * b1; c02 += a0v * b2; c03 += a0v * b3;
            c10 += a1v * b0; c11 += a1v * b1; c12 += a1v * b2; c13 += a1v * b3;
            c20 += a2v * b0; c21 += a2v * b1; c22 += a2v * b2; c23 += a2v * b3;
            c30 += a3v * b0; c31 += a3v * b1; c32 += a3v * b2; c33 += a3v * b3;
        }
        // Always through the scratch tile: the scalar path is not the fast one, and one store routine keeps
        // full and edge tiles identical.
        float[] t = scratch;
        t[0] = c00; t[1] = c01; t[2] = c02; t[3] = c03;
        t[4] = c10; t[5] = c11; t[6] = c12; t[7] = c13;
        t[8] = c20; t[9] = c21; t[10] = c22; t[11] = c23;
        t[12] = c30; t[13] = c31; t[14] = c32; t[15] = c33;
        GemmMicroKernel.storeScalar(t, NR, rows, cols, alpha, beta, c, ic, ldc);
    }
}
