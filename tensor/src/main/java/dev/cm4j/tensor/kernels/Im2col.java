package dev.cm4j.tensor.kernels;

import java.util.Arrays;

/**
 * Unfolds one image into the patch matrix a convolution multiplies with its weights, and folds it back.
 *
 * <p>The column matrix of an image is (C*kh*kw, Ho*Wo): row {@code (c*kh + i)*kw + j}, column {@code oh*Wo + ow}
 * holds x[c, oh*stride - padding + i, ow*stride - padding + j], or 0 in the padding. Rows are {@code ldcol} apart,
 * so the columns of several images can sit side by side in one wider matrix. Then y (K, Ho*Wo) = w (K, C*kh*kw) * col,
 * and col2im is im2col's adjoint.
 */
public final class Im2col {
    /**
     * Rows at least this long are added with the vector kernel: measured 1.4-1.7x faster at 28 and 32 floats,
     * 1.2-1.4x slower at 7 and 14 (call overhead).
     */
    static final int VECTOR_ROW = 16;

    private Im2col() {
    }

    // x (C,H,W) of one image -> col (C*kh*kw, Ho*Wo) with row stride ldcol
    public static void im2col(ConvolutionShape s, float[] x, int xOff, float[] col, int colOff, int ldcol) {
        int oh = s.outH();
        int ow = s.outW();
        int stride = s.stride();
        int pad = s.padding();
        int row = colOff;
        for (int c = 0; c < s.c(); c++) {
            int xPlane = xOff + c * s.h() * s.w();
            for (int i = 0; i < s.kh(); i++) {
                for (int j = 0; j < s.kw(); j++, row += ldcol) {
                    int q0 = firstInside(s, j);
                    int q1 = endInside(s, j);
                    for (int r = 0, dst = row; r < oh; r++, dst += ow) {
                        int ih = r * stride - pad + i;
                        if (ih < 0 || ih >= s.h()) {
                            Arrays.fill(col, dst, dst + ow, 0f);
                            continue;
                        }
                        for (int q = 0; q < q0; q++) {
                            col[dst + q] = 0f;
                        }
                        int src = xPlane + ih * s.w() + q0 * stride - pad + j;
                        if (stride == 1) {
                            // arraycopy beats a plain loop here even for 7-float rows (measured: 85 vs 107 us for
                            // a 256-channel 7x7 image; the loop is not vectorised)
                            System.arraycopy(x, src, col, dst + q0, q1 - q0);
                        } else {
                            for (int q = q0; q < q1; q++, src += stride) {
                                col[dst + q] = x[src];
                            }
                        }
                        for (int q = q1; q < ow; q++) {
                            col[dst + q] = 0f;
                        }
                    }
                }
            }
        }
    }

    // col (C*kh*kw, Ho*Wo) with row stride ldcol -> dx (C,H,W) of one image; overwrites dx
    public static void col2im(ConvolutionShape s, float[] col, int colOff, int ldcol, float[] dx, int dxOff) {
        int oh = s.outH();
        int ow = s.outW();
        int stride = s.stride();
        int pad = s.padding();
        Arrays.fill(dx, dxOff, dxOff + s.c() * s.h() * s.w(), 0f);
        int row = colOff;
        for (int c = 0; c < s.c(); c++) {
            int dxPlane = dxOff + c * s.h() * s.w();
            for (int i = 0; i < s.kh(); i++) {
                for (int j = 0; j < s.kw(); j++, row += ldcol) {
                    int q0 = firstInside(s, j);
                    int q1 = endInside(s, j);
                    for (int r = 0, src = row; r < oh; r++, src += ow) {
                        int ih = r * stride - pad + i;
                        if (ih < 0 || ih >= s.h()) {
                            continue;
                        }
                        int dst = dxPlane + ih * s.w() + q0 * stride - pad + j;
                        if (stride == 1 && q1 - q0 >= VECTOR_ROW) {
                            Elementwise.axpy(1f, col, src + q0, dx, dst, q1 - q0);
                        } else if (stride == 1) {
                            for (int q = q0; q < q1; q++, dst++) {
                                dx[dst] += col[src + q];
                            }
                        } else {
                            for (int q = q0; q < q1; q++, dst += stride) {
                                dx[dst] += col[src + q];
                            }
                        }
                    }
                }
            }
        }
    }

    /**
     * True for a "same" convolution, whose output has the input's size: stride 1 and kh = kw = 2 padding + 1 (1x1,
     * 3x3 pad 1, 5x5 pad 2). Its patch row of tap (i, j) is the channel plane shifted by (i - padding) rows and
     * (j - padding) columns, with zeros where the tap falls outside.
     */
    static boolean isSame(ConvolutionShape s) {
        return s.stride() == 1 && s.kh() == 2 * s.padding() + 1 && s.kw() == 2 * s.padding() + 1;
    }

    /** First output column q whose tap j reads inside the image: q*stride - padding + j >= 0. */
    static int firstInside(ConvolutionShape s, int j) {
        return Math.min(s.outW(), Math.max(0, ceilDiv(s.padding() - j, s.stride())));
    }

    /** End (exclusive) of the output columns whose tap j reads inside the image: q*stride - padding + j < W. */
    static int endInside(ConvolutionShape s, int j) {
        return Math.max(firstInside(s, j), Math.min(s.outW(), ceilDiv(s.w() + s.padding() - j, s.stride())));
    }

    /** Ceiling of a / b for b > 0 and any sign of a. */
    static int ceilDiv(int a, int b) {
        return -Math.floorDiv(-a, b);
    }
}
