package dev.cm4j.tensor.kernels;

import dev.cm4j.tensor.Parallel;
import dev.cm4j.tensor.Simd;

/**
 * Softmax and log-softmax over contiguous rows, forward and backward.
 *
 * <p>The row methods here are the scalar kernels (the reference, the fallback and the body a device runs per row);
 * {@link SoftmaxVector} holds their Vector API twins. The whole-array methods split the rows over threads; every row
 * is computed by one thread in a fixed order, so results do not depend on the thread count.
 */
public final class Softmax {
    private Softmax() {
    }

    // x (rows, n) -> y (rows, n); y[r, i] = exp(x[r, i] - max) / sum exp(x[r, .] - max)
    public static void forward(int rows, int n, float[] x, int xOff, float[] y, int yOff) {
        Parallel.forRange(rows, grain(n), (start, end) -> {
            for (int r = start; r < end; r++) {
                if (Simd.ENABLED) {
                    SoftmaxVector.forwardRow(x, xOff + r * n, y, yOff + r * n, n);
                } else {
                    forwardRow(x, xOff + r * n, y, yOff + r * n, n);
                }
            }
        });
    }

    // dy, y (rows, n) -> dx (rows, n); dx = y * (dy - sum(dy * y))
    public static void backward(int rows, int n, float[] dy, int dyOff, float[] y, int yOff, float[] dx, int dxOff) {
        Parallel.forRange(rows, grain(n), (start, end) -> {
            for (int r = start; r < end; r++) {
                if (Simd.ENABLED) {
                    SoftmaxVector.backwardRow(dy, dyOff + r * n, y, yOff + r * n, dx, dxOff + r * n, n);
                } else {
                    backwardRow(dy, dyOff + r * n, y, yOff + r * n, dx, dxOff + r * n, n);
                }
            }
        });
    }

    // x (rows, n) -> y (rows, n); y = x - max - log(sum exp(x - max))
    public static void logForward(int rows, int n, float[] x, int xOff, float[] y, int yOff) {
        Parallel.forRange(rows, grain(n), (start, end) -> {
            for (int r = start; r < end; r++) {
                if (Simd.ENABLED) {
                    SoftmaxVector.logForwardRow(x, xOff + r * n, y, yOff + r * n, n);
                } else {
                    logForwardRow(x, xOff + r * n, y, yOff + r * n, n);
                }
            }
        });
    }

    // dy, y = logSoftmax(x) (rows, n) -> dx (rows, n); dx = dy - exp(y) * sum(dy)
    public static void logBackward(int rows, int n, float[] dy, int dyOff, float[] y, int yOff, float[] dx, int dxOff) {
        Parallel.forRange(rows, grain(n), (start, end) -> {
            for (int r = start; r < end; r++) {
                if (Simd.ENABLED) {
                    SoftmaxVector.logBackwardRow(dy, dyOff + r * n, y, yOff + r * n, dx, dxOff + r * n, n);
                } else {
                    logBackwardRow(dy, dyOff + r * n, y, yOff + r * n, dx, dxOff + r * n, n);
                }
            }
        });
    }

    /** Rows per task so that a task holds at least ~16k elements (thread hand-off costs tens of microseconds). */
    private static int grain(int n) {
        return Math.max(1, 16384 / Math.max(1, n));
    }

    // ---------------------------------------------------------------- scalar row kernels

    /** Softmax of one row of length n; y may alias x. Subtracting the maximum keeps exp from overflowing. */
    public static void forwardRow(float[] x, int xOff, float[] y, int yOff, int n) {
        float max = Float.NEGATIVE_INFINITY;
        for (int i = 0; i < n; i++) {
            max = Math.max(max, x[xOff + i]);
        }
        float sum = 0f;
        for (int i = 0; i < n; i++) {
            float e = (float) Math.exp(x[xOff + i] - max);
            y[yOff + i] = e;
            sum += e;
        }
        float inv = 1f / sum;
        for (int i = 0; i < n; i++) {
            y[yOff + i] *= inv;
        }
    }

    /** The softmax Jacobian applied to one row: dx = y * (dy - dot(dy, y)); dx may alias dy. */
    public static void backwardRow(float[] dy, int dyOff, float[] y, int yOff, float[] dx, int dxOff, int n) {
        float dot = 0f;
        for (int i = 0; i < n; i++) {
            dot += dy[dyOff + i] * y[yOff + i];
        }
        for (int i = 0; i < n; i++) {
            dx[dxOff + i] = y[yOff + i] * (dy[dyOff + i] - dot);
        }
    }

    /** Log-softmax of one row; y may alias x. */
    public static void logForwardRow(float[] x, int xOff, float[] y, int yOff, int n) {
        float max = Float.NEGATIVE_INFINITY;
        for (int i = 0; i < n; i++) {
            max = Math.max(max, x[xOff + i]);
        }
        float sum = 0f;
        for (int i = 0; i < n; i++) {
            sum += (float) Math.exp(x[xOff + i] - max);
        }
        float shift = max + (float) Math.log(sum);
        for (int i = 0; i < n; i++) {
            y[yOff + i] = x[xOff + i] - shift;
        }
    }

    /** Log-softmax backward of one row from its output y: dx = dy - exp(y) * sum(dy); dx may alias dy. */
    public static void logBackwardRow(float[] dy, int dyOff, float[] y, int yOff, float[] dx, int dxOff, int n) {
        float sum = 0f;
        for (int i = 0; i < n; i++) {
            sum += dy[dyOff + i];
        }
        for (int i = 0; i < n; i++) {
            dx[dxOff + i] = dy[dyOff + i] - (float) Math.exp(y[yOff + i]) * sum;
        }
    }
}
