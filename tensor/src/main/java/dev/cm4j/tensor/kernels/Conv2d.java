package dev.cm4j.tensor.kernels;

import dev.cm4j.tensor.Parallel;

/**
 * Convolution as matrix products: im2col of each image, then one {@link Gemm} per image (a 1x1 stride-1 convolution
 * multiplies the image directly). {@link Conv2dReference} is the direct-loop twin these are tested against.
 *
 * <p>Parallelism: images are split over the threads, each GEMM running on its image's thread, or, with fewer images
 * than threads, each GEMM uses the pool ({@link BatchLoop#forEach}). The weight gradient sums the batch in fixed
 * groups, so every result is the same on any number of threads.
 */
public final class Conv2d {
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
        BatchLoop.forEach(s.n(), n -> {
            float[] src = columns(s, x, xOff + n * inImage);
            int srcOff = s.isPointwise() ? xOff + n * inImage : 0;
            int yImage = yOff + n * s.k() * plane;
            // y[n] (K, Ho*Wo) = w (K, C*kh*kw) * col (C*kh*kw, Ho*Wo)
            Gemm.sgemm(false, false, s.k(), plane, patch, 1f, w, wOff, patch, src, srcOff, plane, 0f, y, yImage, plane);
            if (bias != null) {
                for (int k = 0; k < s.k(); k++) {
                    float b = bias[biasOff + k];
                    int row = yImage + k * plane;
                    for (int p = 0; p < plane; p++) {
                        y[row + p] += b;
                    }
                }
            }
        });
    }

    // dy (N,K,Ho,Wo), w (K,C,kh,kw) -> dx (N,C,H,W)
    public static void backwardData(Conv2dShape s, float[] dy, int dyOff, float[] w, int wOff, float[] dx, int dxOff) {
        int plane = s.outPlane();
        int patch = s.patch();
        int inImage = s.c() * s.inPlane();
        BatchLoop.forEach(s.n(), n -> {
            int dyImage = dyOff + n * s.k() * plane;
            if (s.isPointwise()) {
                // dx[n] (C, H*W) = w^T (C, K) * dy[n] (K, H*W)
                Gemm.sgemm(true, false, s.c(), plane, s.k(), 1f, w, wOff, patch, dy, dyImage, plane,
                        0f, dx, dxOff + n * inImage, plane);
                return;
            }
            // dcol (C*kh*kw, Ho*Wo) = w^T * dy[n], then fold the patches back onto the image
            float[] dcol = BatchLoop.scratch(0, patch * plane);
            Gemm.sgemm(true, false, patch, plane, s.k(), 1f, w, wOff, patch, dy, dyImage, plane, 0f, dcol, 0, plane);
            Im2col.col2im(s, dcol, 0, dx, dxOff + n * inImage);
        });
    }

    // dy (N,K,Ho,Wo), x (N,C,H,W) -> dw (K,C,kh,kw)
    public static void backwardWeight(Conv2dShape s, float[] dy, int dyOff, float[] x, int xOff, float[] dw, int dwOff) {
        int plane = s.outPlane();
        int patch = s.patch();
        int inImage = s.c() * s.inPlane();
        int wSize = s.k() * patch;
        // The batch is cut into a fixed number of contiguous groups; each group sums its images in order into its own
        // partial, and the partials are added in group order: the same bits on any number of threads.
        int groups = weightGroups(s);
        float[] partial = groups == 1 ? dw : new float[groups * wSize];
        int partialOff = groups == 1 ? dwOff : 0;
        Parallel.forRange(groups, 1, (g0, g1) -> {
            for (int g = g0; g < g1; g++) {
                int first = (int) ((long) s.n() * g / groups);
                int last = (int) ((long) s.n() * (g + 1) / groups);
                for (int n = first; n < last; n++) {
                    float[] src = columns(s, x, xOff + n * inImage);
                    int srcOff = s.isPointwise() ? xOff + n * inImage : 0;
                    // dw_g (K, C*kh*kw) += dy[n] (K, Ho*Wo) * col^T (Ho*Wo, C*kh*kw)
                    Gemm.sgemm(false, true, s.k(), patch, plane, 1f, dy, dyOff + n * s.k() * plane, plane,
                            src, srcOff, plane, n == first ? 0f : 1f, partial, partialOff + g * wSize, patch);
                }
            }
        });
        if (groups > 1) {
            Parallel.forRange(wSize, 4096, (start, end) -> {
                for (int i = start; i < end; i++) {
                    float acc = partial[i];
                    for (int g = 1; g < groups; g++) {
                        acc += partial[g * wSize + i];
                    }
                    dw[dwOff + i] = acc;
                }
            });
        }
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
        Im2col.im2col(s, x, xImage, col, 0);
        return col;
    }

    /** Number of partial weight gradients: a function of the shape only. */
    static int weightGroups(Conv2dShape s) {
        long wSize = (long) s.k() * s.patch();
        long byMemory = Math.max(1, MAX_PARTIAL_FLOATS / wSize);
        return (int) Math.min(Math.min(s.n(), MAX_WEIGHT_GROUPS), byMemory);
    }
}
