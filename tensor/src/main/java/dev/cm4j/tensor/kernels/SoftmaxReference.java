package dev.cm4j.tensor.kernels;

/**
 * Softmax and log-softmax of one row at a time in plain Java: the reference {@link SoftmaxVector} is tested against,
 * the fallback without the Vector API, and the body a device runs per row. {@link Softmax} splits the rows over
 * threads and picks this or the vector twin.
 */
public final class SoftmaxReference {
    private SoftmaxReference() {
    }

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
