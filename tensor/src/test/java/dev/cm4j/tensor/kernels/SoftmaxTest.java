package dev.cm4j.tensor.kernels;

import static dev.cm4j.tensor.kernels.NNReference.toDouble;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

/** Scalar and Vector API softmax rows against the double reference, lengths around the vector width included. */
class SoftmaxTest {
    private static final int[] LENGTHS = {1, 2, 3, 7, 8, 9, 15, 16, 17, 31, 49, 196};

    interface Row {
        void apply(float[] a, int aOff, float[] b, int bOff, float[] out, int outOff, int n);
    }

    interface ForwardRow {
        void apply(float[] x, int xOff, float[] y, int yOff, int n);
    }

    private static void checkForward(String name, ForwardRow row, boolean log) {
        for (int n : LENGTHS) {
            int rows = 3;
            float[] x = Close.randn(n, rows * n);
            for (int i = 0; i < x.length; i++) {
                x[i] *= 4;                      // logits with a spread, some far below the maximum
            }
            double[] expected = NNReference.softmax(rows, n, toDouble(x));
            if (log) {
                for (int i = 0; i < expected.length; i++) {
                    expected[i] = Math.log(expected[i]);
                }
            }
            float[] y = new float[rows * n + 1];
            for (int r = 0; r < rows; r++) {
                row.apply(x, r * n, y, 1 + r * n, n);
            }
            Close.assertClose(name + " n=" + n, expected, y, 1, 1e-6);
        }
    }

    private static void checkBackward(String name, Row row, boolean log) {
        for (int n : LENGTHS) {
            int rows = 3;
            double[] x = toDouble(Close.randn(100 + n, rows * n));
            double[] y = NNReference.softmax(rows, n, x);
            float[] dy = Close.randn(200 + n, rows * n);
            double[] expected;
            float[] yf = new float[rows * n];
            if (log) {
                // d/dx of log softmax: dx = dy - softmax * sum(dy)
                expected = new double[rows * n];
                for (int r = 0; r < rows; r++) {
                    double sum = 0;
                    for (int i = 0; i < n; i++) {
                        sum += dy[r * n + i];
                    }
                    for (int i = 0; i < n; i++) {
                        expected[r * n + i] = dy[r * n + i] - y[r * n + i] * sum;
                        yf[r * n + i] = (float) Math.log(y[r * n + i]);
                    }
                }
            } else {
                expected = NNReference.softmaxBackward(rows, n, toDouble(dy), y);
                for (int i = 0; i < yf.length; i++) {
                    yf[i] = (float) y[i];
                }
            }
            float[] dx = new float[rows * n];
            for (int r = 0; r < rows; r++) {
                row.apply(dy, r * n, yf, r * n, dx, r * n, n);
            }
            Close.assertClose(name + " n=" + n, expected, dx, 1e-6);
        }
    }

    @Test
    void scalarRows() {
        checkForward("SoftmaxReference.forwardRow", SoftmaxReference::forwardRow, false);
        checkForward("SoftmaxReference.logForwardRow", SoftmaxReference::logForwardRow, true);
        checkBackward("SoftmaxReference.backwardRow", SoftmaxReference::backwardRow, false);
        checkBackward("SoftmaxReference.logBackwardRow", SoftmaxReference::logBackwardRow, true);
    }

    @Test
    void vectorRows() {
        checkForward("SoftmaxVector.forwardRow", SoftmaxVector::forwardRow, false);
        checkForward("SoftmaxVector.logForwardRow", SoftmaxVector::logForwardRow, true);
        checkBackward("SoftmaxVector.backwardRow", SoftmaxVector::backwardRow, false);
        checkBackward("SoftmaxVector.logBackwardRow", SoftmaxVector::logBackwardRow, true);
    }

    @Test
    void wholeArrayDispatchMatchesRows() {
        int rows = 37;
        int n = 13;
        float[] x = Close.randn(5, rows * n);
        float[] y = new float[rows * n];
        Softmax.forward(rows, n, x, 0, y, 0);
        Close.assertClose("Softmax.forward", NNReference.softmax(rows, n, toDouble(x)), y, 1e-6);
    }

    @Test
    void extremeLogitsStayFinite() {
        float[] x = {1e30f, -1e30f, 0f, Float.NEGATIVE_INFINITY, 88f, -88f, 3f, 1e30f, -5f};
        for (ForwardRow row : new ForwardRow[] {SoftmaxReference::forwardRow, SoftmaxVector::forwardRow}) {
            float[] y = new float[x.length];
            row.apply(x, 0, y, 0, x.length);
            assertEquals(0.5f, y[0], 1e-6f);
            assertEquals(0.5f, y[7], 1e-6f);
            assertEquals(0f, y[3]);
            double sum = 0;
            for (float v : y) {
                assertTrue(Float.isFinite(v));
                sum += v;
            }
            assertEquals(1.0, sum, 1e-6);
        }
    }
}
