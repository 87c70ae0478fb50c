package dev.cm4j.tensor;

import dev.cm4j.tensor.kernels.Gemm;

/**
 * Matrix products of tensors: {@code op(a) @ op(b)} over the last two axes, with NumPy-style broadcasting of the
 * leading (batch) axes, on top of {@link Gemm}.
 */
public final class MatMul {
    private MatMul() {
    }

    /**
     * Batched matrix product.
     *
     * <p>a (..., m, k), or (..., k, m) with {@code transA}; b (..., k, n), or (..., n, k) with {@code transB}
     * -> (batch..., m, n), where batch is the broadcast of the two operands' leading axes (a rank-2 operand is one
     * matrix shared by every batch entry). Both operands need rank >= 2.
     *
     * @throws IllegalArgumentException naming "matmul" and both shapes when the ranks, inner sizes or batch axes do
     *                                  not fit
     */
    public static Tensor matmul(Tensor a, Tensor b, boolean transA, boolean transB) {
        int[] as = a.shape();
        int[] bs = b.shape();
        if (as.length < 2 || bs.length < 2) {
            throw error("operands need rank >= 2", as, bs, transA, transB);
        }
        int ra = as.length;
        int rb = bs.length;
        int m = transA ? as[ra - 1] : as[ra - 2];
        int k = transA ? as[ra - 2] : as[ra - 1];
        int kb = transB ? bs[rb - 1] : bs[rb - 2];
        int n = transB ? bs[rb - 2] : bs[rb - 1];
        if (k != kb) {
            throw error("inner sizes differ (" + k + " vs " + kb + ")", as, bs, transA, transB);
        }

        // Batch axes, right-aligned and broadcast; strides of 0 repeat an operand along a broadcast axis.
        int rank = Math.max(ra, rb) - 2;
        int[] batch = new int[rank];
        long[] strideA = new long[rank];
        long[] strideB = new long[rank];
        long sa = (long) m * k;
        long sb = (long) k * n;
        for (int d = rank - 1; d >= 0; d--) {
            int ia = d - (rank - (ra - 2));
            int ib = d - (rank - (rb - 2));
            int da = ia >= 0 ? as[ia] : 1;
            int db = ib >= 0 ? bs[ib] : 1;
            if (da != db && da != 1 && db != 1) {
                throw error("batch axes cannot be broadcast (" + da + " vs " + db + ")", as, bs, transA, transB);
            }
            batch[d] = da == 1 ? db : da;
            strideA[d] = da == 1 ? 0 : sa;
            strideB[d] = db == 1 ? 0 : sb;
            sa *= da;
            sb *= db;
        }
        int[] outShape = new int[rank + 2];
        System.arraycopy(batch, 0, outShape, 0, rank);
        outShape[rank] = m;
        outShape[rank + 1] = n;
        Tensor out = Tensor.output(outShape);
        int count = Shapes.size(batch);
        if (count == 0 || m == 0 || n == 0) {
            return out;
        }

        float[] ad = a.data();
        float[] bd = b.data();
        float[] cd = out.data();
        int lda = transA ? m : k;
        int ldb = transB ? k : n;
        boolean sharedB = sb == (long) k * n; // every batch entry multiplies the same B
        if (sharedB && !transA) {
            // (batch..., m, k) @ (k, n): the batch entries of A are consecutive rows, so one GEMM of
            // (count * m, k) @ (k, n) does it all, with better blocking than count small ones.
            Gemm.sgemm(false, transB, count * m, n, k, 1f, ad, a.offset(), lda, bd, b.offset(), ldb,
                    0f, cd, 0, n);
            return out;
        }

        long work = (long) count * m * n * k;
        int threads = Parallel.threads();
        boolean overBatch = count >= threads && (count % threads == 0 || count >= 4 * threads);
        if (work >= Gemm.PARALLEL_MIN_WORK && overBatch) {
            // Many independent products: one thread per batch range, each GEMM on its thread.
            Parallel.forRange(count, 1, (e0, e1) -> {
                for (int e = e0; e < e1; e++) {
                    product(e, batch, strideA, strideB, 1, transA, transB, m, n, k, a, lda, b, ldb, cd);
                }
            });
        } else {
            for (int e = 0; e < count; e++) {
                product(e, batch, strideA, strideB, Integer.MAX_VALUE, transA, transB, m, n, k, a, lda, b, ldb, cd);
            }
        }
        return out;
    }

    /** Batch entry {@code e} (row-major over the batch axes): C[e] = op(A[e]) @ op(B[e]). */
    private static void product(int e, int[] batch, long[] strideA, long[] strideB, int maxThreads,
                                boolean transA, boolean transB, int m, int n, int k,
                                Tensor a, int lda, Tensor b, int ldb, float[] c) {
        long offA = a.offset();
        long offB = b.offset();
        int rest = e;
        for (int d = batch.length - 1; d >= 0; d--) {
            int i = rest % batch[d];
            rest /= batch[d];
            offA += i * strideA[d];
            offB += i * strideB[d];
        }
        Gemm.sgemm(maxThreads, transA, transB, m, n, k, 1f, a.data(), (int) offA, lda, b.data(), (int) offB, ldb,
                0f, c, e * m * n, n);
    }

    private static IllegalArgumentException error(String what, int[] as, int[] bs, boolean transA, boolean transB) {
        return new IllegalArgumentException("matmul: " + what + ": a " + Shapes.str(as) + (transA ? " (transposed)" : "")
                + " and b " + Shapes.str(bs) + (transB ? " (transposed)" : ""));
    }
}
