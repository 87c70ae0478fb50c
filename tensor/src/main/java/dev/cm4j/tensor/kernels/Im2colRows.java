package dev.cm4j.tensor.kernels;

import java.util.Arrays;

/**
 * The column matrix packed straight into the GEMM's A blocks from the images, for the weight gradient computed
 * transposed: dw^T (C*kh*kw, K) = col (C*kh*kw, cols) * dy^T (cols, K), with col the patches of {@code count}
 * consecutive images side by side. A's packed layout is row-major (row i of a block at i*kc), which is im2col's own
 * layout, so each block row is one piece of an im2col row written in place. Computing dw itself (dy * col^T) would
 * make col^T the B operand, whose panels take each patch row with a stride of NR floats.
 *
 * <p>Any geometry (stride, padding, kernel size). Writes exactly the floats {@link GemmPack#packA} writes for the
 * explicit matrix, so the product is bit-identical to im2col + the matrix GEMM (and, each element being the same sum
 * in the same order, to the untransposed dy * col^T). Instances hold only the geometry and the input, so the GEMM's
 * threads may share one. {@link Im2colPanels#rows} is the Vector API version for same convolutions.
 */
final class Im2colRows implements GemmASource {
    private final ConvolutionShape s;
    private final float[] x;
    /** Offset of the unit's first image in x. */
    private final int xOff;
    private final int plane;
    private final int inImage;

    Im2colRows(ConvolutionShape s, float[] x, int xOff, int count) {
        checkUnit(s, x, xOff, count);
        this.s = s;
        this.x = x;
        this.xOff = xOff;
        this.plane = s.outPlane();
        this.inImage = s.c() * s.inPlane();
    }

    /** Rejects a unit of images that does not fit in x. */
    static void checkUnit(ConvolutionShape s, float[] x, int xOff, int count) {
        long need = xOff + (long) count * s.c() * s.inPlane();
        if (count < 1 || xOff < 0 || need > x.length) {
            throw new IllegalArgumentException("im2col: " + count + " images of (" + s.c() + ", " + s.h() + ", "
                    + s.w() + ") from offset " + xOff + " need " + need + " floats but x has " + x.length);
        }
    }

    // op(A)[i, p] = col[i0 + i, p0 + p] -> dst (mc, kc) row-major
    @Override
    public void pack(int i0, int mc, int p0, int kc, float[] dst) {
        for (int i = 0; i < mc; i++) {
            patchRow(i0 + i, p0, kc, dst, i * kc);
        }
    }

    /** Writes col[r, q0 .. q0+len) (patch row r, unit columns q0 on, across images) to dst[off ..]. */
    private void patchRow(int r, int q0, int len, float[] dst, int off) {
        // patch row r = (c*kh + i)*kw + j: channel c, kernel tap (i, j)
        int taps = s.kh() * s.kw();
        int c = r / taps;
        int i = (r - c * taps) / s.kw();
        int j = r - c * taps - i * s.kw();
        int ow = s.outW();
        int stride = s.stride();
        int pad = s.padding();
        // output columns whose tap j reads inside the image row (the rest read padding)
        int inFirst = Im2col.firstInside(s, j);
        int inEnd = Im2col.endInside(s, j);
        // the first column's image, output row and output column; then one output row at a time, as im2col
        int image = q0 / plane;
        int pixel = q0 - image * plane;
        int oh = pixel / ow;
        int q = pixel - oh * ow;
        for (int t = off, stop = off + len; t < stop; ) {
            int end = q + Math.min(ow - q, stop - t);
            int ih = oh * stride - pad + i;
            if (ih < 0 || ih >= s.h()) {
                Arrays.fill(dst, t, t + end - q, 0f);
                t += end - q;
            } else {
                int a = Math.min(end, Math.max(q, inFirst));
                int b = Math.max(a, Math.min(end, inEnd));
                for (; q < a; q++) {
                    dst[t++] = 0f;
                }
                int src = xOff + image * inImage + (c * s.h() + ih) * s.w() + a * stride - pad + j;
                if (stride == 1) {
                    System.arraycopy(x, src, dst, t, b - a);
                    t += b - a;
                } else {
                    for (int u = a; u < b; u++, src += stride) {
                        dst[t++] = x[src];
                    }
                }
                for (int u = b; u < end; u++) {
                    dst[t++] = 0f;
                }
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
}
