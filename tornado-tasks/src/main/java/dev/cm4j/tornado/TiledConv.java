package dev.cm4j.tornado;

import dev.cm4j.tensor.kernels.ConvolutionShape;
import uk.ac.manchester.tornado.api.KernelContext;
import uk.ac.manchester.tornado.api.WorkerGrid;
import uk.ac.manchester.tornado.api.WorkerGrid2D;

/**
 * Convolution forward as an implicit GEMM tiled through local memory. Per image the convolution is the product
 * {@code y (K, P) = w (K, R) * col (R, P)} with R = C kh kw filter taps and P = outH outW pixels, where
 * {@code col[(c, i, j), (oh, ow)] = x[c, oh*stride - pad + i, ow*stride - pad + j]} (zero outside the image) is the
 * im2col matrix. The kernel never builds col: each work-group of {@link #TS} x {@link #TS} work-items owns a tile of
 * K rows by TS output pixels (pixels of all images side by side, N P columns), and for each step of TS taps stages
 * a tile of w and the matching tile of col, gathered straight from x, in local memory. This is the layout of the
 * GPU convolutions in cuDNN's "implicit GEMM" family.
 *
 * <p>Weights and bias arrive packed in one buffer {@code wb = [w (K, R) | bias (K)]}. The shape is a task argument;
 * TornadoVM compiles its fields into the kernel as constants, so divisions by P, outW and kw are cheap.
 *
 * <p>On the plain JVM a {@link KernelContext} kernel runs only work-item 0, so {@link #reference} is its twin.
 */
public final class TiledConv {
    /** Tile edge: work-group TS x TS, local memory 2 TS^2 floats. */
    public static final int TS = 16;

    private TiledConv() {
    }

    // x (N,C,H,W), wb = [w (K,C,kh,kw) | bias (K)] -> y (N,K,Ho,Wo); one work-item per output element
    public static void forward(KernelContext ctx, ConvolutionShape s, float[] x, float[] wb, float[] y) {
        int taps = s.kh() * s.kw();
        int r = s.c() * taps;                      // reduction length
        int p = s.outH() * s.outW();               // pixels per image
        int cols = s.n() * p;
        int tx = ctx.localIdx;                      // pixel inside the tile
        int ty = ctx.localIdy;                      // output channel inside the tile
        int col = ctx.groupIdx * TS + tx;
        int k = ctx.groupIdy * TS + ty;
        float[] wTile = ctx.allocateFloatLocalArray(TS * TS);
        float[] xTile = ctx.allocateFloatLocalArray(TS * TS);
        // the pixel this work-item gathers for the col tile: column ctx.groupIdx * TS + tx, any row
        int n = col / p;
        int pix = col - n * p;
        int oh = pix / s.outW();
        int ow = pix - oh * s.outW();
        float acc = 0f;
        for (int r0 = 0; r0 < r; r0 += TS) {
            int rw = r0 + tx;                       // w tile: row k, tap rw
            float wv = 0f;
            if (k < s.k() && rw < r) {
                wv = wb[k * r + rw];
            }
            wTile[ty * TS + tx] = wv;
            int rx = r0 + ty;                       // col tile: tap rx, this work-item's pixel
            float xv = 0f;
            if (rx < r && col < cols) {
                int c = rx / taps;
                int t = rx - c * taps;
                int i = t / s.kw();
                int ih = oh * s.stride() - s.padding() + i;
                int iw = ow * s.stride() - s.padding() + (t - i * s.kw());
                if (ih >= 0 && ih < s.h() && iw >= 0 && iw < s.w()) {
                    xv = x[((n * s.c() + c) * s.h() + ih) * s.w() + iw];
                }
            }
            xTile[ty * TS + tx] = xv;
            ctx.localBarrier();
            for (int q = 0; q < TS; q++) {
                acc += wTile[ty * TS + q] * xTile[q * TS + tx];
            }
            ctx.localBarrier();             // the tiles are overwritten by the next step
        }
        if (k < s.k() && col < cols) {
            y[(n * s.k() + k) * p + pix] = acc + wb[s.k() * r + k];
        }
    }

    /** The launch geometry of {@link #forward}: output pixels of all images along x, output channels along y. */
    public static WorkerGrid grid(ConvolutionShape s) {
        WorkerGrid2D grid = new WorkerGrid2D(TiledGemm.roundUp(s.n() * s.outPlane(), TS), TiledGemm.roundUp(s.k(), TS));
        grid.setLocalWork(TS, TS, 1);
        return grid;
    }

    // the JVM twin of forward: the same implicit GEMM, one output element at a time, float accumulation in tap order
    public static void reference(ConvolutionShape s, float[] x, float[] wb, float[] y) {
        int taps = s.kh() * s.kw();
        int r = s.c() * taps;
        int p = s.outPlane();
        for (int col = 0; col < s.n() * p; col++) {
            int n = col / p;
            int pix = col % p;
            int oh = pix / s.outW();
            int ow = pix % s.outW();
            for (int k = 0; k < s.k(); k++) {
                float acc = 0f;
                for (int rx = 0; rx < r; rx++) {
                    int c = rx / taps;
                    int i = (rx % taps) / s.kw();
                    int j = rx % s.kw();
                    int ih = oh * s.stride() - s.padding() + i;
                    int iw = ow * s.stride() - s.padding() + j;
                    if (ih >= 0 && ih < s.h() && iw >= 0 && iw < s.w()) {
                        acc += wb[k * r + rx] * x[((n * s.c() + c) * s.h() + ih) * s.w() + iw];
                    }
                }
                y[(n * s.k() + k) * p + pix] = acc + wb[s.k() * r + k];
            }
        }
    }
}
