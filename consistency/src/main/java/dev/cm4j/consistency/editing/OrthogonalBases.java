package dev.cm4j.consistency.editing;

import java.util.Arrays;
import org.ejml.data.DMatrixRMaj;
import org.ejml.dense.row.factory.DecompositionFactory_DDRM;
import org.ejml.interfaces.decomposition.QRDecomposition;

/**
 * The orthogonal matrices of the released editing code ({@code obtain_orthogonal_matrix} in
 * {@code iterative_colorization} and {@code iterative_superres}): a given unit vector as the first column, completed
 * to an orthonormal basis by the QR decomposition of the identity whose first column is replaced by it, the sign
 * flipped if the first column sums to a negative number.
 *
 * <p>The QR here is EJML's Householder decomposition; numpy's (LAPACK) may give columns 1.. other signs or another
 * basis of the same subspace. The edits depend only on the span of the known columns and of the generated ones
 * (the replacement is the sum of two orthogonal projections), so every edit is the same with either.
 */
public final class OrthogonalBases {
    /** The luminance weights of the released colorization code (ITU-R BT.601, as PIL's {@code convert("L")}). */
    public static final double[] LUMINANCE = {0.2989, 0.5870, 0.1140};

    private OrthogonalBases() {
    }

    /**
     * An n x n orthogonal Q ({@code q[row][column]}) whose column 0 is {@code v / |v|}, completed by QR as the released
     * code does; {@code v} must be non-zero and finite.
     */
    public static double[][] withFirstColumn(double[] v) {
        int n = v.length;
        double norm = 0;
        for (double a : v) {
            if (!Double.isFinite(a)) {
                throw new IllegalArgumentException("OrthogonalBases.withFirstColumn: the vector " + Arrays.toString(v)
                        + " is not finite");
            }
            norm += a * a;
        }
        norm = Math.sqrt(norm);
        if (n == 0 || norm == 0) {
            throw new IllegalArgumentException("OrthogonalBases.withFirstColumn: need a non-zero vector, got "
                    + Arrays.toString(v));
        }
        // the identity with column 0 replaced by the unit vector; its QR's Q starts with +-v/|v|
        DMatrixRMaj m = new DMatrixRMaj(n, n);
        for (int i = 0; i < n; i++) {
            m.set(i, i, 1);
            m.set(i, 0, v[i] / norm);
        }
        QRDecomposition<DMatrixRMaj> qr = DecompositionFactory_DDRM.qr(n, n);
        if (!qr.decompose(m)) {
            throw new IllegalStateException("OrthogonalBases.withFirstColumn: QR failed for " + Arrays.toString(v));
        }
        DMatrixRMaj q = qr.getQ(null, false);
        double sum0 = 0;
        for (int i = 0; i < n; i++) {
            sum0 += q.get(i, 0);
        }
        double sign = sum0 < 0 ? -1 : 1;
        double[][] out = new double[n][n];
        for (int i = 0; i < n; i++) {
            for (int j = 0; j < n; j++) {
                out[i][j] = sign * q.get(i, j);
            }
        }
        return out;
    }

    /** The 3 x 3 colorization basis: column 0 the normalised luminance vector. */
    public static double[][] luminance() {
        return withFirstColumn(LUMINANCE);
    }

    /** The p^2 x p^2 super-resolution basis of p x p patches: column 0 constant, 1/p. */
    public static double[][] patch(int p) {
        if (p < 1 || p > 64) {
            throw new IllegalArgumentException("OrthogonalBases.patch: patch size must be in [1, 64], got " + p);
        }
        double[] ones = new double[p * p];
        Arrays.fill(ones, 1);
        return withFirstColumn(ones);
    }

    /** max |Q^T Q - I| over all entries: 0 for an exactly orthogonal Q. */
    public static double orthogonalityError(double[][] q) {
        int n = q.length;
        double worst = 0;
        for (int a = 0; a < n; a++) {
            for (int b = 0; b < n; b++) {
                double dot = 0;
                for (int i = 0; i < n; i++) {
                    dot += q[i][a] * q[i][b];
                }
                worst = Math.max(worst, Math.abs(dot - (a == b ? 1 : 0)));
            }
        }
        return worst;
    }
}
