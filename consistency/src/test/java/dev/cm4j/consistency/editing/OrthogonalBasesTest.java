package dev.cm4j.consistency.editing;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.cm4j.tensor.Rng;
import dev.cm4j.tensor.Tensor;
import org.junit.jupiter.api.Test;

/** The bases of colorization and super-resolution are orthogonal, start with the released first column, and invert. */
class OrthogonalBasesTest {
    /** max |Q^T Q - I| of Q rounded to float, as the released code casts it ({@code .to(th.float32)}). */
    private static double floatError(double[][] q) {
        double[][] f = new double[q.length][q.length];
        for (int i = 0; i < q.length; i++) {
            for (int j = 0; j < q.length; j++) {
                f[i][j] = (float) q[i][j];
            }
        }
        return OrthogonalBases.orthogonalityError(f);
    }

    @Test
    void luminanceBasisIsOrthogonalWithTheNormalisedLuminanceFirst() {
        double[][] q = OrthogonalBases.luminance();
        double err = OrthogonalBases.orthogonalityError(q);
        assertTrue(err < 1e-12, "double Q: max |Q^T Q - I| = " + err);
        assertTrue(floatError(q) < 1e-6, "float Q: max |Q^T Q - I| = " + floatError(q));
        double norm = Math.sqrt(0.2989 * 0.2989 + 0.5870 * 0.5870 + 0.1140 * 0.1140);
        for (int i = 0; i < 3; i++) {
            assertEquals(OrthogonalBases.LUMINANCE[i] / norm, q[i][0], 1e-12, "column 0, row " + i);
        }
    }

    @Test
    void patchBasesAreOrthogonalWithAConstantFirstColumnForEveryPatchSize() {
        double worst = 0;
        for (int p = 1; p <= 8; p++) {
            double[][] q = OrthogonalBases.patch(p);
            assertEquals(p * p, q.length);
            worst = Math.max(worst, Math.max(OrthogonalBases.orthogonalityError(q), floatError(q)));
            for (double[] row : q) {
                assertEquals(1.0 / p, row[0], 1e-12, "column 0 of the " + p + "x" + p + " patch basis");
            }
        }
        assertTrue(worst < 1e-6, "max |Q^T Q - I| over p = 1..8, double and float: " + worst);
    }

    @Test
    void firstColumnSignFollowsTheReleasedRule() {
        // a vector summing to a negative number: the released code flips Q so that column 0 sums to >= 0
        double[][] q = OrthogonalBases.withFirstColumn(new double[] {-1, -2, 0.5});
        double sum = q[0][0] + q[1][0] + q[2][0];
        assertTrue(sum > 0, "column 0 sums to " + sum);
        assertTrue(OrthogonalBases.orthogonalityError(q) < 1e-12);
    }

    @Test
    void transformsKeepNormsAndInvert() {
        Tensor x = new Rng(3).normal(2, 3, 8, 12);
        OrthogonalTransform[] as = {
            new OrthogonalTransform.ChannelBasis(OrthogonalBases.luminance()),
            new OrthogonalTransform.PatchBasis(2, OrthogonalBases.patch(2)),
            new OrthogonalTransform.PatchBasis(4, OrthogonalBases.patch(4)),
        };
        for (OrthogonalTransform a : as) {
            Tensor c = a.forward(x);
            double nx = x.square().sum().item();
            double nc = c.square().sum().item();
            assertEquals(nx, nc, 1e-5 * nx, a + ": |A x|^2 vs |x|^2");
            float maxBack = a.inverse(c).sub(x).abs().max(false).item();
            assertTrue(maxBack < 1e-5, a.getClass().getSimpleName() + ": max |A^T A x - x| = " + maxBack);
        }
    }

    @Test
    void patchCoefficientZeroIsThePatchMeanTimesP() {
        int p = 4;
        Tensor x = new Rng(4).normal(1, 1, 8, 8);
        Tensor c = new OrthogonalTransform.PatchBasis(p, OrthogonalBases.patch(p)).forward(x);
        for (int by = 0; by < 8; by += p) {
            for (int bx = 0; bx < 8; bx += p) {
                double mean = x.slice(2, by, by + p).slice(3, bx, bx + p).mean().item();
                assertEquals(mean * p, c.get(0, 0, by, bx), 1e-5, "patch at " + by + "," + bx);
            }
        }
    }

    @Test
    void badSizesAreRefusedWithTheSizes() {
        OrthogonalTransform.PatchBasis a = new OrthogonalTransform.PatchBasis(3, OrthogonalBases.patch(3));
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> a.forward(Tensor.zeros(1, 1, 8, 9)));
        assertTrue(e.getMessage().contains("patch size 3") && e.getMessage().contains("8x9"), e.getMessage());
        OrthogonalTransform.ChannelBasis col = new OrthogonalTransform.ChannelBasis(OrthogonalBases.luminance());
        e = assertThrows(IllegalArgumentException.class, () -> col.forward(Tensor.zeros(1, 1, 4, 4)));
        assertTrue(e.getMessage().contains("3 channels") && e.getMessage().contains("of 1"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> OrthogonalBases.withFirstColumn(new double[3]));
        assertTrue(e.getMessage().contains("non-zero"), e.getMessage());
    }
}
