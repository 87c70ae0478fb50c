package dev.cm4j.tensor.kernels;

import static dev.cm4j.tensor.kernels.NNReference.toDouble;

import java.util.function.Function;
import org.junit.jupiter.api.Test;

/**
 * Checks the double-precision backward references against central finite differences of the forward references:
 * d/dp <f(p), dy> for every parameter p. Everything here is double, so h = 1e-5 gives ~1e-9 accuracy.
 */
class NNReferenceTest {
    private static final double H = 1e-5;

    /** Central differences of p -> <f(p), dy>. */
    static double[] numericGradient(double[] p, double[] dy, Function<double[], double[]> f) {
        double[] g = new double[p.length];
        for (int i = 0; i < p.length; i++) {
            double old = p[i];
            p[i] = old + H;
            double plus = dot(f.apply(p), dy);
            p[i] = old - H;
            double minus = dot(f.apply(p), dy);
            p[i] = old;
            g[i] = (plus - minus) / (2 * H);
        }
        return g;
    }

    static double dot(double[] a, double[] b) {
        double acc = 0;
        for (int i = 0; i < a.length; i++) {
            acc += a[i] * b[i];
        }
        return acc;
    }

    @Test
    void convBackwardMatchesFiniteDifferences() {
        for (ConvolutionShape s : new ConvolutionShape[] {
                new ConvolutionShape(2, 3, 5, 4, 2, 3, 3, 1, 1),
                new ConvolutionShape(1, 2, 7, 6, 3, 3, 2, 2, 2),
                new ConvolutionShape(2, 2, 4, 4, 3, 1, 1, 1, 0)}) {
            double[] x = toDouble(Close.randn(1, (int) s.inputSize()));
            double[] w = toDouble(Close.randn(2, (int) s.weightSize()));
            double[] dy = toDouble(Close.randn(3, (int) s.outputSize()));
            double[][] grads = NNReference.conv2dBackward(s, dy, x, w);
            Close.assertClose("dx " + s, numericGradient(x, dy, p -> NNReference.conv2d(s, p, w, null)), grads[0], 1e-8);
            Close.assertClose("dw " + s, numericGradient(w, dy, p -> NNReference.conv2d(s, x, p, null)), grads[1], 1e-8);
        }
    }

    @Test
    void groupNormBackwardMatchesFiniteDifferences() {
        int n = 2;
        int c = 6;
        int s = 5;
        int groups = 3;
        double eps = 1e-5;
        double[] x = toDouble(Close.randn(4, n * c * s));
        double[] gamma = toDouble(Close.randn(5, c));
        double[] beta = toDouble(Close.randn(6, c));
        double[] dy = toDouble(Close.randn(7, n * c * s));
        double[][] grads = NNReference.groupNormBackward(n, c, s, groups, eps, dy, x, gamma);
        Close.assertClose("dx", numericGradient(x, dy,
                p -> NNReference.groupNorm(n, c, s, groups, eps, p, gamma, beta)[0]), grads[0], 1e-7);
        Close.assertClose("dgamma", numericGradient(gamma, dy,
                p -> NNReference.groupNorm(n, c, s, groups, eps, x, p, beta)[0]), grads[1], 1e-7);
        Close.assertClose("dbeta", numericGradient(beta, dy,
                p -> NNReference.groupNorm(n, c, s, groups, eps, x, gamma, p)[0]), grads[2], 1e-7);
    }

    @Test
    void attentionBackwardMatchesFiniteDifferences() {
        int batch = 2;
        int heads = 2;
        int d = 3;
        int t = 5;
        double[] qkv = toDouble(Close.randn(8, batch * 3 * heads * d * t));
        double[] dout = toDouble(Close.randn(9, batch * heads * d * t));
        double[] expected = numericGradient(qkv, dout, p -> NNReference.qkvAttention(batch, heads, d, t, p)[0]);
        Close.assertClose("dqkv", expected, NNReference.qkvAttentionBackward(batch, heads, d, t, dout, qkv), 1e-8);
    }

    @Test
    void softmaxBackwardMatchesFiniteDifferences() {
        double[] x = toDouble(Close.randn(10, 3 * 7));
        double[] dy = toDouble(Close.randn(11, 3 * 7));
        double[] y = NNReference.softmax(3, 7, x);
        Close.assertClose("softmax dx", numericGradient(x, dy, p -> NNReference.softmax(3, 7, p)),
                NNReference.softmaxBackward(3, 7, dy, y), 1e-8);
    }
}
