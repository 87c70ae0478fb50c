package dev.cm4j.tensor.kernels;

/**
 * Packing of GEMM operands into the layouts the micro-kernels stream (GotoBLAS / BLIS).
 *
 * <p>A block of op(B) (kc x nc) becomes ceil(nc / NR) column panels; panel s holds {@code op(B)[p, s*NR + j]} at
 * {@code s*NR*kc + p*NR + j}, so one k step of the micro-kernel reads NR consecutive floats. Columns past the edge of
 * the matrix are packed as zeros: the kernel always computes full-width tiles and the edge only matters when a tile
 * is stored.
 *
 * <p>A block of op(A) (mc x kc) is copied row-major with row stride kc, which the micro-kernel reads by rows
 * (element (i, p) at {@code i * kc + p}: MR streams of consecutive floats). Reading an untransposed A in place
 * instead saves the copy but is slower once its row stride is a multiple of 4 KiB (n = 1024, 2048): the MR rows then
 * fall into the same cache sets.
 *
 * <p>The transposed cases are resolved here, so all four combinations of transA and transB reach the same kernel.
 */
final class GemmPack {
    private GemmPack() {
    }

    /**
     * Copies op(A)[i0 .. i0+mc, p0 .. p0+kc) into {@code dst} as an mc x kc row-major block: element (i, p) at
     * {@code i * kc + p}. Not transposed: A is (m, k) with row stride lda, and each row is one contiguous copy;
     * transposed: the array holds A^T as (k, m).
     */
    static void packA(boolean transA, float[] a, int aOff, int lda, int i0, int mc, int p0, int kc, float[] dst) {
        if (!transA) {
            for (int i = 0; i < mc; i++) {
                System.arraycopy(a, aOff + (i0 + i) * lda + p0, dst, i * kc, kc);
            }
        } else {
            // 16 rows at a time: each k step reads one full cache line of A^T and feeds 16 sequential write
            // streams. Writing all mc rows per k step instead (stride kc, a power of two) keeps ~144 lines live in
            // a few L1 sets and runs 5x slower.
            for (int r = 0; r < mc; r += 16) {
                int rows = Math.min(16, mc - r);
                for (int p = 0; p < kc; p++) {
                    int src = aOff + (p0 + p) * lda + i0 + r;
                    int o = r * kc + p;
                    for (int i = 0; i < rows; i++) {
                        dst[o + i * kc] = a[src + i];
                    }
                }
            }
        }
    }

    /** op(A) held as a matrix (arguments as in {@link Gemm}), packed by {@link #packA}. */
    static GemmASource matrixA(boolean transA, float[] a, int aOff, int lda) {
        return (i0, mc, p0, kc, dst) -> packA(transA, a, aOff, lda, i0, mc, p0, kc, dst);
    }

    /** op(B) held as a matrix (arguments as in {@link Gemm}), packed by {@link #packB}. */
    static GemmBSource matrixB(boolean transB, float[] b, int bOff, int ldb) {
        return (p0, kc, j0, nc, nr, dst) -> packB(transB, b, bOff, ldb, p0, kc, j0, nc, nr, dst);
    }

    /**
     * Packs op(B)[p0 .. p0+kc, j0 .. j0+nc) into {@code dst} as NR-column panels, zero-padded to whole panels.
     * Not transposed: B is (k, n) with row stride ldb; transposed: the array holds B^T as (n, k).
     */
    static void packB(boolean transB, float[] b, int bOff, int ldb, int p0, int kc, int j0, int nc,
                      int nr, float[] dst) {
        if (!transB) {
            // op(B)[p, j] = b[p*ldb + j]: walk B along its rows (sequential reads, which the prefetcher follows
            // even from DRAM) and copy each row's NR-wide pieces into their panels.
            for (int p = 0; p < kc; p++) {
                int src = bOff + (p0 + p) * ldb + j0;
                for (int s = 0; s < nc; s += nr) {
                    int width = Math.min(nr, nc - s);
                    int o = s * kc + p * nr;
                    System.arraycopy(b, src + s, dst, o, width);
                    for (int j = width; j < nr; j++) {
                        dst[o + j] = 0f;
                    }
                }
            }
            return;
        }
        // op(B)[p, j] = b[j*ldb + p]: read each row of B^T along k, write with stride NR.
        for (int s = 0; s < nc; s += nr) {
            int width = Math.min(nr, nc - s);
            int d = s * kc;
            for (int j = 0; j < width; j++) {
                int src = bOff + (j0 + s + j) * ldb + p0;
                for (int p = 0; p < kc; p++) {
                    dst[d + j + p * nr] = b[src + p];
                }
            }
            for (int j = width; j < nr; j++) {
                for (int p = 0; p < kc; p++) {
                    dst[d + j + p * nr] = 0f;
                }
            }
        }
    }
}
