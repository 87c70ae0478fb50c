package dev.cm4j.tensor.backend;

import dev.cm4j.tensor.kernels.ConvolutionShape;

/**
 * The operations an accelerator may take over: convolutions, attention and GEMM, on flat float arrays with offsets.
 * The CPU implementation is {@link CpuBackend}; others are found through {@link BackendProvider} and chosen by
 * {@link Backends#current()}.
 *
 * <p>Layouts: images NCHW, convolution weights (K, C, kh, kw), all row-major and contiguous from their offsets. Every
 * method writes its whole output (nothing is accumulated into it) and leaves its inputs unchanged. Shapes are checked
 * by the caller ({@code dev.cm4j.tensor.NN}); a backend may assume them consistent with the arrays.
 */
public interface Backend {

    /** Short name, as in {@code -Dcm4j.backend=<name>}. */
    String name();

    // x (N,C,H,W), w (K,C,kh,kw), bias (K) or null -> y (N,K,Ho,Wo)
    void conv2d(ConvolutionShape s, float[] x, int xOff, float[] w, int wOff, float[] bias, int biasOff,
                float[] y, int yOff);

    // dy (N,K,Ho,Wo), w (K,C,kh,kw) -> dx (N,C,H,W)
    void conv2dBackwardData(ConvolutionShape s, float[] dy, int dyOff, float[] w, int wOff, float[] dx, int dxOff);

    // dy (N,K,Ho,Wo), x (N,C,H,W) -> dw (K,C,kh,kw)
    void conv2dBackwardWeight(ConvolutionShape s, float[] dy, int dyOff, float[] x, int xOff, float[] dw, int dwOff);

    /**
     * Multi-head attention core over a fused qkv tensor (batch, 3*heads*headDim, tokens) whose channels are ordered
     * (three, heads, headDim). Writes out (batch, heads*headDim, tokens) and the softmax probabilities
     * (batch*heads, tokens, tokens) that the backward pass reuses.
     */
    void qkvAttention(int batch, int heads, int headDim, int tokens, float[] qkv, int qkvOff,
                      float[] out, int outOff, float[] probs, int probsOff);

    // dout (B,C,T), qkv (B,3C,T), probs (B*heads,T,T) -> dqkv (B,3C,T)
    void qkvAttentionBackward(int batch, int heads, int headDim, int tokens, float[] dout, int doutOff,
                              float[] qkv, int qkvOff, float[] probs, int probsOff, float[] dqkv, int dqkvOff);

    /** Row-major C = alpha op(A) op(B) + beta C, as {@link dev.cm4j.tensor.kernels.Gemm#sgemm}. */
    void sgemm(boolean transA, boolean transB, int m, int n, int k, float alpha,
               float[] a, int aOff, int lda, float[] b, int bOff, int ldb,
               float beta, float[] c, int cOff, int ldc);
}
