package dev.cm4j.tensor.kernels;

import dev.cm4j.tensor.Parallel;
import dev.cm4j.tensor.Simd;

/**
 * Convolution as matrix products: the images' patch matrices (im2col) times the weights, one {@link Gemm} per unit of
 * images. {@link ConvolutionReference} is the direct-loop twin these are tested against.
 *
 * <ul>
 *   <li>Patches, where the GEMM would run blocked ({@link Gemm#isBlocked}) and so copy the column matrix once more
 *       into its packed blocks: the forward pass of a same convolution (stride 1, kernel 2 padding + 1) has
 *       {@link Im2colPanels} (Vector API) write the patches straight into the B panels, and the weight gradient is
 *       computed transposed, dw^T = col * dy^T, with im2col rows written straight into the A blocks
 *       ({@link Im2colPanels#rows}, {@link Im2colRows}). No column matrix is stored then. Packing only moves data and
 *       each element of dw^T is the same sum in the same order as in dw, so the results are the bits of im2col + GEMM,
 *       which the package-private {@code packed = false} route still computes. Other forward geometries, and the
 *       forward pass without the Vector API, keep the column matrix: a scalar packer straight into the panels measured
 *       0.72-0.90x the speed of im2col + GEMM (docs/PERFORMANCE.md).</li>
 *   <li>Units: small output planes make thin GEMMs, so images are taken {@link #imagesPerGemm} at a time with their
 *       columns side by side (measured on 256 -> 256 channels at 7x7: 4 images per GEMM run all three passes
 *       1.4-1.5x faster than one); large planes go one image per GEMM, and a 1x1 stride-1 convolution multiplies
 *       the image itself without im2col.</li>
 *   <li>Backward data of a same convolution is a forward convolution of dy with the flipped, transposed kernel
 *       ({@link #backwardDataFlipped}), run through the packed panels: no column matrix and no col2im. It replaces
 *       GEMM + col2im where the shape makes it faster ({@link #flipsData}: 1.2-2.0x on the U-Net's shapes, 7-9x on
 *       its last layer, 32 -> 1; 1.0-1.5x on the batch-64 shapes of docs/PERFORMANCE.md; 0.85-0.94x with twice as
 *       many output channels as input channels on 28x28 planes, which keep col2im). Measured before the panels
 *       existed (the flipped forward then ran im2col of dy), the route was no faster.
 *       Other geometries (stride 2, valid padding) keep GEMM + col2im; for the U-Net's stride-2 convolutions col2im
 *       is about half of their input gradient, about 0.2 % of a training step. Results differ from GEMM + col2im
 *       only by float reassociation.</li>
 *   <li>Parallelism: units are split over the threads, each GEMM running on its unit's thread, or, with fewer units
 *       than threads, each GEMM uses the pool ({@link BatchLoop#forEach}). The weight gradient sums the batch in
 *       groups fixed by the shape and adds the groups in order, so every result is the same on any number of
 *       threads.</li>
 * </ul>
 */
public final class Convolution {
    /** Columns a GEMM should have at least; fewer and the micro-kernel's edge handling dominates. */
    static final int MIN_GEMM_COLUMNS = 196;
    /** Most partial weight gradients the batch is split into (fixed by the shape, never by the thread count). */
    static final int MAX_WEIGHT_GROUPS = 8;
    /** Cap on the floats held by the partial weight gradients. */
    private static final long MAX_PARTIAL_FLOATS = 1L << 24;

    private Convolution() {
    }

    // x (N,C,H,W), w (K,C,kh,kw), bias (K) or null -> y (N,K,Ho,Wo)
    public static void forward(ConvolutionShape s, float[] x, int xOff, float[] w, int wOff, float[] bias, int biasOff,
                               float[] y, int yOff) {
        forward(s, x, xOff, w, wOff, bias, biasOff, y, yOff, true);
    }

    /**
     * The forward pass with the patches packed straight into the GEMM's panels ({@code packed}, where the GEMM packs
     * B at all) or through the explicit column matrix; both give the same bits.
     */
    static void forward(ConvolutionShape s, float[] x, int xOff, float[] w, int wOff, float[] bias, int biasOff,
                        float[] y, int yOff, boolean packed) {
        int plane = s.outPlane();
        int patch = s.patch();
        int inImage = s.c() * s.inPlane();
        int outImage = s.k() * plane;
        int per = imagesPerGemm(s);
        BatchLoop.forEach(Im2col.ceilDiv(s.n(), per), u -> {
            int n0 = u * per;
            int count = Math.min(per, s.n() - n0);
            int cols = count * plane;
            // y_unit (K, count*Ho*Wo) = w (K, C*kh*kw) * col (C*kh*kw, count*Ho*Wo); one image writes y directly
            float[] out = count == 1 ? y : BatchLoop.scratch(1, s.k() * cols);
            int outOff = count == 1 ? yOff + n0 * outImage : 0;
            if (count == 1 && s.isPointwise()) {
                Gemm.sgemm(false, false, s.k(), plane, patch, 1f, w, wOff, patch, x, xOff + n0 * inImage, plane,
                        0f, out, outOff, plane);
            } else if (packed && Simd.ENABLED && Im2colPanels.fits(s)
                    && Gemm.isBlocked(false, false, s.k(), cols, patch)) {
                Gemm.sgemmPacked(s.k(), cols, patch, 1f, GemmPack.matrixA(false, w, wOff, patch),
                        panels(s, x, xOff + n0 * inImage, count), 0f, out, outOff, cols);
            } else {
                float[] col = columns(s, x, xOff + n0 * inImage, count);
                Gemm.sgemm(false, false, s.k(), cols, patch, 1f, w, wOff, patch, col, 0, cols, 0f, out, outOff, cols);
            }
            for (int i = 0; i < count; i++) {
                int image = yOff + (n0 + i) * outImage;
                if (count > 1) {
                    for (int k = 0; k < s.k(); k++) {
                        System.arraycopy(out, k * cols + i * plane, y, image + k * plane, plane);
                    }
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

    // dy (N,K,Ho,Wo) -> db (K)

    /**
     * The bias gradient, db[k] = the sum of dy over batch and pixels: each image's plane summed by {@link Reduce#sum}
     * (vector accumulators where the Vector API runs), the planes added in double in batch order. Channels are split
     * over the threads; each channel is one thread's fixed sum, so the result does not depend on the thread count.
     * {@link ConvolutionReference#backwardBias} is the scalar twin it is tested against.
     */
    public static void backwardBias(int n, int k, int plane, float[] dy, int dyOff, float[] db, int dbOff) {
        Parallel.forRange(k, Math.max(1, 4096 / Math.max(1, n * plane)), (start, end) -> {
            for (int kk = start; kk < end; kk++) {
                double acc = 0;
                for (int b = 0; b < n; b++) {
                    acc += Reduce.sum(dy, dyOff + (b * k + kk) * plane, plane);
                }
                db[dbOff + kk] = (float) acc;
            }
        });
    }

    // dy (N,K,Ho,Wo), w (K,C,kh,kw) -> dx (N,C,H,W)
    public static void backwardData(ConvolutionShape s, float[] dy, int dyOff, float[] w, int wOff, float[] dx,
                                    int dxOff) {
        backwardData(s, dy, dyOff, w, wOff, dx, dxOff, true);
    }

    /**
     * The input gradient as a forward convolution of dy with the flipped kernel ({@code flipped}, where
     * {@link #flipsData} takes the shape) or as the GEMM w^T * dy followed by col2im.
     */
    static void backwardData(ConvolutionShape s, float[] dy, int dyOff, float[] w, int wOff, float[] dx, int dxOff,
                             boolean flipped) {
        if (flipped && flipsData(s)) {
            backwardDataFlipped(s, dy, dyOff, w, wOff, dx, dxOff);
            return;
        }
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
    public static void backwardWeight(ConvolutionShape s, float[] dy, int dyOff, float[] x, int xOff, float[] dw,
                                      int dwOff) {
        backwardWeight(s, dy, dyOff, x, xOff, dw, dwOff, true);
    }

    /** The weight gradient with the patches packed straight into the GEMM's panels or not, as in {@link #forward}. */
    static void backwardWeight(ConvolutionShape s, float[] dy, int dyOff, float[] x, int xOff, float[] dw, int dwOff,
                               boolean packed) {
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
        // dw^T = col * dy^T with the patches packed as A rows, where every unit's dy * col^T would run blocked
        int lastCount = s.n() - (units - 1) * per;
        boolean transposed = packed && (long) groups * wSize <= MAX_PARTIAL_FLOATS
                && Gemm.isBlocked(false, true, s.k(), patch, per * plane)
                && Gemm.isBlocked(false, true, s.k(), patch, lastCount * plane);
        // Transposed, every group sums into its own (C*kh*kw, K) partial; otherwise group 0 sums into dw
        float[] partial = BatchLoop.scratch(2, (transposed ? groups : groups - 1) * wSize);
        Parallel.forRange(groups, 1, (g0, g1) -> {
            for (int g = g0; g < g1; g++) {
                int first = (int) ((long) units * g / groups);
                int last = (int) ((long) units * (g + 1) / groups);
                float[] dst = g == 0 && !transposed ? dw : partial;
                int dstOff = transposed ? g * wSize : g == 0 ? dwOff : (g - 1) * wSize;
                for (int u = first; u < last; u++) {
                    int n0 = u * per;
                    int count = Math.min(per, s.n() - n0);
                    int cols = count * plane;
                    float[] dyU = dy;
                    int dyUOff = dyOff + n0 * outImage;
                    if (count > 1) {
                        dyU = gather(s.k(), plane, count, dy, dyUOff, BatchLoop.scratch(1, s.k() * cols));
                        dyUOff = 0;
                    }
                    float beta = u == first ? 0f : 1f;
                    if (transposed) {
                        // dw_g^T (C*kh*kw, K) += col (C*kh*kw, cols) * dy_unit^T (cols, K): each element the same
                        // sum in the same order as dy * col^T below
                        Gemm.sgemmPacked(patch, s.k(), cols, 1f, rows(s, x, xOff + n0 * inImage, count),
                                GemmPack.matrixB(true, dyU, dyUOff, cols), beta, dst, dstOff, s.k());
                    } else if (count == 1 && s.isPointwise()) {
                        // dw_g (K, C*kh*kw) += dy_unit (K, cols) * col^T (cols, C*kh*kw)
                        Gemm.sgemm(false, true, s.k(), patch, cols, 1f, dyU, dyUOff, cols, x, xOff + n0 * inImage,
                                cols, beta, dst, dstOff, patch);
                    } else {
                        float[] col = columns(s, x, xOff + n0 * inImage, count);
                        Gemm.sgemm(false, true, s.k(), patch, cols, 1f, dyU, dyUOff, cols, col, 0, cols,
                                beta, dst, dstOff, patch);
                    }
                }
            }
        });
        if (transposed) {
            // dw[k, r] = partial_0^T[r, k] + partial_1^T[r, k] + ...: the additions of the untransposed case, in order
            int k = s.k();
            Parallel.forRange(patch, Math.max(1, 4096 / k), (r0, r1) -> {
                for (int r = r0; r < r1; r++) {
                    for (int kk = 0; kk < k; kk++) {
                        float acc = partial[r * k + kk];
                        for (int g = 1; g < groups; g++) {
                            acc += partial[g * wSize + r * k + kk];
                        }
                        dw[dwOff + kk * patch + r] = acc;
                    }
                }
            });
        } else if (groups > 1) {
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

    /**
     * The input gradient of a same convolution (stride 1, kernel 2 padding + 1) as the forward pass of another:
     * dx[c, h, w] = sum over k, i, j of w[k, c, i, j] dy[k, h + padding - i, w + padding - j], which with
     * w'[c, k, i', j'] = w[k, c, kh-1-i', kw-1-j'] reads dy[k, h + i' - padding, w + j' - padding]: the same
     * convolution of dy (K channels) with w' (C outputs). w' is built in this thread's scratch (slot 2, which the
     * forward pass does not use); the forward pass packs dy's patches straight into its panels where it can.
     */
    static void backwardDataFlipped(ConvolutionShape s, float[] dy, int dyOff, float[] w, int wOff, float[] dx,
                                    int dxOff) {
        if (!Im2col.isSame(s)) {
            throw new IllegalArgumentException("conv2d backward data, flipped kernel: needs a same convolution "
                    + "(stride 1, kernel 2 padding + 1), got " + s.kh() + "x" + s.kw() + " kernel, stride " + s.stride()
                    + ", padding " + s.padding());
        }
        if (wOff < 0 || wOff + s.weightSize() > w.length) {
            throw new IllegalArgumentException("conv2d backward data: weight (" + s.k() + ", " + s.c() + ", " + s.kh()
                    + ", " + s.kw() + ") at offset " + wOff + " needs " + (wOff + s.weightSize())
                    + " floats, the array has " + w.length);
        }
        float[] wf = BatchLoop.scratch(2, (int) s.weightSize());
        flipKernel(s, w, wOff, wf);
        forward(flippedShape(s), dy, dyOff, wf, 0, null, 0, dx, dxOff, true);
    }

    /**
     * True when the input gradient runs as a forward convolution of dy with the flipped kernel: a same convolution
     * (stride 1, kernel 2 padding + 1) whose flipped forward takes the packed panels, so neither a column matrix nor
     * col2im is needed. Decided by the shape alone (docs/PERFORMANCE.md, measured on 3x3 and 1x1 convolutions):
     * <ul>
     *   <li>1x1: always (col2im is then a plain copy of the product);</li>
     *   <li>output rows shorter than {@link Im2col#VECTOR_ROW}: always (col2im adds them with scalar loops);</li>
     *   <li>otherwise only with K <= C. The flipped forward packs K*kh*kw patch rows per pixel for a product with C
     *       rows, col2im moves C*kh*kw; with more output channels than input channels (32 -> 64 at 28x28: 0.85-0.94x)
     *       the panels cost more than col2im saves.</li>
     * </ul>
     */
    static boolean flipsData(ConvolutionShape s) {
        if (!Simd.ENABLED || !Im2col.isSame(s)) {
            return false;
        }
        if (s.kh() > 1 && s.outW() >= Im2col.VECTOR_ROW && s.k() > s.c()) {
            return false;
        }
        ConvolutionShape t = flippedShape(s);
        return Im2colPanels.fits(t) && Gemm.isBlocked(false, false, t.k(), imagesPerGemm(t) * t.outPlane(), t.patch());
    }

    /** The convolution whose forward pass is the input gradient of the same convolution s: dy -> dx (N,C,H,W). */
    private static ConvolutionShape flippedShape(ConvolutionShape s) {
        return new ConvolutionShape(s.n(), s.k(), s.outH(), s.outW(), s.c(), s.kh(), s.kw(), s.stride(), s.padding());
    }

    // w (K,C,kh,kw) -> wf (C,K,kh,kw): wf[c, k, i, j] = w[k, c, kh-1-i, kw-1-j]
    private static void flipKernel(ConvolutionShape s, float[] w, int wOff, float[] wf) {
        int taps = s.kh() * s.kw();
        for (int c = 0; c < s.c(); c++) {
            for (int k = 0; k < s.k(); k++) {
                int src = wOff + (k * s.c() + c) * taps + taps - 1;
                int dst = (c * s.k() + k) * taps;
                // (i, j) -> (kh-1-i, kw-1-j) is tap t -> taps-1-t
                for (int t = 0; t < taps; t++) {
                    wf[dst + t] = w[src - t];
                }
            }
        }
    }

    /** The forward pass's B panels of count images from xFirst on (Vector API: only behind Simd.ENABLED). */
    private static GemmBSource panels(ConvolutionShape s, float[] x, int xFirst, int count) {
        return Im2colPanels.panels(s, x, xFirst, count);
    }

    /** The transposed weight gradient's A rows of count images from xFirst on. */
    private static GemmASource rows(ConvolutionShape s, float[] x, int xFirst, int count) {
        return Simd.ENABLED && Im2colPanels.fits(s) ? Im2colPanels.rows(s, x, xFirst, count)
                : new Im2colRows(s, x, xFirst, count);
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

    /** The column matrix (C*kh*kw, count*Ho*Wo) of count images from xFirst on, in this thread's scratch. */
    private static float[] columns(ConvolutionShape s, float[] x, int xFirst, int count) {
        int cols = count * s.outPlane();
        float[] col = BatchLoop.scratch(0, s.patch() * cols);
        for (int i = 0; i < count; i++) {
            Im2col.im2col(s, x, xFirst + i * s.c() * s.inPlane(), col, i * s.outPlane(), cols);
        }
        return col;
    }

    /** Images whose columns share one GEMM: enough for {@link #MIN_GEMM_COLUMNS} columns (a function of the shape). */
    static int imagesPerGemm(ConvolutionShape s) {
        return Math.max(1, Math.min(s.n(), Im2col.ceilDiv(MIN_GEMM_COLUMNS, s.outPlane())));
    }

    /** Number of partial weight gradients: a function of the shape only. */
    static int weightGroups(ConvolutionShape s) {
        int units = Im2col.ceilDiv(s.n(), imagesPerGemm(s));
        long wSize = (long) s.k() * s.patch();
        long byMemory = Math.max(1, MAX_PARTIAL_FLOATS / wSize);
        return (int) Math.min(Math.min(units, MAX_WEIGHT_GROUPS), byMemory);
    }
}
