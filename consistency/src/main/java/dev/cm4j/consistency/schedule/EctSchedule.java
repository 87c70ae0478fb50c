package dev.cm4j.consistency.schedule;

import dev.cm4j.models.Presets;
import java.util.Map;
import java.util.function.Function;

/**
 * The pair schedule of easy consistency tuning (Geng et al. 2024, section 3; docs/ALGORITHMS.md#easy-consistency-tuning):
 * continuous noise levels instead of a grid.
 * <ul>
 *   <li>t is log-normal: {@code ln t ~ N(P_mean, P_std^2)} (-1.1, 2.0, as iCT).</li>
 *   <li>The target time is {@code r(t) = max(0, t (1 - q^-(stage+1) (1 + k sigmoid(-b t))))}: a fixed fraction of t
 *       below it, widened at small t by the sigmoid term (up to {@code 1 + k/2} times at t = 0).</li>
 *   <li>{@code stage = floor(step / stageLength)}: each stage divides the gap {@code t - r} by q, so r(t) tends to t
 *       and the loss tends to the continuous-time consistency condition. The released CIFAR-10 run has q = 2 and 8
 *       stages of 25k steps; its one-hour variant q = 256 in a single stage (the gap of the 8th stage of q = 2).</li>
 * </ul>
 * Where the factor is negative (early stages, small t) r is 0 and the target is the data point itself.
 *
 * @param q the factor by which each stage shrinks the gap t - r (> 1; 2 in the paper)
 * @param k the weight of the sigmoid term (>= 0; 8)
 * @param b the sigmoid's scale in t (>= 0; 1)
 * @param stageLength steps per stage (>= 1)
 * @param pMean mean of ln t (-1.1)
 * @param pStd standard deviation of ln t (2.0)
 * @param tMin the smallest t drawn (sigmaMin, 0.002): draws below are raised to it. The released code does not
 *             clamp; with c = 0 a t so small that {@code x + t z} rounds to x in float32 makes the distance exactly 0
 *             and its gradient 0/0 (the released loop zeroes non-finite gradients instead)
 * @param tMax the largest t drawn (sigmaMax, 80): the teacher's and the samplers' range
 */
public record EctSchedule(double q, double k, double b, long stageLength, double pMean, double pStd, double tMin,
                          double tMax) {
    public EctSchedule {
        if (!(q > 1) || !Double.isFinite(q)) {
            throw new IllegalArgumentException("EctSchedule: q = " + q + " must be finite and > 1: each stage divides "
                    + "the gap t - r(t) by q, and with q <= 1 the mapping r(t) never approaches t");
        }
        if (!(k >= 0) || !Double.isFinite(k)) {
            throw new IllegalArgumentException("EctSchedule: k = " + k + " must be finite and >= 0 (the weight of the "
                    + "sigmoid term in r(t))");
        }
        if (!(b >= 0) || !Double.isFinite(b)) {
            throw new IllegalArgumentException("EctSchedule: b = " + b + " must be finite and >= 0 (the sigmoid's scale "
                    + "in t)");
        }
        if (stageLength < 1) {
            throw new IllegalArgumentException("EctSchedule: stageLength = " + stageLength + " steps must be >= 1");
        }
        if (!(pStd > 0) || !Double.isFinite(pStd) || !Double.isFinite(pMean)) {
            throw new IllegalArgumentException("EctSchedule: need a finite P_mean and a finite P_std > 0, got P_mean "
                    + pMean + ", P_std " + pStd);
        }
        if (!(tMin > 0) || !(tMax > tMin) || !Double.isFinite(tMax)) {
            throw new IllegalArgumentException("EctSchedule: need 0 < tMin < tMax < infinity, got tMin " + tMin
                    + ", tMax " + tMax);
        }
    }

    private static final Map<String, Function<Long, EctSchedule>> PRESETS = Map.of(
            "paper", EctSchedule::paper,
            "toy2d", EctSchedule::toy2d);

    /**
     * The released CIFAR-10 settings (q 2, k 8, b 1, P_mean -1.1, P_std 2.0) with the run cut into 8 stages, as its
     * 200k steps with a stage every 25k are.
     */
    public static EctSchedule paper(long totalSteps) {
        return new EctSchedule(2, 8, 1, stagesOf(totalSteps, 8), -1.1, 2.0, 0.002, 80);
    }

    /**
     * The 2-D demonstration's settings: the paper's mapping (q 2, k 8, b 1) and P_mean -1.1, with P_std 3.0 and the run
     * cut into 6 stages. The wider P_std draws more of the large t that one-step sampling starts from (the clamp at
     * tMax = 80 holds 7 % of the draws); P_std 2.0 left one-step SW1 at 5x the teacher's
     * (docs/RESULTS.md#ect-on-the-2-d-toys).
     */
    public static EctSchedule toy2d(long totalSteps) {
        return new EctSchedule(2, 8, 1, stagesOf(totalSteps, 6), -1.1, 3.0, 0.002, 80);
    }

    /** The preset {@code paper} or {@code toy2d} over K steps. */
    public static EctSchedule preset(String name, long totalSteps) {
        return Presets.lookup("EctSchedule", PRESETS, name, totalSteps);
    }

    private static long stagesOf(long totalSteps, int stages) {
        if (totalSteps < 1) {
            throw new IllegalArgumentException("EctSchedule: total steps K must be >= 1, got " + totalSteps);
        }
        return Math.max(1, Math.ceilDiv(totalSteps, stages));
    }

    public EctSchedule withQ(double v) {
        return new EctSchedule(v, k, b, stageLength, pMean, pStd, tMin, tMax);
    }

    public EctSchedule withK(double v) {
        return new EctSchedule(q, v, b, stageLength, pMean, pStd, tMin, tMax);
    }

    public EctSchedule withB(double v) {
        return new EctSchedule(q, k, v, stageLength, pMean, pStd, tMin, tMax);
    }

    public EctSchedule withStageLength(long v) {
        return new EctSchedule(q, k, b, v, pMean, pStd, tMin, tMax);
    }

    public EctSchedule withPMean(double v) {
        return new EctSchedule(q, k, b, stageLength, v, pStd, tMin, tMax);
    }

    public EctSchedule withPStd(double v) {
        return new EctSchedule(q, k, b, stageLength, pMean, v, tMin, tMax);
    }

    /** The same schedule with t clamped to [lo, hi]. */
    public EctSchedule withTRange(double lo, double hi) {
        return new EctSchedule(q, k, b, stageLength, pMean, pStd, lo, hi);
    }

    /** The stage of step k (0-based): floor(k / stageLength). */
    public int stage(long step) {
        if (step < 0) {
            throw new IllegalArgumentException("EctSchedule: step must be >= 0, got " + step);
        }
        return (int) Math.min(Integer.MAX_VALUE, step / stageLength);
    }

    /** q^-(stage+1), the gap's scale at a stage: 1/2, 1/4, ... for q = 2. */
    public double decay(int stage) {
        if (stage < 0) {
            throw new IllegalArgumentException("EctSchedule: stage must be >= 0, got " + stage);
        }
        return Math.pow(q, -(stage + 1.0));
    }

    /**
     * r(t) at a stage: {@code max(0, t (1 - q^-(stage+1) (1 + k sigmoid(-b t))))}, a time in [0, t).
     *
     * @param t a noise level > 0 (sigma units)
     */
    public double r(double t, int stage) {
        if (!(t > 0) || !Double.isFinite(t)) {
            throw new IllegalArgumentException("EctSchedule.r: t must be finite and > 0, got " + t);
        }
        double sigmoid = 1 / (1 + Math.exp(b * t));
        return Math.max(0, t * (1 - decay(stage) * (1 + k * sigmoid)));
    }

    /** t from a standard normal draw n: {@code exp(P_mean + P_std n)} clamped to [tMin, tMax]. */
    public double t(double standardNormal) {
        return Math.min(tMax, Math.max(tMin, Math.exp(pMean + pStd * standardNormal)));
    }
}
