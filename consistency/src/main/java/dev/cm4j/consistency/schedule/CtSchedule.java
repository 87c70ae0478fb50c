package dev.cm4j.consistency.schedule;

/**
 * The step-count and target-EMA schedules of consistency training (Song et al. 2023, Algorithm 3 and App. C):
 * <pre>
 *   N(k)  = ceil( sqrt( k/K ((s1 + 1)^2 - s0^2) + s0^2 ) - 1 ) + 1
 *   mu(k) = exp( s0 ln(mu0) / N(k) )          paper form ({@link Form#PAPER}, the default)
 *   mu(k) = exp( s0 ln(mu0) / (N(k) - 1) )    released code ({@link Form#CODE}: mu(0) = mu0^(s0/(s0-1)), 0.81 for 0.9)
 * </pre>
 * k is the current iteration, K the total; N runs from s0 at k = 0 to s1 + 1 at k = K. As in the code, N never
 * drops below 2.
 *
 * @param s0 initial discretisation (2)
 * @param s1 final discretisation (150 for CIFAR-10; N(K) = s1 + 1)
 * @param mu0 initial target EMA rate (0.9 for CIFAR-10, 0.95 for ImageNet and LSUN)
 * @param totalSteps K
 * @param form which mu(k) formula
 */
public record CtSchedule(int s0, int s1, double mu0, long totalSteps, Form form) {
    /** Which of the two published mu(k) formulas. */
    public enum Form {
        /** exp(s0 ln mu0 / N(k)), as the paper writes it. */
        PAPER,
        /** exp(s0 ln mu0 / (N(k) - 1)), as the JAX and PyTorch code compute it. */
        CODE
    }

    public CtSchedule {
        if (s0 < 1 || s1 < s0) {
            throw new IllegalArgumentException("CtSchedule: need 1 <= s0 <= s1, got s0 " + s0 + ", s1 " + s1);
        }
        if (!(mu0 >= 0 && mu0 < 1)) {
            throw new IllegalArgumentException("CtSchedule: mu0 must be in [0, 1), got " + mu0);
        }
        if (totalSteps < 1) {
            throw new IllegalArgumentException("CtSchedule: total steps K must be >= 1, got " + totalSteps);
        }
        if (form == null) {
            throw new IllegalArgumentException("CtSchedule: form is null");
        }
    }

    /** The CIFAR-10 settings (s0 2, s1 150, mu0 0.9) over K steps, paper form. */
    public static CtSchedule cifar10(long totalSteps) {
        return new CtSchedule(2, 150, 0.9, totalSteps, Form.PAPER);
    }

    /** N(k): the number of grid points at iteration k (k beyond K is treated as K). */
    public int n(long k) {
        checkStep(k);
        double frac = Math.min(1.0, (double) k / totalSteps);
        double inner = Math.sqrt(frac * ((s1 + 1.0) * (s1 + 1.0) - (double) s0 * s0) + (double) s0 * s0);
        return Math.max(1, (int) Math.ceil(inner - 1)) + 1;
    }

    /** mu(k): the target network's EMA rate at iteration k. */
    public double mu(long k) {
        if (mu0 == 0) {
            return 0;
        }
        int n = n(k);
        double denominator = form == Form.PAPER ? n : n - 1;
        return Math.exp(s0 * Math.log(mu0) / denominator);
    }

    private static void checkStep(long k) {
        if (k < 0) {
            throw new IllegalArgumentException("CtSchedule: iteration k must be >= 0, got " + k);
        }
    }
}
