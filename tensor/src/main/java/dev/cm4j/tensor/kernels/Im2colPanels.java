package dev.cm4j.tensor.kernels;

import java.util.Arrays;

/**
 * The column matrix of {@link Im2col} packed straight into the GEMM's B panels, read from the images themselves: the
 * (C*kh*kw, count*Ho*Wo) matrix of {@code count} consecutive images side by side is never stored.
 *
 * <ul>
 *   <li>{@link #forward}: op(B) = col, for y (K, cols) = w (K, C*kh*kw) * col; k runs over the patch rows.</li>
 *   <li>{@link #transposed}: op(B) = col^T, for dw (K, C*kh*kw) = dy (K, cols) * col^T; k runs over the pixels.</li>
 * </ul>
 * Both write exactly the floats {@link GemmPack#packB} writes for the explicit matrix (image values, 0f in the padding
 * and in the columns past the last panel's edge), so a product through them is bit-identical to im2col + the matrix
 * GEMM. Instances hold only the geometry and the input, so the GEMM's threads may share one.
 */
final class Im2colPanels implements GemmBSource {
    private final Conv2dShape s;
    private final float[] x;
    /** Offset of the first image of the unit in x. */
    private final int xOff;
    /** True for col^T (k over pixels), false for col (k over patch rows). */
    private final boolean transposed;
    private final int plane;
    private final int inImage;

    private Im2colPanels(Conv2dShape s, float[] x, int xOff, int count, boolean transposed) {
        long need = xOff + (long) count * s.c() * s.inPlane();
        if (count < 1 || xOff < 0 || need > x.length) {
            throw new IllegalArgumentException("im2col panels: " + count + " images of (" + s.c() + ", " + s.h() + ", "
                    + s.w() + ") from offset " + xOff + " need " + need + " floats but x has " + x.length);
        }
        this.s = s;
        this.x = x;
        this.xOff = xOff;
        this.transposed = transposed;
        this.plane = s.outPlane();
        this.inImage = s.c() * s.inPlane();
    }

    // x: count images (C,H,W) from xOff -> op(B) = col (C*kh*kw, count*Ho*Wo)
    static Im2colPanels forward(Conv2dShape s, float[] x, int xOff, int count) {
        return new Im2colPanels(s, x, xOff, count, false);
    }

    // x: count images (C,H,W) from xOff -> op(B) = col^T (count*Ho*Wo, C*kh*kw)
    static Im2colPanels transposed(Conv2dShape s, float[] x, int xOff, int count) {
        return new Im2colPanels(s, x, xOff, count, true);
    }

    @Override
    public void pack(int p0, int kc, int j0, int nc, int nr, float[] dst) {
        int width = (nc + nr - 1) / nr * nr;
        if (!transposed) {
            // op(B)[p, j] = col[p0 + p, j0 + j]: patch row by patch row, as packB walks B's rows. Element j of the
            // row goes to panel j / nr, lane j % nr: panels nr*kc apart, lanes adjacent.
            for (int p = 0; p < kc; p++) {
                patchRow(p0 + p, j0, nc, dst, p * nr, nr * kc, 1, nr);
                put(null, 0, 0, dst, p * nr, nr * kc, 1, nr, nc, width - nc);
            }
            return;
        }
        // op(B)[p, j] = col[j0 + j, p0 + p]: one patch row per panel lane, its pixels p0 .. p0+kc going down the
        // panel (stride nr), as packB reads each row of B^T. Lanes past nc are zeros.
        for (int sj = 0; sj < nc; sj += nr) {
            int lanes = Math.min(nr, nc - sj);
            int d = sj * kc;
            for (int j = 0; j < lanes; j++) {
                // element t of the row at d + j + t*nr: "panels" of nr elements nr*nr apart, lanes nr apart
                patchRow(j0 + sj + j, p0, kc, dst, d + j, nr * nr, nr, nr);
            }
            for (int j = lanes; j < nr; j++) {
                for (int p = 0; p < kc; p++) {
                    dst[d + j + p * nr] = 0f;
                }
            }
        }
    }

    /**
     * Writes col[r, q0 .. q0+len) (patch row r, unit columns q0 on) to dst, element t at
     * {@code d + (t / nr) * panelStride + (t % nr) * step}.
     */
    private void patchRow(int r, int q0, int len, float[] dst, int d, int panelStride, int step, int nr) {
        // patch row r = (c*kh + i)*kw + j: channel c, kernel tap (i, j)
        int taps = s.kh() * s.kw();
        int c = r / taps;
        int i = (r - c * taps) / s.kw();
        int j = r - c * taps - i * s.kw();
        int ow = s.outW();
        int stride = s.stride();
        int pad = s.padding();
        // output columns whose tap j falls inside the image (the rest read padding)
        int inFirst = Im2col.firstInside(s, j);
        int inEnd = Im2col.endInside(s, j);
        // the first column's image, output row and output column; then walk output rows
        int image = q0 / plane;
        int pixel = q0 - image * plane;
        int oh = pixel / ow;
        int q = pixel - oh * ow;
        for (int t = 0; t < len; ) {
            int end = q + Math.min(ow - q, len - t);
            int ih = oh * stride - pad + i;
            if (ih < 0 || ih >= s.h()) {
                t = put(null, 0, 0, dst, d, panelStride, step, nr, t, end - q);
            } else {
                int a = Math.min(end, Math.max(q, inFirst));
                int b = Math.max(a, Math.min(end, inEnd));
                int src = xOff + image * inImage + (c * s.h() + ih) * s.w() + a * stride - pad + j;
                t = put(null, 0, 0, dst, d, panelStride, step, nr, t, a - q);
                t = put(x, src, stride, dst, d, panelStride, step, nr, t, b - a);
                t = put(null, 0, 0, dst, d, panelStride, step, nr, t, end - b);
            }
            q = end;
            if (q == ow) {
                q = 0;
                if (++oh == s.outH()) {
                    oh = 0;
                    image++;
                }
            }
        }
    }

    /**
     * Writes n elements, {@code src[from + u*srcStride]} or zeros when src is null, as elements t .. t+n of a row laid
     * out as in {@link #patchRow}; returns t + n. Each piece that stays inside one panel is one arraycopy or fill
     * when both strides are 1.
     */
    private static int put(float[] src, int from, int srcStride, float[] dst, int d, int panelStride, int step,
                           int nr, int t, int n) {
        while (n > 0) {
            int panel = t / nr;
            int lane = t - panel * nr;
            int piece = Math.min(n, nr - lane);
            int o = d + panel * panelStride + lane * step;
            if (step == 1 && src == null) {
                Arrays.fill(dst, o, o + piece, 0f);
            } else if (step == 1 && srcStride == 1) {
                System.arraycopy(src, from, dst, o, piece);
            } else if (src == null) {
                for (int u = 0; u < piece; u++, o += step) {
                    dst[o] = 0f;
                }
            } else {
                for (int u = 0, f = from; u < piece; u++, o += step, f += srcStride) {
                    dst[o] = src[f];
                }
            }
            from += piece * srcStride;
            t += piece;
            n -= piece;
        }
        return t;
    }
}
