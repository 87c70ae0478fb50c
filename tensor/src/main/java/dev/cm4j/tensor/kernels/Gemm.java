package dev.cm4j.tensor.kernels;

import dev.cm4j.tensor.Simd;

/**
 * Single-precision general matrix multiply, row-major: {@code C = alpha * op(A) * op(B) + beta * C}.
 *
 * <p>op(A) is m x k and op(B) is k x n. With {@code transA} the array holds A as k x m (leading dimension lda), and
 * likewise for B. Leading dimensions are row strides in elements. When {@code beta == 0} the old C is ignored (NaNs in
 * it do not propagate).
 *
 * <p>Runs the packed, cache-blocked Vector API kernel ({@link GemmBlocked} with {@code GemmMicroKernelVector}) when
 * {@link Simd#ENABLED}, else the same loop nest with the scalar {@link GemmMicroKernelReference}; products of at least
 * 128^3 multiply-adds are split over the threads of {@link dev.cm4j.tensor.Parallel}. Results do not depend on the
 * thread count. {@link GemmReference} is the plain reference both are tested against.
 */
public final class Gemm {
    /**
     * Products below this many multiply-adds (m*n*k) run on the calling thread: handing work to the pool costs
     * ~50-100 us, as much as a 128^3 product. {@code -Dcm4j.gemm.parallelMin} overrides it.
     */
    public static final long PARALLEL_MIN_WORK = Long.getLong("cm4j.gemm.parallelMin", 128L * 128 * 128);

    private Gemm() {
    }

    /** C = alpha * op(A) * op(B) + beta * C on all threads of the pool (see the class comment for the arguments). */
    public static void sgemm(boolean transA, boolean transB, int m, int n, int k, float alpha,
                             float[] a, int aOff, int lda, float[] b, int bOff, int ldb,
                             float beta, float[] c, int cOff, int ldc) {
        sgemm(Integer.MAX_VALUE, transA, transB, m, n, k, alpha, a, aOff, lda, b, bOff, ldb, beta, c, cOff, ldc);
    }

    /** As {@link #sgemm(boolean, boolean, int, int, int, float, float[], int, int, float[], int, int, float, float[],
     * int, int)} on at most {@code maxThreads} threads (1 keeps it on the calling thread). */
    public static void sgemm(int maxThreads, boolean transA, boolean transB, int m, int n, int k, float alpha,
                             float[] a, int aOff, int lda, float[] b, int bOff, int ldb,
                             float beta, float[] c, int cOff, int ldc) {
        if (Simd.ENABLED) {
            GemmVector.sgemm(maxThreads, transA, transB, m, n, k, alpha, a, aOff, lda, b, bOff, ldb,
                    beta, c, cOff, ldc);
        } else {
            sgemmScalar(maxThreads, transA, transB, m, n, k, alpha, a, aOff, lda, b, bOff, ldb, beta, c, cOff, ldc);
        }
    }

    /**
     * As {@link #sgemm(boolean, boolean, int, int, int, float, float[], int, int, float[], int, int, float, float[],
     * int, int)}, with every row of C the same bits whatever m is: each row is summed as {@code sgemm} sums it for a
     * product of more than 4 rows, where products of 4 rows or fewer take another path
     * (B streamed unpacked, k summed in another order). For a layer whose rows are independent samples, so that a
     * sample's output does not depend on how many samples share the call. Same bits as {@code sgemm} where m is
     * above that.
     */
    public static void sgemmRowStable(boolean transA, boolean transB, int m, int n, int k, float alpha,
                                      float[] a, int aOff, int lda, float[] b, int bOff, int ldb,
                                      float beta, float[] c, int cOff, int ldc) {
        if (Simd.ENABLED) {
            GemmVector.sgemmRowStable(Integer.MAX_VALUE, transA, transB, m, n, k, alpha, a, aOff, lda, b, bOff, ldb,
                    beta, c, cOff, ldc);
        } else {
            sgemmScalar(Integer.MAX_VALUE, transA, transB, m, n, k, alpha, a, aOff, lda, b, bOff, ldb, beta, c,
                    cOff, ldc);
        }
    }

    /** The blocked GEMM with the scalar micro-kernel, whatever {@link Simd#ENABLED} says. */
    public static void sgemmScalar(int maxThreads, boolean transA, boolean transB, int m, int n, int k, float alpha,
                                   float[] a, int aOff, int lda, float[] b, int bOff, int ldb,
                                   float beta, float[] c, int cOff, int ldc) {
        check(transA, transB, m, n, k, a, aOff, lda, b, bOff, ldb, c, cOff, ldc);
        GemmBlocked.sgemm(GemmMicroKernelReference.INSTANCE, maxThreads, transA, transB, m, n, k, alpha,
                a, aOff, lda, b, bOff, ldb, beta, c, cOff, ldc);
    }

    /**
     * True when {@link #sgemm} multiplies this shape on the blocked path, the one that packs both operands: then
     * {@link #sgemmPacked} with packers that write the same operands gives the same bits. False for the shapes the
     * vector path multiplies without packing ({@code GemmVectorSmall}); the scalar path is always blocked.
     */
    static boolean isBlocked(boolean transA, boolean transB, int m, int n, int k) {
        return !Simd.ENABLED || GemmVector.isBlocked(transA, transB, m, n, k);
    }

    /**
     * C = alpha * op(A) * op(B) + beta * C with op(A) (m, k) and op(B) (k, n) written into the GEMM's packed blocks by
     * {@code a} and {@code b}, always on the blocked path, on all threads of the pool. Where {@link #isBlocked} holds
     * this is bit-identical to {@link #sgemm} on the matrices the packers write; each element of C is the same sum
     * in the same order whatever the partition, so it is also bit-identical for the transposed product
     * (C^T = op(B)^T op(A)^T) with the packers exchanged.
     */
    static void sgemmPacked(int m, int n, int k, float alpha, GemmASource a, GemmBSource b,
                            float beta, float[] c, int cOff, int ldc) {
        checkSizes(m, n, k);
        checkOperand("C", c, cOff, ldc, m, n);
        if (Simd.ENABLED) {
            GemmVector.sgemmPacked(Integer.MAX_VALUE, m, n, k, alpha, a, b, beta, c, cOff, ldc);
        } else {
            GemmBlocked.sgemm(GemmMicroKernelReference.INSTANCE, Integer.MAX_VALUE, m, n, k, alpha, a, b, beta,
                    c, cOff, ldc);
        }
    }

    /** Validates sizes, leading dimensions and array extents, so a bad call fails with a message, not mid-kernel. */
    static void check(boolean transA, boolean transB, int m, int n, int k, float[] a, int aOff, int lda,
                      float[] b, int bOff, int ldb, float[] c, int cOff, int ldc) {
        checkSizes(m, n, k);
        // the arrays hold A as (rows, cols) = (m, k), or (k, m) when transposed; likewise B
        checkOperand("A", a, aOff, lda, transA ? k : m, transA ? m : k);
        checkOperand("B", b, bOff, ldb, transB ? n : k, transB ? k : n);
        checkOperand("C", c, cOff, ldc, m, n);
    }

    private static void checkSizes(int m, int n, int k) {
        if (m < 0 || n < 0 || k < 0) {
            throw new IllegalArgumentException("sgemm: negative size m=" + m + ", n=" + n + ", k=" + k);
        }
    }

    private static void checkOperand(String name, float[] x, int off, int ld, int rows, int cols) {
        if (rows == 0 || cols == 0) {
            return;
        }
        if (ld < cols) {
            throw new IllegalArgumentException("sgemm: leading dimension of " + name + " is " + ld + " but its rows hold "
                    + cols + " elements (" + rows + " x " + cols + ")");
        }
        long end = off + (long) (rows - 1) * ld + cols;
        if (off < 0 || end > x.length) {
            throw new IllegalArgumentException("sgemm: " + name + " (" + rows + " x " + cols + ", offset " + off
                    + ", leading dimension " + ld + ") needs elements up to " + end + " but the array has "
                    + x.length);
        }
    }
}
