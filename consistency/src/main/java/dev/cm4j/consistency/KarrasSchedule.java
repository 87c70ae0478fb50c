package dev.cm4j.consistency;

/**
 * The Karras et al. (EDM, 2022, eq. 5) time discretisation used by every consistency model: N noise levels
 * between {@code sigmaMax} and {@code sigmaMin}, spaced uniformly in {@code sigma^(1/rho)}.
 *
 * <p>Index 0 is the <em>largest</em> sigma, as in the released code (the papers count upwards):
 * {@code sigma_i = (sigmaMax^(1/rho) + i/(N-1) (sigmaMin^(1/rho) - sigmaMax^(1/rho)))^rho}, i = 0..N-1.
 * Values are computed in double; sigma is the EDM time ({@code sigma(t) = t}).
 *
 * @param sigmaMin the smallest noise level, epsilon of the consistency models (0.002)
 * @param sigmaMax the largest noise level, T (80)
 * @param rho the warping exponent (7)
 */
public record KarrasSchedule(double sigmaMin, double sigmaMax, double rho) {
    /** The papers' constants: sigmaMin 0.002, sigmaMax 80, rho 7. */
    public static final KarrasSchedule DEFAULT = new KarrasSchedule(0.002, 80, 7);

    public KarrasSchedule {
        if (!(sigmaMin > 0) || !Double.isFinite(sigmaMax) || !(sigmaMin < sigmaMax)) {
            throw new IllegalArgumentException("KarrasSchedule: need 0 < sigmaMin < sigmaMax, got sigmaMin " + sigmaMin
                    + ", sigmaMax " + sigmaMax);
        }
        if (!(rho > 0) || !Double.isFinite(rho)) {
            throw new IllegalArgumentException("KarrasSchedule: rho must be positive and finite, got " + rho);
        }
    }

    /** The same grid with another sigmaMin (epsilon). */
    public KarrasSchedule withSigmaMin(double v) {
        return new KarrasSchedule(v, sigmaMax, rho);
    }

    /** The same grid with another sigmaMax (T). */
    public KarrasSchedule withSigmaMax(double v) {
        return new KarrasSchedule(sigmaMin, v, rho);
    }

    /** The same grid with another rho. */
    public KarrasSchedule withRho(double v) {
        return new KarrasSchedule(sigmaMin, sigmaMax, v);
    }

    /** sigma at grid index {@code i} of an {@code n}-point grid (index 0 = sigmaMax, n-1 = sigmaMin). */
    public double sigma(double i, int n) {
        checkN("KarrasSchedule.sigma", n);
        double maxRho = Math.pow(sigmaMax, 1 / rho);
        double minRho = Math.pow(sigmaMin, 1 / rho);
        return Math.pow(maxRho + i / (n - 1) * (minRho - maxRho), rho);
    }

    /** The n grid points, descending: sigmaMax first, sigmaMin last. */
    public double[] sigmas(int n) {
        checkN("KarrasSchedule.sigmas", n);
        double[] s = new double[n];
        for (int i = 0; i < n; i++) {
            s[i] = sigma(i, n);
        }
        // pin the ends so rounding in pow never moves them
        s[0] = sigmaMax;
        s[n - 1] = sigmaMin;
        return s;
    }

    /** The n grid points followed by sigma_N = 0, as the samplers use them (length n + 1). */
    public double[] sigmasWithZero(int n) {
        double[] s = sigmas(n);
        double[] z = new double[n + 1];
        System.arraycopy(s, 0, z, 0, n);
        return z;
    }

    /** Clamps {@code sigma} into [sigmaMin, sigmaMax]. */
    public double clip(double sigma) {
        return Math.min(sigmaMax, Math.max(sigmaMin, sigma));
    }

    static void checkN(String op, int n) {
        if (n < 2) {
            throw new IllegalArgumentException(op + ": the grid needs N >= 2 points, got N = " + n);
        }
    }
}
