package dev.cm4j.tornado;

import dev.cm4j.tensor.kernels.ConvolutionReference;
import dev.cm4j.tensor.kernels.ConvolutionShape;
import uk.ac.manchester.tornado.api.annotations.Parallel;

/**
 * {@code @Parallel} task shells over the convolution bodies of {@link ConvolutionReference}: one work-item per output
 * element, each running the same Java method the CPU reference runs. TornadoVM inlines the body and compiles the
 * shape's fields as constants. All arrays are the plan's compact device buffers (offset 0).
 */
public final class ConvShells {
    private ConvShells() {
    }

    // w (nw), bias (nb) -> wb = [w | bias]: the weights graph's task, run only when the host weights changed
    public static void pack(float[] w, float[] bias, float[] wb, int nw, int nb) {
        for (@Parallel int i = 0; i < nw + nb; i++) {
            if (i < nw) {
                wb[i] = w[i];
            } else {
                wb[i] = bias[i - nw];
            }
        }
    }

    // x (N,C,H,W), wb = [w (K,C,kh,kw) | bias (K)] -> y (N,K,Ho,Wo)
    public static void forward(ConvolutionShape s, float[] x, float[] wb, float[] y) {
        for (@Parallel int nk = 0; nk < s.n() * s.k(); nk++) {
            for (@Parallel int pix = 0; pix < s.outH() * s.outW(); pix++) {
                int n = nk / s.k();
                int k = nk - n * s.k();
                int oh = pix / s.outW();
                int ow = pix - oh * s.outW();
                y[nk * s.outH() * s.outW() + pix] = ConvolutionReference.forwardAt(s, x, 0, wb, 0, n, k, oh, ow)
                        + wb[s.k() * s.c() * s.kh() * s.kw() + k];
            }
        }
    }

    // dy (N,K,Ho,Wo), w (K,C,kh,kw) -> dx (N,C,H,W)
    public static void backwardData(ConvolutionShape s, float[] dy, float[] w, float[] dx) {
        for (@Parallel int nc = 0; nc < s.n() * s.c(); nc++) {
            for (@Parallel int pix = 0; pix < s.h() * s.w(); pix++) {
                int n = nc / s.c();
                int c = nc - n * s.c();
                int ih = pix / s.w();
                int iw = pix - ih * s.w();
                dx[nc * s.h() * s.w() + pix] = ConvolutionReference.backwardDataAt(s, dy, 0, w, 0, n, c, ih, iw);
            }
        }
    }

    // dy (N,K,Ho,Wo), x (N,C,H,W) -> dw (K,C,kh,kw)
    public static void backwardWeight(ConvolutionShape s, float[] dy, float[] x, float[] dw) {
        for (@Parallel int kc = 0; kc < s.k() * s.c(); kc++) {
            for (@Parallel int tap = 0; tap < s.kh() * s.kw(); tap++) {
                int k = kc / s.c();
                int c = kc - k * s.c();
                int i = tap / s.kw();
                int j = tap - i * s.kw();
                dw[kc * s.kh() * s.kw() + tap] = ConvolutionReference.backwardWeightAt(s, dy, 0, x, 0, k, c, i, j);
            }
        }
    }
}
