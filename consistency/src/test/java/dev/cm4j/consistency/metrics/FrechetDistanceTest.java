package dev.cm4j.consistency.metrics;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.cm4j.tensor.Rng;
import dev.cm4j.tensor.Tensor;
import org.ejml.data.DMatrixRMaj;
import org.ejml.dense.row.CommonOps_DDRM;
import org.ejml.dense.row.RandomMatrices_DDRM;
import org.junit.jupiter.api.Test;

class FrechetDistanceTest {
    /** A random symmetric positive definite matrix A A^T / d + 0.1 I. */
    private static DMatrixRMaj randomSpd(int d, long seed) {
        DMatrixRMaj a = RandomMatrices_DDRM.rectangleGaussian(d, d, 0, 1, new java.util.Random(seed));
        DMatrixRMaj s = new DMatrixRMaj(d, d);
        CommonOps_DDRM.multTransB(a, a, s);
        CommonOps_DDRM.scale(1.0 / d, s);
        for (int i = 0; i < d; i++) {
            s.add(i, i, 0.1);
        }
        return s;
    }

    /**
     * Tr(sqrtm(A)) of a matrix with positive real eigenvalues by the Denman-Beavers iteration
     * Y <- (Y + Z^-1)/2, Z <- (Z + Y^-1)/2 from Y = A, Z = I (Y converges to sqrtm(A)): the plain formula on the
     * non-symmetric product S1 S2, independent of the symmetric route of the implementation.
     */
    private static double traceSqrtmDenmanBeavers(DMatrixRMaj a) {
        int d = a.numRows;
        DMatrixRMaj y = a.copy();
        DMatrixRMaj z = CommonOps_DDRM.identity(d);
        for (int it = 0; it < 100; it++) {
            DMatrixRMaj yi = new DMatrixRMaj(d, d);
            DMatrixRMaj zi = new DMatrixRMaj(d, d);
            assertTrue(CommonOps_DDRM.invert(y, yi) && CommonOps_DDRM.invert(z, zi));
            DMatrixRMaj ny = new DMatrixRMaj(d, d);
            DMatrixRMaj nz = new DMatrixRMaj(d, d);
            CommonOps_DDRM.add(0.5, y, 0.5, zi, ny);
            CommonOps_DDRM.add(0.5, z, 0.5, yi, nz);
            y = ny;
            z = nz;
        }
        return CommonOps_DDRM.trace(y);
    }

    private static FrechetDistance.Gaussian gaussian(double[] mean, DMatrixRMaj cov) {
        return new FrechetDistance.Gaussian(mean, cov, 1000);
    }

    @Test
    void diagonalGaussiansHaveTheClosedForm() {
        // FD(N(m1, diag a), N(m2, diag b)) = |m1 - m2|^2 + sum (sqrt(a_i) - sqrt(b_i))^2, and the same after a common
        // rotation of both covariances
        double[] a = {4, 1, 0.25, 9};
        double[] b = {1, 1, 1, 0.01};
        double[] m1 = {0, 1, 2, 3};
        double[] m2 = {1, 1, 0, 3};
        double expected = 1 + 4;
        for (int i = 0; i < 4; i++) {
            expected += Math.pow(Math.sqrt(a[i]) - Math.sqrt(b[i]), 2);
        }
        DMatrixRMaj da = CommonOps_DDRM.diag(a);
        DMatrixRMaj db = CommonOps_DDRM.diag(b);
        assertEquals(expected, FrechetDistance.distance(gaussian(m1, da), gaussian(m2, db)), 1e-12);

        DMatrixRMaj q = RandomMatrices_DDRM.orthogonal(4, 4, new java.util.Random(3));
        DMatrixRMaj ra = rotate(q, da);
        DMatrixRMaj rb = rotate(q, db);
        assertEquals(expected, FrechetDistance.distance(gaussian(m1, ra), gaussian(m2, rb)), 1e-10);
    }

    private static DMatrixRMaj rotate(DMatrixRMaj q, DMatrixRMaj s) {
        DMatrixRMaj t = new DMatrixRMaj(4, 4);
        DMatrixRMaj out = new DMatrixRMaj(4, 4);
        CommonOps_DDRM.mult(q, s, t);
        CommonOps_DDRM.multTransB(t, q, out);
        return out;
    }

    @Test
    void traceTermMatchesThePlainFormulaOnNonCommutingCovariances() {
        for (int d : new int[] {2, 7, 32}) {
            DMatrixRMaj s1 = randomSpd(d, d);
            DMatrixRMaj s2 = randomSpd(d, 100 + d);
            DMatrixRMaj product = new DMatrixRMaj(d, d);
            CommonOps_DDRM.mult(s1, s2, product);
            double plain = traceSqrtmDenmanBeavers(product);
            double ours = FrechetDistance.traceSqrtProduct(s1, s2);
            assertEquals(plain, ours, 1e-9 * plain, "d = " + d);
            // and symmetric in its arguments, as Tr((S1 S2)^(1/2)) = Tr((S2 S1)^(1/2))
            assertEquals(ours, FrechetDistance.traceSqrtProduct(s2, s1), 1e-9 * plain, "d = " + d);
        }
    }

    @Test
    void samplesOfTwoGaussiansGiveTheirDistance() {
        // x = m + L z with L L^T = S: the fitted Gaussians approach the true ones, and so does the FD (its bias at
        // n = 40,000 in 3 dimensions is about (trace terms) d / n, far below the tolerance)
        int n = 40_000;
        double[][] l1 = {{1, 0, 0}, {0.5, 0.8, 0}, {0, 0.3, 0.6}};
        double[][] l2 = {{0.7, 0, 0}, {0, 1.2, 0}, {0.4, 0, 0.5}};
        double[] m1 = {0, 0, 0};
        double[] m2 = {0.5, -0.2, 0.1};
        Tensor x1 = draw(n, m1, l1, new Rng(1));
        Tensor x2 = draw(n, m2, l2, new Rng(2));
        double exact = FrechetDistance.distance(gaussian(m1, product(l1)), gaussian(m2, product(l2)));
        assertEquals(exact, FrechetDistance.distance(x1, x2), 0.02);
        // a set against itself: zero up to rounding
        assertEquals(0, FrechetDistance.distance(x1, x1), 1e-9);
    }

    @Test
    void fitGivesTheMeanAndUnbiasedCovariance() {
        Tensor x = Tensor.of(new float[] {1, 2, 3, 6, 5, 4, 0, 1}, 4, 2);
        FrechetDistance.Gaussian g = FrechetDistance.fit(x);
        assertEquals(2.25, g.mean()[0], 1e-15);
        assertEquals(3.25, g.mean()[1], 1e-15);
        // np.cov(x.T): [[59/12, 43/12], [43/12, 59/12]]
        assertEquals(59.0 / 12, g.cov().get(0, 0), 1e-12);
        assertEquals(43.0 / 12, g.cov().get(0, 1), 1e-12);
        assertEquals(43.0 / 12, g.cov().get(1, 0), 1e-12);
        assertEquals(59.0 / 12, g.cov().get(1, 1), 1e-12);
        assertEquals(4, g.n());
    }

    @Test
    void badInputNamesTheOperationAndShapes() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> FrechetDistance.distance(Tensor.zeros(5, 3), Tensor.zeros(5, 4)));
        assertTrue(e.getMessage().contains("FrechetDistance.distance") && e.getMessage().contains("[5, 3]")
                && e.getMessage().contains("[5, 4]"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> FrechetDistance.fit(Tensor.zeros(1, 3)));
        assertTrue(e.getMessage().contains("n >= 2"), e.getMessage());
        Tensor nan = Tensor.zeros(3, 2);
        nan.data()[3] = Float.NaN;
        e = assertThrows(IllegalArgumentException.class, () -> FrechetDistance.fit(nan));
        assertTrue(e.getMessage().contains("feature 1 of row 1"), e.getMessage());
    }

    private static DMatrixRMaj product(double[][] l) {
        DMatrixRMaj m = new DMatrixRMaj(l);
        DMatrixRMaj s = new DMatrixRMaj(3, 3);
        CommonOps_DDRM.multTransB(m, m, s);
        return s;
    }

    private static Tensor draw(int n, double[] mean, double[][] l, Rng rng) {
        int d = mean.length;
        float[] out = new float[n * d];
        double[] z = new double[d];
        for (int i = 0; i < n; i++) {
            for (int j = 0; j < d; j++) {
                z[j] = rng.nextGaussian();
            }
            for (int j = 0; j < d; j++) {
                double v = mean[j];
                for (int k = 0; k < d; k++) {
                    v += l[j][k] * z[k];
                }
                out[i * d + j] = (float) v;
            }
        }
        return Tensor.wrap(out, new int[] {n, d});
    }
}
