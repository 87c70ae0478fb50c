package dev.cm4j.tensor.kernels;

import dev.cm4j.tensor.Parallel;

/**
 * Direct convolution, one output element at a time: the plain reference for {@link Convolution} and the kernel bodies a
 * device runs (one work-item per element). Each body reads only its inputs and writes nothing, so any number of them
 * run concurrently. Arrays are NCHW (x, y) and KCHW (w), each starting at its offset.
 */
public final class ConvolutionReference {
    private ConvolutionReference() {
    }

    // x (N,C,H,W), w (K,C,kh,kw), bias (K) or null -> y (N,K,Ho,Wo)

    /** y[n, k, oh, ow] without bias. */
    public static float forwardAt(ConvolutionShape s, float[] x, int xOff, float[] w, int wOff, int n, int k, int oh,
                                  int ow) {
        float acc = 0f;
        for (int c = 0; c < s.c(); c++) {
            int xPlane = xOff + (n * s.c() + c) * s.h() * s.w();
            int wPlane = wOff + (k * s.c() + c) * s.kh() * s.kw();
            for (int i = 0; i < s.kh(); i++) {
                int ih = oh * s.stride() - s.padding() + i;
                if (ih < 0 || ih >= s.h()) {
                    continue;
                }
                for (int j = 0; j < s.kw(); j++) {
                    int iw = ow * s.stride() - s.padding() + j;
                    if (iw >= 0 && iw < s.w()) {
                        acc += x[xPlane + ih * s.w() + iw] * w[wPlane + i * s.kw() + j];
                    }
                }
            }
        }
        return acc;
    }

    public static void forward(ConvolutionShape s, float[] x, int xOff, float[] w, int wOff, float[] bias, int biasOff,
                               float[] y, int yOff) {
        int oh = s.outH();
        int ow = s.outW();
        Parallel.forRange(s.n() * s.k(), 1, (start, end) -> {
            for (int nk = start; nk < end; nk++) {
                int n = nk / s.k();
                int k = nk % s.k();
                float b = bias == null ? 0f : bias[biasOff + k];
                int yPlane = yOff + nk * oh * ow;
                for (int r = 0; r < oh; r++) {
                    for (int q = 0; q < ow; q++) {
                        y[yPlane + r * ow + q] = forwardAt(s, x, xOff, w, wOff, n, k, r, q) + b;
                    }
                }
            }
        });
    }

    // dy (N,K,Ho,Wo), w (K,C,kh,kw) -> dx (N,C,H,W)

    /** dx[n, c, ih, iw]: the sum over every output pixel and filter tap that read x[n, c, ih, iw]. */
    public static float backwardDataAt(ConvolutionShape s, float[] dy, int dyOff, float[] w, int wOff,
                                       int n, int c, int ih, int iw) {
        int oh = s.outH();
        int ow = s.outW();
        float acc = 0f;
        for (int k = 0; k < s.k(); k++) {
            int dyPlane = dyOff + (n * s.k() + k) * oh * ow;
            int wPlane = wOff + (k * s.c() + c) * s.kh() * s.kw();
            for (int i = 0; i < s.kh(); i++) {
                int t = ih + s.padding() - i;          // = r * stride for the output row r that used tap i
                if (t < 0 || t % s.stride() != 0 || t / s.stride() >= oh) {
                    continue;
                }
                int r = t / s.stride();
                for (int j = 0; j < s.kw(); j++) {
                    int u = iw + s.padding() - j;
                    if (u >= 0 && u % s.stride() == 0 && u / s.stride() < ow) {
                        acc += dy[dyPlane + r * ow + u / s.stride()] * w[wPlane + i * s.kw() + j];
                    }
                }
            }
        }
        return acc;
    }

    public static void backwardData(ConvolutionShape s, float[] dy, int dyOff, float[] w, int wOff, float[] dx,
                                    int dxOff) {
        Parallel.forRange(s.n() * s.c(), 1, (start, end) -> {
            for (int nc = start; nc < end; nc++) {
                int n = nc / s.c();
                int c = nc % s.c();
                int dxPlane = dxOff + nc * s.h() * s.w();
                for (int ih = 0; ih < s.h(); ih++) {
                    for (int iw = 0; iw < s.w(); iw++) {
                        dx[dxPlane + ih * s.w() + iw] = backwardDataAt(s, dy, dyOff, w, wOff, n, c, ih, iw);
                    }
                }
            }
        });
    }

    // dy (N,K,Ho,Wo), x (N,C,H,W) -> dw (K,C,kh,kw)

    /** dw[k, c, i, j]: the correlation of dy[., k] with x[., c] shifted by tap (i, j), summed over the batch in order. */
    public static float backwardWeightAt(ConvolutionShape s, float[] dy, int dyOff, float[] x, int xOff,
                                         int k, int c, int i, int j) {
        int oh = s.outH();
        int ow = s.outW();
        float acc = 0f;
        for (int n = 0; n < s.n(); n++) {
            int dyPlane = dyOff + (n * s.k() + k) * oh * ow;
            int xPlane = xOff + (n * s.c() + c) * s.h() * s.w();
            for (int r = 0; r < oh; r++) {
                int ih = r * s.stride() - s.padding() + i;
                if (ih < 0 || ih >= s.h()) {
                    continue;
                }
                for (int q = 0; q < ow; q++) {
                    int iw = q * s.stride() - s.padding() + j;
                    if (iw >= 0 && iw < s.w()) {
                        acc += dy[dyPlane + r * ow + q] * x[xPlane + ih * s.w() + iw];
                    }
                }
            }
        }
        return acc;
    }

    public static void backwardWeight(ConvolutionShape s, float[] dy, int dyOff, float[] x, int xOff, float[] dw,
                                      int dwOff) {
        int taps = s.kh() * s.kw();
        Parallel.forRange(s.k() * s.c(), 1, (start, end) -> {
            for (int kc = start; kc < end; kc++) {
                int k = kc / s.c();
                int c = kc % s.c();
                for (int t = 0; t < taps; t++) {
                    dw[dwOff + kc * taps + t] = backwardWeightAt(s, dy, dyOff, x, xOff, k, c, t / s.kw(), t % s.kw());
                }
            }
        });
    }

    // dy (N,K,Ho,Wo) -> db (K)

    /** db[k] = the sum of dy over batch and pixels, accumulated in double in a fixed order. */
    public static void backwardBias(int n, int k, int plane, float[] dy, int dyOff, float[] db, int dbOff) {
        Parallel.forRange(k, 1, (start, end) -> {
            for (int kk = start; kk < end; kk++) {
                double acc = 0;
                for (int b = 0; b < n; b++) {
                    int base = dyOff + (b * k + kk) * plane;
                    for (int p = 0; p < plane; p++) {
                        acc += dy[base + p];
                    }
                }
                db[dbOff + kk] = (float) acc;
            }
        });
    }
}
