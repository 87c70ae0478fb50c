package dev.cm4j.tensor.backend;

import dev.cm4j.tensor.kernels.Attention;
import dev.cm4j.tensor.kernels.Convolution;
import dev.cm4j.tensor.kernels.ConvolutionShape;
import dev.cm4j.tensor.kernels.Gemm;

/** The CPU backend: cm4j's own Vector API (or scalar) kernels on the shared thread pool. Always available. */
public final class CpuBackend implements Backend {
    public static final String NAME = "cpu";
    static final CpuBackend INSTANCE = new CpuBackend();

    private CpuBackend() {
    }

    @Override
    public String name() {
        return NAME;
    }

    @Override
    public void conv2d(ConvolutionShape s, float[] x, int xOff, float[] w, int wOff, float[] bias, int biasOff,
                       float[] y, int yOff) {
        Convolution.forward(s, x, xOff, w, wOff, bias, biasOff, y, yOff);
    }

    @Override
    public void conv2dBackwardData(ConvolutionShape s, float[] dy, int dyOff, float[] w, int wOff, float[] dx,
                                   int dxOff) {
        Convolution.backwardData(s, dy, dyOff, w, wOff, dx, dxOff);
    }

    @Override
    public void conv2dBackwardWeight(ConvolutionShape s, float[] dy, int dyOff, float[] x, int xOff, float[] dw,
                                     int dwOff) {
        Convolution.backwardWeight(s, dy, dyOff, x, xOff, dw, dwOff);
    }

    @Override
    public void qkvAttention(int batch, int heads, int headDim, int tokens, float[] qkv, int qkvOff,
                             float[] out, int outOff, float[] probs, int probsOff) {
        Attention.qkvForward(batch, heads, headDim, tokens, qkv, qkvOff, out, outOff, probs, probsOff);
    }

    @Override
    public void qkvAttentionBackward(int batch, int heads, int headDim, int tokens, float[] dout, int doutOff,
                                     float[] qkv, int qkvOff, float[] probs, int probsOff, float[] dqkv, int dqkvOff) {
        Attention.qkvBackward(batch, heads, headDim, tokens, dout, doutOff, qkv, qkvOff, probs, probsOff, dqkv, dqkvOff);
    }

    @Override
    public void sgemm(boolean transA, boolean transB, int m, int n, int k, float alpha,
                      float[] a, int aOff, int lda, float[] b, int bOff, int ldb,
                      float beta, float[] c, int cOff, int ldc) {
        Gemm.sgemm(transA, transB, m, n, k, alpha, a, aOff, lda, b, bOff, ldb, beta, c, cOff, ldc);
    }
}
