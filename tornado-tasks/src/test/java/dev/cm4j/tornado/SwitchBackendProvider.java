package dev.cm4j.tornado;

import dev.cm4j.tensor.backend.Backend;
import dev.cm4j.tensor.backend.BackendProvider;
import dev.cm4j.tensor.backend.Backends;
import dev.cm4j.tensor.kernels.ConvolutionShape;

/**
 * A test backend ({@code -Dcm4j.backend=switch}) that forwards every call to a target the test sets, so one JVM can
 * run the same model step on the CPU backend and then on the TornadoVM backend ({@link Backends#current()} is chosen
 * once per process).
 */
public final class SwitchBackendProvider implements BackendProvider {
    /** The backend calls go to; the CPU until a test sets another. */
    static volatile Backend target = Backends.cpu();

    @Override
    public String name() {
        return "switch";
    }

    @Override
    public boolean isAvailable() {
        return true;
    }

    @Override
    public Backend create() {
        return new Backend() {
            @Override
            public String name() {
                return "switch";
            }

            @Override
            public void conv2d(ConvolutionShape s, float[] x, int xOff, float[] w, int wOff, float[] bias, int biasOff,
                               float[] y, int yOff) {
                target.conv2d(s, x, xOff, w, wOff, bias, biasOff, y, yOff);
            }

            @Override
            public void conv2dBackwardData(ConvolutionShape s, float[] dy, int dyOff, float[] w, int wOff,
                                           float[] dx, int dxOff) {
                target.conv2dBackwardData(s, dy, dyOff, w, wOff, dx, dxOff);
            }

            @Override
            public void conv2dBackwardWeight(ConvolutionShape s, float[] dy, int dyOff, float[] x, int xOff,
                                             float[] dw, int dwOff) {
                target.conv2dBackwardWeight(s, dy, dyOff, x, xOff, dw, dwOff);
            }

            @Override
            public void qkvAttention(int batch, int heads, int headDim, int tokens, float[] qkv, int qkvOff,
                                     float[] out, int outOff, float[] probs, int probsOff) {
                target.qkvAttention(batch, heads, headDim, tokens, qkv, qkvOff, out, outOff, probs, probsOff);
            }

            @Override
            public void qkvAttentionBackward(int batch, int heads, int headDim, int tokens, float[] dout, int doutOff,
                                             float[] qkv, int qkvOff, float[] probs, int probsOff,
                                             float[] dqkv, int dqkvOff) {
                target.qkvAttentionBackward(batch, heads, headDim, tokens, dout, doutOff, qkv, qkvOff, probs,
                        probsOff, dqkv, dqkvOff);
            }

            @Override
            public void sgemm(boolean transA, boolean transB, int m, int n, int k, float alpha, float[] a, int aOff,
                              int lda, float[] b, int bOff, int ldb, float beta, float[] c, int cOff, int ldc) {
                target.sgemm(transA, transB, m, n, k, alpha, a, aOff, lda, b, bOff, ldb, beta, c, cOff, ldc);
            }
        };
    }
}
