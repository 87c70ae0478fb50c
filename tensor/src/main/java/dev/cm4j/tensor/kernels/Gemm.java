package dev.cm4j.tensor.kernels;

/**
 * Single-precision general matrix multiply, row-major: {@code C = alpha * op(A) * op(B) + beta * C}.
 *
 * <p>op(A) is m x k and op(B) is k x n. With {@code transA} the array holds A as k x m (leading dimension lda), and
 * likewise for B. Leading dimensions are row strides in elements. When {@code beta == 0} the old C is ignored (NaNs in
 * it do not propagate).
 */
public final class Gemm {
    private Gemm() {
    }

    public static void sgemm(boolean transA, boolean transB, int m, int n, int k, float alpha,
                             float[] a, int aOff, int lda, float[] b, int bOff, int ldb,
                             float beta, float[] c, int cOff, int ldc) {
        GemmReference.sgemm(transA, transB, m, n, k, alpha, a, aOff, lda, b, bOff, ldb, beta, c, cOff, ldc);
    }
}
