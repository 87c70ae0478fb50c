package dev.cm4j.tensor.kernels;

import dev.cm4j.tensor.Parallel;

/**
 * Nearest-neighbour 2x upsampling over (planes, H, W) and its adjoint. Each output plane is computed by one thread,
 * so results do not depend on the thread count.
 */
public final class Upsampling {
    private Upsampling() {
    }

    // x (P,H,W) -> y (P,2H,2W); y[h, w] = x[h/2, w/2]
    public static void nearest2x(int planes, int h, int w, float[] x, int xOff, float[] y, int yOff) {
        int ow = 2 * w;
        Parallel.forRange(planes, Pool.grain(4 * h * w), (start, end) -> {
            for (int p = start; p < end; p++) {
                int src = xOff + p * h * w;
                int dst = yOff + p * 4 * h * w;
                for (int r = 0; r < h; r++) {
                    int row = dst + 2 * r * ow;
                    for (int q = 0; q < w; q++) {
                        float v = x[src + r * w + q];
                        y[row + 2 * q] = v;
                        y[row + 2 * q + 1] = v;
                    }
                    System.arraycopy(y, row, y, row + ow, ow);
                }
            }
        });
    }

    // dy (P,2H,2W) -> dx (P,H,W); each input receives the sum of the four outputs it was copied to
    public static void nearest2xBackward(int planes, int h, int w, float[] dy, int dyOff, float[] dx, int dxOff) {
        int ow = 2 * w;
        Parallel.forRange(planes, Pool.grain(4 * h * w), (start, end) -> {
            for (int p = start; p < end; p++) {
                int src = dyOff + p * 4 * h * w;
                int dst = dxOff + p * h * w;
                for (int r = 0; r < h; r++) {
                    int top = src + 2 * r * ow;
                    int bottom = top + ow;
                    for (int q = 0; q < w; q++) {
                        dx[dst + r * w + q] = dy[top + 2 * q] + dy[top + 2 * q + 1]
                                + dy[bottom + 2 * q] + dy[bottom + 2 * q + 1];
                    }
                }
            }
        });
    }
}
