package dev.cm4j.tensor.kernels;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import org.junit.jupiter.api.Test;

/** 2x2 average pooling and nearest 2x upsampling: values against loops over the definition, and adjoint identities. */
class PoolUpsamplingTest {
    private static final int[][] SHAPES = {{1, 2, 2}, {3, 4, 6}, {5, 8, 2}, {2, 14, 10}};

    @Test
    void avgPoolValuesAndAdjoint() {
        for (int[] s : SHAPES) {
            int p = s[0];
            int h = s[1];
            int w = s[2];
            float[] x = Close.randn(1, p * h * w);
            float[] y = new float[p * h * w / 4];
            Pool.avgPool2x2(p, h, w, x, 0, y, 0);
            float[] expected = new float[y.length];
            for (int pl = 0; pl < p; pl++) {
                for (int r = 0; r < h / 2; r++) {
                    for (int q = 0; q < w / 2; q++) {
                        double acc = 0;
                        for (int a = 0; a < 2; a++) {
                            for (int b = 0; b < 2; b++) {
                                acc += x[(pl * h + 2 * r + a) * w + 2 * q + b];
                            }
                        }
                        expected[(pl * (h / 2) + r) * (w / 2) + q] = (float) (acc / 4);
                    }
                }
            }
            assertArrayEquals(expected, y, 1e-6f, "avgPool2x2 " + java.util.Arrays.toString(s));
            float[] dy = Close.randn(2, y.length);
            float[] dx = new float[x.length];
            Pool.avgPool2x2Backward(p, h, w, dy, 0, dx, 0);
            assertEquals(Close.dot(y, dy), Close.dot(x, dx), 1e-5, "avgPool2x2 adjoint " + java.util.Arrays.toString(s));
        }
    }

    @Test
    void upsampleValuesAndAdjoint() {
        for (int[] s : SHAPES) {
            int p = s[0];
            int h = s[1] + 1;              // any size, odd included
            int w = s[2];
            float[] x = Close.randn(3, p * h * w);
            float[] y = new float[4 * x.length];
            Upsampling.nearest2x(p, h, w, x, 0, y, 0);
            for (int pl = 0; pl < p; pl++) {
                for (int r = 0; r < 2 * h; r++) {
                    for (int q = 0; q < 2 * w; q++) {
                        assertEquals(x[(pl * h + r / 2) * w + q / 2], y[(pl * 2 * h + r) * 2 * w + q]);
                    }
                }
            }
            float[] dy = Close.randn(4, y.length);
            float[] dx = new float[x.length];
            Upsampling.nearest2xBackward(p, h, w, dy, 0, dx, 0);
            assertEquals(Close.dot(y, dy), Close.dot(x, dx), 1e-5, "upsample adjoint " + java.util.Arrays.toString(s));
        }
    }
}
