package dev.cm4j.tensor.kernels;

import dev.cm4j.tensor.Parallel;

/**
 * 2x2 average pooling with stride 2 over (planes, H, W) with even H and W, and its adjoint. Each output plane is
 * computed by one thread, so results do not depend on the thread count.
 */
public final class Pool {
    private Pool() {
    }

    // x (P,H,W) -> y (P,H/2,W/2); y[h, w] = mean of the 2x2 window at (2h, 2w)
    public static void avgPool2x2(int planes, int h, int w, float[] x, int xOff, float[] y, int yOff) {
        int oh = h / 2;
        int ow = w / 2;
        Parallel.forRange(planes, grain(h * w), (start, end) -> {
            for (int p = start; p < end; p++) {
                int src = xOff + p * h * w;
                int dst = yOff + p * oh * ow;
                for (int r = 0; r < oh; r++) {
                    int top = src + 2 * r * w;
                    int bottom = top + w;
                    for (int q = 0; q < ow; q++) {
                        y[dst + r * ow + q] = 0.25f * (x[top + 2 * q] + x[top + 2 * q + 1]
                                + x[bottom + 2 * q] + x[bottom + 2 * q + 1]);
                    }
                }
            }
        });
    }

    // dy (P,H/2,W/2) -> dx (P,H,W); each input of a window gets a quarter of the window's gradient
    public static void avgPool2x2Backward(int planes, int h, int w, float[] dy, int dyOff, float[] dx, int dxOff) {
        int oh = h / 2;
        int ow = w / 2;
        Parallel.forRange(planes, grain(h * w), (start, end) -> {
            for (int p = start; p < end; p++) {
                int src = dyOff + p * oh * ow;
                int dst = dxOff + p * h * w;
                for (int r = 0; r < oh; r++) {
                    int top = dst + 2 * r * w;
                    int bottom = top + w;
                    for (int q = 0; q < ow; q++) {
                        float g = 0.25f * dy[src + r * ow + q];
                        dx[top + 2 * q] = g;
                        dx[top + 2 * q + 1] = g;
                        dx[bottom + 2 * q] = g;
                        dx[bottom + 2 * q + 1] = g;
                    }
                }
            }
        });
    }

    /** Planes per task so that a task covers at least ~32k values. */
    static int grain(int plane) {
        return Math.max(1, 32768 / Math.max(1, plane));
    }
}
