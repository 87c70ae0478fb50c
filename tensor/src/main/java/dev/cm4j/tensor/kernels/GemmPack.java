package dev.cm4j.tensor.kernels;

/**
 * Packing of GEMM operands into the panel layouts the micro-kernels stream (GotoBLAS / BLIS).
 *
 * <p>A block of op(A) (mc x kc) becomes ceil(mc / MR) row panels; panel r holds {@code op(A)[r*MR + i, p]} at
 * {@code r*MR*kc + p*MR + i}, so one k step of the micro-kernel reads MR consecutive floats. A block of op(B)
 * (kc x nc) becomes ceil(nc / NR) column panels; panel s holds {@code op(B)[p, s*NR + j]} at
 * {@code s*NR*kc + p*NR + j}. Rows and columns past the edge of the matrix are packed as zeros, so the micro-kernel
 * always computes full MR x NR tiles and the edge only matters when the tile is stored.
 *
 * <p>The transposed cases are resolved here: afterwards the micro-kernel sees the same layout for all four
 * combinations of transA and transB. Both operands are the same operation, "cut a matrix into panels of width w
 * along one axis and depth kc along the other": A panels run along its rows, B panels along its columns.
 */
final class GemmPack {
    private GemmPack() {
    }

    /**
     * Packs op(A)[i0 .. i0+mc, p0 .. p0+kc) into {@code dst} as MR-row panels.
     * Not transposed: A is (m, k) with row stride lda; transposed: the array holds A^T as (k, m).
     */
    static void packA(boolean transA, float[] a, int aOff, int lda, int i0, int mc, int p0, int kc,
                      int mr, float[] dst) {
        panels(a, aOff, lda, transA, i0, mc, p0, kc, mr, dst);
    }

    /**
     * Packs op(B)[p0 .. p0+kc, j0 .. j0+nc) into {@code dst} as NR-column panels.
     * Not transposed: B is (k, n) with row stride ldb; transposed: the array holds B^T as (n, k).
     */
    static void packB(boolean transB, float[] b, int bOff, int ldb, int p0, int kc, int j0, int nc,
                      int nr, float[] dst) {
        panels(b, bOff, ldb, !transB, j0, nc, p0, kc, nr, dst);
    }

    /**
     * Packs elements (q, p), q in [q0, q0+len) across the panels and p in [p0, p0+kc) along them, into panels of
     * width w: element (q0 + s*w + i, p0 + p) goes to {@code dst[s*w*kc + p*w + i]}, zero-padded to whole panels.
     * With {@code acrossContiguous} element (q, p) is {@code x[off + p*ld + q]} (a panel's w values per depth step are
     * adjacent in x: a plain copy), else {@code x[off + q*ld + p]} (read along p, write with stride w).
     */
    private static void panels(float[] x, int off, int ld, boolean acrossContiguous, int q0, int len, int p0, int kc,
                               int w, float[] dst) {
        int d = 0;
        for (int s = 0; s < len; s += w) {
            int width = Math.min(w, len - s);
            if (acrossContiguous) {
                for (int p = 0; p < kc; p++) {
                    int src = off + (p0 + p) * ld + q0 + s;
                    int o = d + p * w;
                    System.arraycopy(x, src, dst, o, width);
                    for (int i = width; i < w; i++) {
                        dst[o + i] = 0f;
                    }
                }
            } else {
                for (int i = 0; i < width; i++) {
                    int src = off + (q0 + s + i) * ld + p0;
                    int o = d + i;
                    for (int p = 0; p < kc; p++) {
                        dst[o + p * w] = x[src + p];
                    }
                }
                for (int i = width; i < w; i++) {
                    for (int p = 0; p < kc; p++) {
                        dst[d + i + p * w] = 0f;
                    }
                }
            }
            d += w * kc;
        }
    }
}
