package dev.cm4j.consistency.schedule;

import dev.cm4j.models.Presets;
import java.util.Map;
import java.util.function.Function;

/**
 * The step-count and target-EMA schedules of consistency training (Song et al. 2023, Algorithm 3 and App. C; docs/ALGORITHMS.md#consistency-training):
 * <pre>
 *   N(k)  = ceil( sqrt( k/K ((s1 + 1)^2 - s0^2) + s0^2 ) - 1 ) + 1
 *   mu(k) = exp( s0 ln(mu0) / N(k) )          paper form ({@link Form#PAPER})
 *   mu(k) = exp( s0 ln(mu0) / (N(k) - 1) )    released code ({@link Form#CODE}: mu(0) = mu0^(s0/(s0-1)), 0.81 for 0.9)
 * </pre>
 * The named presets follow the released code ({@link Form#CODE}); {@link #withForm} selects the paper's form.
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

    private static final Map<String, Function<Long, CtSchedule>> PRESETS = Map.of(
            "cifar10", CtSchedule::cifar10,
            "imagenet64", CtSchedule::imageNet64,
            "lsun256", CtSchedule::lsun256);

    /** The CIFAR-10 settings of the released code (s0 2, s1 150, mu0 0.9, mu(k) with N(k) - 1) over K steps. */
    public static CtSchedule cifar10(long totalSteps) {
        return new CtSchedule(2, 150, 0.9, totalSteps, Form.CODE);
    }

    /** The ImageNet-64 settings of the released code (s0 2, s1 200, mu0 0.95, code form) over K steps. */
    public static CtSchedule imageNet64(long totalSteps) {
        return new CtSchedule(2, 200, 0.95, totalSteps, Form.CODE);
    }

    /** The LSUN-256 settings of the released code (s0 2, s1 150, mu0 0.95, code form) over K steps. */
    public static CtSchedule lsun256(long totalSteps) {
        return new CtSchedule(2, 150, 0.95, totalSteps, Form.CODE);
    }

    /** The preset {@code cifar10}, {@code imagenet64} or {@code lsun256} over K steps. */
    public static CtSchedule preset(String name, long totalSteps) {
        return Presets.lookup("CtSchedule", PRESETS, name, totalSteps);
    }

    public CtSchedule withS0(int v) {
        return new CtSchedule(v, s1, mu0, totalSteps, form);
    }

    public CtSchedule withS1(int v) {
        return new CtSchedule(s0, v, mu0, totalSteps, form);
    }

    public CtSchedule withMu0(double v) {
        return new CtSchedule(s0, s1, v, totalSteps, form);
    }

    public CtSchedule withTotalSteps(long v) {
        return new CtSchedule(s0, s1, mu0, v, form);
    }

    /** The same schedule with the paper's ({@link Form#PAPER}) or the released code's mu(k). */
    public CtSchedule withForm(Form v) {
        return new CtSchedule(s0, s1, mu0, totalSteps, v);
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
