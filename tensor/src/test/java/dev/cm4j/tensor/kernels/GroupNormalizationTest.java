package dev.cm4j.tensor.kernels;

import static dev.cm4j.tensor.kernels.NNReference.toDouble;

import org.junit.jupiter.api.Test;

/** Scalar and Vector API group norm blocks, and the threaded whole-tensor kernels, against the double reference. */
class GroupNormalizationTest {
    /** (n, c, s, groups); s = product of spatial dims, with vector remainders and blocks over the flush length. */
    private static final int[][] SHAPES = {
            {2, 6, 5, 3}, {1, 4, 1, 4}, {3, 8, 49, 2}, {2, 32, 25, 32}, {2, 6, 17, 1}, {1, 2, 1500, 1}, {4, 12, 7, 4}};
    private static final float EPS = 1e-5f;

    interface Forward {
        void apply(float[] x, int xOff, float[] y, int yOff, int cg, int s, float eps, float[] gamma, int gOff,
                   float[] beta, int bOff, float[] mean, float[] rstd, int ng);
    }

    interface Backward {
        void apply(float[] dy, int dyOff, float[] x, int xOff, float[] dx, int dxOff, int cg, int s,
                   float[] gamma, int gOff, float mean, float rstd, double[] sumDy, double[] sumDyXhat, int nc0);
    }

    private void check(String name, Forward fwd, Backward bwd) {
        for (int[] sh : SHAPES) {
            int n = sh[0];
            int c = sh[1];
            int s = sh[2];
            int groups = sh[3];
            int cg = c / groups;
            String what = name + " n=" + n + " c=" + c + " s=" + s + " groups=" + groups;
            float[] x = Close.randn(1, n * c * s);
            for (int i = 0; i < x.length; i++) {
                x[i] = 3 + 2 * x[i];            // an offset mean, as activations have
            }
            float[] gamma = Close.randn(2, c);
            float[] beta = Close.randn(3, c);
            float[] dy = Close.randn(4, n * c * s);
            double[][] ref = NNReference.groupNorm(n, c, s, groups, EPS, toDouble(x), toDouble(gamma), toDouble(beta));
            double[][] grads = NNReference.groupNormBackward(n, c, s, groups, EPS, toDouble(dy), toDouble(x),
                    toDouble(gamma));
            float[] y = new float[n * c * s];
            float[] mean = new float[n * groups];
            float[] rstd = new float[n * groups];
            float[] dx = new float[n * c * s];
            double[] sumDy = new double[n * c];
            double[] sumDyXhat = new double[n * c];
            for (int ng = 0; ng < n * groups; ng++) {
                int c0 = (ng % groups) * cg;
                fwd.apply(x, ng * cg * s, y, ng * cg * s, cg, s, EPS, gamma, c0, beta, c0, mean, rstd, ng);
                bwd.apply(dy, ng * cg * s, x, ng * cg * s, dx, ng * cg * s, cg, s, gamma, c0, mean[ng], rstd[ng],
                        sumDy, sumDyXhat, (ng / groups) * c + c0);
            }
            Close.assertClose(what + " y", ref[0], y, 1e-5);
            Close.assertClose(what + " mean", ref[1], mean, 1e-6);
            Close.assertClose(what + " rstd", ref[2], rstd, 1e-5);
            Close.assertClose(what + " dx", grads[0], dx, 1e-5);
            double[] dgamma = new double[c];
            double[] dbeta = new double[c];
            for (int i = 0; i < n * c; i++) {
                dgamma[i % c] += sumDyXhat[i];
                dbeta[i % c] += sumDy[i];
            }
            // channel sums of n*s terms of size ~1 that cancel: float rounding grows like sqrt(n*s)
            double sumTol = 2e-6 * Math.sqrt(n * s);
            Close.assertClose(what + " dgamma", grads[1], dgamma, sumTol);
            Close.assertClose(what + " dbeta", grads[2], dbeta, sumTol);
        }
    }

    @Test
    void scalarBlocks() {
        check("GroupNormalizationReference", GroupNormalizationReference::forwardBlock,
                GroupNormalizationReference::backwardBlock);
    }

    @Test
    void vectorBlocks() {
        check("GroupNormalizationVector", GroupNormalizationVector::forwardBlock,
                GroupNormalizationVector::backwardBlock);
    }

    @Test
    void wholeTensor() {
        int n = 3;
        int c = 64;
        int s = 49;
        int groups = 32;
        float[] x = Close.randn(5, n * c * s);
        float[] gamma = Close.randn(6, c);
        float[] beta = Close.randn(7, c);
        float[] dy = Close.randn(8, n * c * s);
        float[] y = new float[n * c * s + 2];
        float[] mean = new float[n * groups];
        float[] rstd = new float[n * groups];
        GroupNormalization.forward(n, c, s, groups, EPS, x, 0, gamma, 0, beta, 0, y, 2, mean, rstd);
        double[][] ref = NNReference.groupNorm(n, c, s, groups, EPS, toDouble(x), toDouble(gamma), toDouble(beta));
        Close.assertClose("forward", ref[0], y, 2, 1e-5);
        float[] dx = new float[n * c * s];
        float[] dgamma = new float[c];
        float[] dbeta = new float[c];
        GroupNormalization.backward(n, c, s, groups, dy, 0, x, 0, gamma, 0, mean, rstd, dx, 0, dgamma, dbeta);
        double[][] grads = NNReference.groupNormBackward(n, c, s, groups, EPS, toDouble(dy), toDouble(x),
                toDouble(gamma));
        Close.assertClose("dx", grads[0], dx, 1e-5);
        Close.assertClose("dgamma", grads[1], dgamma, 1e-5);
        Close.assertClose("dbeta", grads[2], dbeta, 1e-6);
    }
}
