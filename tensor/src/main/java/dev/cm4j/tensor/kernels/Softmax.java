package dev.cm4j.tensor.kernels;

import dev.cm4j.tensor.Parallel;
import dev.cm4j.tensor.Simd;

/**
 * Softmax and log-softmax over contiguous rows, forward and backward.
 *
 * <p>Each row runs {@link SoftmaxVector} when {@link Simd#ENABLED}, else {@link SoftmaxReference} (the plain row
 * kernels, also the body a device runs per row). The rows are split over threads; every row is computed by one thread
 * in a fixed order, so results do not depend on the thread count.
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
                    SoftmaxReference.forwardRow(x, xOff + r * n, y, yOff + r * n, n);
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
                    SoftmaxReference.backwardRow(dy, dyOff + r * n, y, yOff + r * n, dx, dxOff + r * n, n);
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
                    SoftmaxReference.logForwardRow(x, xOff + r * n, y, yOff + r * n, n);
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
                    SoftmaxReference.logBackwardRow(dy, dyOff + r * n, y, yOff + r * n, dx, dxOff + r * n, n);
                }
            }
        });
    }

    /** Rows per task so that a task holds at least ~16k elements (thread hand-off costs tens of microseconds). */
    private static int grain(int n) {
        return Math.max(1, 16384 / Math.max(1, n));
    }
}
