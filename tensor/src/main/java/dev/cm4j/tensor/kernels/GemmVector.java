package dev.cm4j.tensor.kernels;

/**
 * Entry point of the Vector API GEMM: the blocked loop nest with {@link GemmMicroKernelVector}, or
 * {@link GemmVectorSmall} for products of at most 4 rows or (B transposed) at most 16 columns with a depth of at least
 * 256, where packing B would cost more than the arithmetic. Only referenced behind {@code Simd.ENABLED}; callers that
 * need the vector path whatever the switch says (tests, benchmarks) call it directly.
 */
public final class GemmVector {
    private GemmVector() {
    }

    /** C = alpha * op(A) * op(B) + beta * C on at most {@code maxThreads} threads; arguments as in {@link Gemm}. */
    public static void sgemm(int maxThreads, boolean transA, boolean transB, int m, int n, int k, float alpha,
                             float[] a, int aOff, int lda, float[] b, int bOff, int ldb,
                             float beta, float[] c, int cOff, int ldc) {
        Gemm.check(transA, transB, m, n, k, a, aOff, lda, b, bOff, ldb, c, cOff, ldc);
        if (smallRows(m, n, k)) {
            GemmVectorSmall.sgemm(maxThreads, transA, transB, m, n, k, alpha, a, aOff, lda, b, bOff, ldb,
                    beta, c, cOff, ldc);
            return;
        }
        rowStable(maxThreads, transA, transB, m, n, k, alpha, a, aOff, lda, b, bOff, ldb, beta, c, cOff, ldc);
    }

    /**
     * As {@link #sgemm} on the path it takes for more than {@link GemmVectorSmall#MAX_ROWS} rows whatever m is, so
     * each row of C has the bits it has in a larger product (the thin-B and blocked paths sum a row independently of
     * the others).
     */
    static void sgemmRowStable(int maxThreads, boolean transA, boolean transB, int m, int n, int k, float alpha,
                               float[] a, int aOff, int lda, float[] b, int bOff, int ldb,
                               float beta, float[] c, int cOff, int ldc) {
        Gemm.check(transA, transB, m, n, k, a, aOff, lda, b, bOff, ldb, c, cOff, ldc);
        rowStable(maxThreads, transA, transB, m, n, k, alpha, a, aOff, lda, b, bOff, ldb, beta, c, cOff, ldc);
    }

    /** The thin-B or the blocked path, chosen by the shape of B alone. */
    private static void rowStable(int maxThreads, boolean transA, boolean transB, int m, int n, int k, float alpha,
                                  float[] a, int aOff, int lda, float[] b, int bOff, int ldb,
                                  float beta, float[] c, int cOff, int ldc) {
        if (thinB(transA, transB, n, k)) {
            GemmVectorSmall.sgemmThinB(maxThreads, m, n, k, alpha, a, aOff, lda, b, bOff, ldb, beta, c, cOff, ldc);
            return;
        }
        GemmBlocked.sgemm(GemmMicroKernelVector.INSTANCE, maxThreads, transA, transB, m, n, k, alpha,
                a, aOff, lda, b, bOff, ldb, beta, c, cOff, ldc);
    }

    /**
     * True when {@link #sgemm} runs this product on the blocked path, which {@link #sgemmPacked} then reproduces bit
     * for bit with operands from packers.
     */
    static boolean isBlocked(boolean transA, boolean transB, int m, int n, int k) {
        return !smallRows(m, n, k) && !thinB(transA, transB, n, k);
    }

    /** The blocked product with op(A) (m, k) and op(B) (k, n) from packers. */
    static void sgemmPacked(int maxThreads, int m, int n, int k, float alpha, GemmASource a, GemmBSource b,
                            float beta, float[] c, int cOff, int ldc) {
        GemmBlocked.sgemm(GemmMicroKernelVector.INSTANCE, maxThreads, m, n, k, alpha, a, b, beta, c, cOff, ldc);
    }

    private static boolean smallRows(int m, int n, int k) {
        return m <= GemmVectorSmall.MAX_ROWS && m > 0 && n > 0 && k > 0;
    }

    private static boolean thinB(boolean transA, boolean transB, int n, int k) {
        return transB && !transA && n <= GemmVectorSmall.MAX_COLS && n > 0 && k >= GemmVectorSmall.THIN_B_MIN_DEPTH;
    }
}
