package dev.cm4j.tensor.kernels;

import static dev.cm4j.tensor.kernels.NNReference.toDouble;
import static org.junit.jupiter.api.Assertions.assertThrows;

import org.junit.jupiter.api.Test;

/**
 * The fused GroupNorm, scale-shift and SiLU (scalar and Vector API blocks, and the threaded whole-tensor kernel)
 * against the unfused composition in double: {@link NNReference#groupNorm}, x (1 + scale) + shift and SiLU, and
 * their chained gradients.
 */
class GroupNormSiluTest {
    /**
     * (n, c, s, groups): planes 1x1, 7x7, 14x14 and 28x28 among others, channel counts that are not multiples of 16,
     * one to 32 channels per group, vector remainders and a block over the flush length.
     */
    private static final int[][] SHAPES = {
            {2, 6, 5, 3}, {1, 4, 1, 4}, {3, 8, 49, 2}, {2, 32, 25, 32}, {2, 24, 784, 8}, {1, 2, 1500, 1},
            {4, 12, 7, 4}, {2, 20, 196, 4}, {3, 40, 49, 8}, {5, 3, 1, 1}, {2, 32, 1, 1}};
    private static final float EPS = 1e-5f;

    interface Forward {
        void apply(float[] x, int xOff, float[] y, int yOff, int cg, int s, float eps, float[] gamma, int gOff,
                   float[] beta, int bOff, float[] scale, float[] shift, int nc0, float[] mean, float[] rstd, int ng);
    }

    interface Backward {
        void apply(float[] dy, int dyOff, float[] x, int xOff, float[] dx, int dxOff, int cg, int s, float[] gamma,
                   int gOff, float[] beta, int bOff, float[] scale, float[] shift, int nc0, float mean, float rstd,
                   double[] sumDz, double[] sumDzXhat);
    }

    /** The inputs of one case: activations with an offset mean, as a U-Net's are. */
    private record Case(int n, int c, int s, int groups, float[] x, float[] gamma, float[] beta, float[] scale,
                        float[] shift, float[] dy) {
        static Case of(int[] sh, boolean scaleShift, long seed) {
            int n = sh[0], c = sh[1], s = sh[2];
            float[] x = Close.randn(seed, n * c * s);
            for (int i = 0; i < x.length; i++) {
                x[i] = 3 + 2 * x[i];
            }
            float[] scale = scaleShift ? Close.randn(seed + 4, n * c) : null;
            if (scale != null) {
                for (int i = 0; i < scale.length; i++) {
                    scale[i] *= 0.5f;
                }
            }
            return new Case(n, c, s, sh[3], x, Close.randn(seed + 1, c), Close.randn(seed + 2, c), scale,
                    scaleShift ? Close.randn(seed + 5, n * c) : null, Close.randn(seed + 3, n * c * s));
        }

        String name() {
            return "n=" + n + " c=" + c + " s=" + s + " groups=" + groups + (scale == null ? "" : " scale-shift");
        }
    }

    /** The unfused composition in double: {y, dx, dgamma, dbeta, dscale, dshift} (the last two null without). */
    private static double[][] oracle(Case k) {
        int n = k.n, c = k.c, s = k.s;
        double[] t = NNReference.groupNorm(n, c, s, k.groups, EPS, toDouble(k.x), toDouble(k.gamma),
                toDouble(k.beta))[0];
        double[] y = new double[t.length];
        double[] dt = new double[t.length];
        double[] dscale = k.scale == null ? null : new double[n * c];
        double[] dshift = k.scale == null ? null : new double[n * c];
        for (int i = 0; i < t.length; i++) {
            int nc = i / s;
            double u = k.scale == null ? 1 : 1 + k.scale[nc];
            double z = t[i] * u + (k.scale == null ? 0 : k.shift[nc]);
            double sg = 1 / (1 + Math.exp(-z));
            y[i] = z * sg;
            double dz = k.dy[i] * sg * (1 + z * (1 - sg));
            dt[i] = dz * u;
            if (dscale != null) {
                dscale[nc] += dz * t[i];
                dshift[nc] += dz;
            }
        }
        double[][] g = NNReference.groupNormBackward(n, c, s, k.groups, EPS, dt, toDouble(k.x), toDouble(k.gamma));
        return new double[][] {y, g[0], g[1], g[2], dscale, dshift};
    }

    /** Runs every block with the given twins, then reduces the channel sums as {@link GroupNormSilu} does. */
    private static void checkBlocks(String name, Forward fwd, Backward bwd) {
        for (boolean scaleShift : new boolean[] {false, true}) {
            for (int[] sh : SHAPES) {
                Case k = Case.of(sh, scaleShift, 11);
                int n = k.n, c = k.c, s = k.s, groups = k.groups, cg = c / groups;
                float[] y = new float[n * c * s];
                float[] mean = new float[n * groups];
                float[] rstd = new float[n * groups];
                float[] dx = new float[n * c * s];
                double[] sumDz = new double[n * c];
                double[] sumDzXhat = new double[n * c];
                for (int ng = 0; ng < n * groups; ng++) {
                    int c0 = (ng % groups) * cg;
                    int nc0 = (ng / groups) * c + c0;
                    int block = ng * cg * s;
                    fwd.apply(k.x, block, y, block, cg, s, EPS, k.gamma, c0, k.beta, c0, k.scale, k.shift, nc0,
                            mean, rstd, ng);
                    bwd.apply(k.dy, block, k.x, block, dx, block, cg, s, k.gamma, c0, k.beta, c0, k.scale,
                            k.shift, nc0, mean[ng], rstd[ng], sumDz, sumDzXhat);
                }
                double[][] ref = oracle(k);
                String what = name + " " + k.name();
                Close.assertClose(what + " y", ref[0], y, 1e-5);
                Close.assertClose(what + " dx", ref[1], dx, 2e-5);
                double[] dgamma = new double[c];
                double[] dbeta = new double[c];
                for (int i = 0; i < n * c; i++) {
                    double u = k.scale == null ? 1 : 1 + k.scale[i];
                    dgamma[i % c] += u * sumDzXhat[i];
                    dbeta[i % c] += u * sumDz[i];
                }
                // channel sums of n*s terms that cancel: float rounding grows like sqrt(n*s)
                double sumTol = 3e-6 * Math.sqrt(n * s);
                Close.assertClose(what + " dgamma", ref[2], dgamma, sumTol);
                Close.assertClose(what + " dbeta", ref[3], dbeta, sumTol);
            }
        }
    }

    @Test
    void scalarBlocks() {
        checkBlocks("GroupNormSiluReference", GroupNormSiluReference::forwardBlock,
                GroupNormSiluReference::backwardBlock);
    }

    @Test
    void vectorBlocks() {
        checkBlocks("GroupNormSiluVector", GroupNormSiluVector::forwardBlock, GroupNormSiluVector::backwardBlock);
    }

    /** The threaded kernel, at offsets, with dx written over dy as the in-place backward does. */
    @Test
    void wholeTensor() {
        for (boolean scaleShift : new boolean[] {false, true}) {
            for (int[] sh : SHAPES) {
                Case k = Case.of(sh, scaleShift, 21);
                int n = k.n, c = k.c, s = k.s, groups = k.groups;
                String what = "GroupNormSilu " + k.name();
                float[] y = new float[n * c * s + 3];
                float[] mean = new float[n * groups];
                float[] rstd = new float[n * groups];
                float[] gamma = new float[c + 1];
                System.arraycopy(k.gamma, 0, gamma, 1, c);
                GroupNormSilu.forward(n, c, s, groups, EPS, k.x, 0, gamma, 1, k.beta, 0, k.scale, k.shift, y, 3,
                        mean, rstd);
                double[][] ref = oracle(k);
                Close.assertClose(what + " y", ref[0], y, 3, 1e-5);
                float[] dyDx = k.dy.clone();
                float[] dgamma = new float[c];
                float[] dbeta = new float[c];
                float[] dscale = scaleShift ? new float[n * c] : null;
                float[] dshift = scaleShift ? new float[n * c] : null;
                GroupNormSilu.backward(n, c, s, groups, dyDx, 0, k.x, 0, gamma, 1, k.beta, 0, k.scale, k.shift, mean,
                        rstd, dyDx, 0, dgamma, dbeta, dscale, dshift);
                double sumTol = 3e-6 * Math.sqrt(n * s);
                Close.assertClose(what + " dx", ref[1], dyDx, 2e-5);
                Close.assertClose(what + " dgamma", ref[2], dgamma, sumTol);
                Close.assertClose(what + " dbeta", ref[3], dbeta, sumTol);
                if (scaleShift) {
                    Close.assertClose(what + " dscale", ref[4], dscale, sumTol);
                    Close.assertClose(what + " dshift", ref[5], dshift, sumTol);
                }
            }
        }
    }

    @Test
    void scaleWithoutShiftIsRejected() {
        float[] x = new float[8];
        assertThrows(IllegalArgumentException.class, () -> GroupNormSilu.forward(1, 2, 4, 1, EPS, x, 0,
                new float[2], 0, new float[2], 0, new float[2], null, new float[8], 0, new float[1], new float[1]));
    }
}
