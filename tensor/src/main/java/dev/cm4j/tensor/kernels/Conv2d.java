package dev.cm4j.tensor.kernels;

import dev.cm4j.tensor.Parallel;

/**
 * Convolution as matrix products: the images' patch matrices (im2col) times the weights, one {@link Gemm} per unit of
 * images. {@link Conv2dReference} is the direct-loop twin these are tested against.
 *
 * <ul>
 *   <li>Units: small output planes make thin GEMMs, so images are taken {@link #imagesPerGemm} at a time with their
 *       columns side by side (measured on 256 -> 256 channels at 7x7: 4 images per GEMM run all three passes
 *       1.4-1.5x faster than one); large planes go one image per GEMM, and a 1x1 stride-1 convolution multiplies
 *       the image itself without im2col.</li>
 *   <li>Backward data is GEMM then col2im. Running it instead as a forward convolution of dy with the flipped,
 *       transposed kernel (no col2im) measured no faster, so it was left out.</li>
 *   <li>Parallelism: units are split over the threads, each GEMM running on its unit's thread, or, with fewer units
 *       than threads, each GEMM uses the pool ({@link BatchLoop#forEach}). The weight gradient sums the batch in
 *       groups fixed by the shape and adds the groups in order, so every result is the same on any number of
 *       threads.</li>
 * </ul>
 */
public final class Conv2d {
    /** Columns a GEMM should have at least; fewer and the micro-kernel's edge handling dominates. */
    static final int MIN_GEMM_COLUMNS = 196;
    /** Most partial weight gradients the batch is split into (fixed by the shape, never by the thread count). */
    static final int MAX_WEIGHT_GROUPS = 8;
    /** Cap on the floats held by the partial weight gradients. */
    private static final long MAX_PARTIAL_FLOATS = 1L << 24;

    private Conv2d() {
    }

    // x (N,C,H,W), w (K,C,kh,kw), bias (K) or null -> y (N,K,Ho,Wo)
    public static void forward(Conv2dShape s, float[] x, int xOff, float[] w, int wOff, float[] bias, int biasOff,
                               float[] y, int yOff) {
        int plane = s.outPlane();
        int patch = s.patch();
        int inImage = s.c() * s.inPlane();
        int outImage = s.k() * plane;
        int per = imagesPerGemm(s);
        BatchLoop.forEach(Im2col.ceilDiv(s.n(), per), u -> {
            int n0 = u * per;
            int count = Math.min(per, s.n() - n0);
            if (count == 1) {
                float[] src = columns(s, x, xOff + n0 * inImage);
                int srcOff = s.isPointwise() ? xOff + n0 * inImage : 0;
                // y[n] (K, Ho*Wo) = w (K, C*kh*kw) * col (C*kh*kw, Ho*Wo)
                Gemm.sgemm(false, false, s.k(), plane, patch, 1f, w, wOff, patch, src, srcOff, plane,
                        0f, y, yOff + n0 * outImage, plane);
                addBias(s.k(), plane, bias, biasOff, y, yOff + n0 * outImage);
                return;
            }
            // the unit's columns side by side: col (C*kh*kw, count*Ho*Wo), then y_unit (K, count*Ho*Wo)
            int cols = count * plane;
            float[] col = BatchLoop.scratch(0, patch * cols);
            for (int i = 0; i < count; i++) {
                Im2col.im2col(s, x, xOff + (n0 + i) * inImage, col, i * plane, cols);
            }
            float[] out = BatchLoop.scratch(1, s.k() * cols);
            Gemm.sgemm(false, false, s.k(), cols, patch, 1f, w, wOff, patch, col, 0, cols, 0f, out, 0, cols);
            for (int i = 0; i < count; i++) {
                int image = yOff + (n0 + i) * outImage;
                for (int k = 0; k < s.k(); k++) {
                    System.arraycopy(out, k * cols + i * plane, y, image + k * plane, plane);
                }
                addBias(s.k(), plane, bias, biasOff, y, image);
            }
        });
    }

    private static void addBias(int k, int plane, float[] bias, int biasOff, float[] y, int yImage) {
        if (bias == null) {
            return;
        }
        for (int kk = 0; kk < k; kk++) {
            float b = bias[biasOff + kk];
            int row = yImage + kk * plane;
            for (int p = 0; p < plane; p++) {
                y[row + p] += b;
            }
        }
    }

    // dy (N,K,Ho,Wo), w (K,C,kh,kw) -> dx (N,C,H,W)
    public static void backwardData(Conv2dShape s, float[] dy, int dyOff, float[] w, int wOff, float[] dx, int dxOff) {
        int plane = s.outPlane();
        int patch = s.patch();
        int inImage = s.c() * s.inPlane();
        int outImage = s.k() * plane;
        int per = imagesPerGemm(s);
        BatchLoop.forEach(Im2col.ceilDiv(s.n(), per), u -> {
            int n0 = u * per;
            int count = Math.min(per, s.n() - n0);
            int cols = count * plane;
            float[] src = dy;
            int srcOff = dyOff + n0 * outImage;
            if (count > 1) {
                src = gather(s.k(), plane, count, dy, srcOff, BatchLoop.scratch(1, s.k() * cols));
                srcOff = 0;
            }
            // dcol (C*kh*kw, cols) = w^T (C*kh*kw, K) * dy_unit (K, cols), then fold each image's patches back
            float[] dcol = BatchLoop.scratch(0, patch * cols);
            Gemm.sgemm(true, false, patch, cols, s.k(), 1f, w, wOff, patch, src, srcOff, cols, 0f, dcol, 0, cols);
            for (int i = 0; i < count; i++) {
                Im2col.col2im(s, dcol, i * plane, cols, dx, dxOff + (n0 + i) * inImage);
            }
        });
    }

    // dy (N,K,Ho,Wo), x (N,C,H,W) -> dw (K,C,kh,kw)
    public static void backwardWeight(Conv2dShape s, float[] dy, int dyOff, float[] x, int xOff, float[] dw, int dwOff) {
        int plane = s.outPlane();
        int patch = s.patch();
        int inImage = s.c() * s.inPlane();
        int outImage = s.k() * plane;
        int wSize = s.k() * patch;
        int per = imagesPerGemm(s);
        int units = Im2col.ceilDiv(s.n(), per);
        // The units are cut into a fixed number of contiguous groups; each group sums its units in order into its own
        // partial, and the partials are added in group order: the same bits on any number of threads.
        // Group 0 sums straight into dw, the others into this thread's scratch (kept between calls).
        int groups = weightGroups(s);
        float[] partial = BatchLoop.scratch(2, (groups - 1) * wSize);
        Parallel.forRange(groups, 1, (g0, g1) -> {
            for (int g = g0; g < g1; g++) {
                int first = (int) ((long) units * g / groups);
                int last = (int) ((long) units * (g + 1) / groups);
                for (int u = first; u < last; u++) {
                    int n0 = u * per;
                    int count = Math.min(per, s.n() - n0);
                    int cols = count * plane;
                    float[] col;
                    int colOff = 0;
                    float[] dyU = dy;
                    int dyUOff = dyOff + n0 * outImage;
                    if (count == 1) {
                        col = columns(s, x, xOff + n0 * inImage);
                        colOff = s.isPointwise() ? xOff + n0 * inImage : 0;
                    } else {
                        col = BatchLoop.scratch(0, patch * cols);
                        for (int i = 0; i < count; i++) {
                            Im2col.im2col(s, x, xOff + (n0 + i) * inImage, col, i * plane, cols);
                        }
                        dyU = gather(s.k(), plane, count, dy, dyUOff, BatchLoop.scratch(1, s.k() * cols));
                        dyUOff = 0;
                    }
                    // dw_g (K, C*kh*kw) += dy_unit (K, cols) * col^T (cols, C*kh*kw)
                    Gemm.sgemm(false, true, s.k(), patch, cols, 1f, dyU, dyUOff, cols, col, colOff, cols,
                            u == first ? 0f : 1f, g == 0 ? dw : partial, g == 0 ? dwOff : (g - 1) * wSize, patch);
                }
            }
        });
        if (groups > 1) {
            Parallel.forRange(wSize, 4096, (start, end) -> {
                for (int i = start; i < end; i++) {
                    float acc = dw[dwOff + i];
                    for (int g = 1; g < groups; g++) {
                        acc += partial[(g - 1) * wSize + i];
                    }
                    dw[dwOff + i] = acc;
                }
            });
        }
    }

    /** count images of dy (K, plane) each, from dyOff on, side by side into buf (K, count*plane). */
    private static float[] gather(int k, int plane, int count, float[] dy, int dyOff, float[] buf) {
        int cols = count * plane;
        for (int i = 0; i < count; i++) {
            for (int kk = 0; kk < k; kk++) {
                System.arraycopy(dy, dyOff + (i * k + kk) * plane, buf, kk * cols + i * plane, plane);
            }
        }
        return buf;
    }

    /**
     * The column matrix of the image at {@code xImage}: x itself for a pointwise convolution (read from xImage),
     * otherwise this thread's im2col scratch (read from 0).
     */
    private static float[] columns(Conv2dShape s, float[] x, int xImage) {
        if (s.isPointwise()) {
            return x;
        }
        float[] col = BatchLoop.scratch(0, s.patch() * s.outPlane());
        Im2col.im2col(s, x, xImage, col, 0, s.outPlane());
        return col;
    }

    /** Images whose columns share one GEMM: enough for {@link #MIN_GEMM_COLUMNS} columns (a function of the shape). */
    static int imagesPerGemm(Conv2dShape s) {
        return Math.max(1, Math.min(s.n(), Im2col.ceilDiv(MIN_GEMM_COLUMNS, s.outPlane())));
    }

    /** Number of partial weight gradients: a function of the shape only. */
    static int weightGroups(Conv2dShape s) {
        int units = Im2col.ceilDiv(s.n(), imagesPerGemm(s));
        long wSize = (long) s.k() * s.patch();
        long byMemory = Math.max(1, MAX_PARTIAL_FLOATS / wSize);
        return (int) Math.min(Math.min(units, MAX_WEIGHT_GROUPS), byMemory);
    }
}
