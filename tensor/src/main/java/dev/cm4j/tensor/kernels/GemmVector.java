package dev.cm4j.tensor.kernels;

/**
 * Entry point of the Vector API GEMM: the blocked loop nest with {@link GemmVectorKernel}, or {@link GemmVectorSmall}
 * for products of at most 4 rows or (B transposed) at most 16 columns with a depth of at least 256, where packing B
 * would cost more than the arithmetic. Only referenced behind
 * {@code Simd.ENABLED}; callers that need the vector path whatever the switch says (tests, benchmarks) call it
 * directly.
 */
public final class GemmVector {
    private GemmVector() {
    }

    /** C = alpha * op(A) * op(B) + beta * C on at most {@code maxThreads} threads; arguments as in {@link Gemm}. */
    public static void sgemm(int maxThreads, boolean transA, boolean transB, int m, int n, int k, float alpha,
                             float[] a, int aOff, int lda, float[] b, int bOff, int ldb,
                             float beta, float[] c, int cOff, int ldc) {
        Gemm.check(transA, transB, m, n, k, a, aOff, lda, b, bOff, ldb, c, cOff, ldc);
        if (m <= GemmVectorSmall.MAX_ROWS && m > 0 && n > 0 && k > 0) {
            GemmVectorSmall.sgemm(maxThreads, transA, transB, m, n, k, alpha, a, aOff, lda, b, bOff, ldb,
                    beta, c, cOff, ldc);
            return;
        }
        if (transB && !transA && n <= GemmVectorSmall.MAX_COLS && n > 0 && k >= GemmVectorSmall.THIN_B_MIN_DEPTH) {
            GemmVectorSmall.sgemmThinB(maxThreads, m, n, k, alpha, a, aOff, lda, b, bOff, ldb, beta, c, cOff, ldc);
            return;
        }
        GemmBlocked.sgemm(GemmVectorKernel.INSTANCE, maxThreads, transA, transB, m, n, k, alpha,
                a, aOff, lda, b, bOff, ldb, beta, c, cOff, ldc);
    }
}
