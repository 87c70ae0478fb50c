package dev.cm4j.consistency.editing;

import dev.cm4j.tensor.Tensor;
import java.util.Arrays;

/**
 * The orthogonal transform A of Algorithm 4 on images (B, C, H, W): {@link #forward} gives the coefficients A x in a
 * tensor of the same shape, {@link #inverse} maps coefficients back (A^T, since A is orthogonal). A mask in A-space
 * is a (C, H, W) tensor laid out like the coefficients.
 *
 * <ul>
 *   <li>{@link Identity}: A = I, for inpainting;</li>
 *   <li>{@link ChannelBasis}: a C x C orthogonal Q at every pixel, coefficient d = sum_c x_c Q[c][d] (the released
 *       {@code einsum("bchw,cd->bdhw", x, Q)}), for colorization;</li>
 *   <li>{@link PatchBasis}: each channel cut into p x p patches, each patch flattened row by row (d = py p + px) and
 *       multiplied by a p^2 x p^2 orthogonal Q, coefficient e = sum_d x_d Q[d][e] (the released
 *       {@code einsum("bcnd,de->bcne", x, Q)}), for super-resolution. Coefficient e of the patch at block (i, j) is
 *       stored at pixel (i p + e / p, j p + e % p), so coefficient 0 (the patch mean times p) sits at each patch's
 *       top-left pixel.</li>
 * </ul>
 */
public sealed interface OrthogonalTransform {
    /** A x for images x (B, C, H, W), or A^T x with {@code transpose}; same shape. */
    Tensor apply(Tensor x, boolean transpose);

    /** A x for images x (B, C, H, W); same shape. */
    default Tensor forward(Tensor x) {
        return apply(x, false);
    }

    /** A^T c for coefficients c (B, C, H, W); same shape. */
    default Tensor inverse(Tensor c) {
        return apply(c, true);
    }

    /** Throws a clear error unless images (?, C, H, W) of this size can be transformed. */
    void check(String op, int channels, int height, int width);

    /** The identity: pixels are their own coefficients. */
    record Identity() implements OrthogonalTransform {
        @Override
        public Tensor apply(Tensor x, boolean transpose) {
            return x;
        }

        @Override
        public void check(String op, int channels, int height, int width) {
        }
    }

    /** A C x C orthogonal {@code q[c][d]} applied to the channels of every pixel. */
    record ChannelBasis(double[][] q) implements OrthogonalTransform {
        public ChannelBasis {
            requireSquare("ChannelBasis", q);
        }

        @Override
        public void check(String op, int channels, int height, int width) {
            if (channels != q.length) {
                throw new IllegalArgumentException(op + ": the " + q.length + "x" + q.length + " channel basis needs "
                        + q.length + " channels, got images of " + channels);
            }
        }

        // x (B, C, H, W) -> out (B, C, H, W): out[d] = sum_c x[c] q[c][d], or with transpose out[c] = sum_d q[c][d] x[d]
        @Override
        public Tensor apply(Tensor x, boolean transpose) {
            requireImages("ChannelBasis", x);
            check("ChannelBasis", x.dim(1), x.dim(2), x.dim(3));
            int n = q.length;
            int hw = x.dim(2) * x.dim(3);
            float[] in = x.data();
            int off = x.offset();
            float[] out = new float[x.size()];
            double[] v = new double[n];
            for (int b = 0; b < x.dim(0); b++) {
                int base = b * n * hw;
                for (int p = 0; p < hw; p++) {
                    for (int i = 0; i < n; i++) {
                        v[i] = in[off + base + i * hw + p];
                    }
                    for (int o = 0; o < n; o++) {
                        double s = 0;
                        for (int i = 0; i < n; i++) {
                            s += v[i] * (transpose ? q[o][i] : q[i][o]);
                        }
                        out[base + o * hw + p] = (float) s;
                    }
                }
            }
            return Tensor.wrap(out, x.shape());
        }
    }

    /** A p^2 x p^2 orthogonal {@code q[d][e]} applied to every p x p patch of every channel. */
    record PatchBasis(int p, double[][] q) implements OrthogonalTransform {
        public PatchBasis {
            requireSquare("PatchBasis", q);
            if (p < 1 || q.length != p * p) {
                throw new IllegalArgumentException("PatchBasis: patch size " + p + " needs a " + (p * p) + "x"
                        + (p * p) + " basis, got " + q.length + "x" + q.length);
            }
        }

        @Override
        public void check(String op, int channels, int height, int width) {
            if (height % p != 0 || width % p != 0) {
                throw new IllegalArgumentException(op + ": patch size " + p + " does not divide the image size "
                        + height + "x" + width);
            }
        }

        // x (B, C, H, W): each p x p patch v (p^2) -> out_e = sum_d v_d q[d][e], or with transpose out_d = sum_e q[d][e] v_e
        @Override
        public Tensor apply(Tensor x, boolean transpose) {
            requireImages("PatchBasis", x);
            check("PatchBasis", x.dim(1), x.dim(2), x.dim(3));
            int h = x.dim(2);
            int w = x.dim(3);
            int n = p * p;
            float[] in = x.data();
            int off = x.offset();
            float[] out = new float[x.size()];
            double[] v = new double[n];
            for (int plane = 0; plane < x.dim(0) * x.dim(1); plane++) {
                int base = plane * h * w;
                for (int by = 0; by < h; by += p) {
                    for (int bx = 0; bx < w; bx += p) {
                        for (int d = 0; d < n; d++) {
                            v[d] = in[off + base + (by + d / p) * w + bx + d % p];
                        }
                        for (int o = 0; o < n; o++) {
                            double s = 0;
                            for (int d = 0; d < n; d++) {
                                s += v[d] * (transpose ? q[o][d] : q[d][o]);
                            }
                            out[base + (by + o / p) * w + bx + o % p] = (float) s;
                        }
                    }
                }
            }
            return Tensor.wrap(out, x.shape());
        }
    }

    private static void requireSquare(String op, double[][] q) {
        if (q == null || q.length == 0) {
            throw new IllegalArgumentException(op + ": the basis is empty");
        }
        for (double[] row : q) {
            if (row.length != q.length) {
                throw new IllegalArgumentException(op + ": the basis must be square, got " + q.length + " rows of "
                        + row.length);
            }
        }
    }

    private static void requireImages(String op, Tensor x) {
        if (x.rank() != 4) {
            throw new IllegalArgumentException(op + ": need images (B, C, H, W), got " + Arrays.toString(x.shape()));
        }
    }
}
