package dev.cm4j.consistency.schedule;

import dev.cm4j.consistency.KarrasSchedule;
import dev.cm4j.models.Presets;
import dev.cm4j.tensor.Rng;
import java.util.Map;
import java.util.function.Function;
import org.apache.commons.math3.special.Erf;

/**
 * The improved consistency training schedules (Song and Dhariwal 2023, Sections 3.3-3.5):
 * <ul>
 *   <li>exponential curriculum {@code N(k) = min(s0 2^floor(k/K'), s1) + 1} with
 *       {@code K' = floor(K / (log2 floor(s1/s0) + 1))}: for K = 400k, N = 11, 21, 41, ..., 1281;</li>
 *   <li>log-normal pair sampling over the Karras grid of N(k) points: pair (sigma_i, sigma_{i+1}) has probability
 *       proportional to {@code erf((ln sigma_i - P_mean)/(sqrt 2 P_std)) - erf((ln sigma_{i+1} - P_mean)/(sqrt 2 P_std))};</li>
 *   <li>the weight {@code lambda = 1/(sigma_i - sigma_{i+1})}.</li>
 * </ul>
 * Pair index i counts from the largest sigma (index 0 = sigmaMax), so sigma_i > sigma_{i+1}; the paper's ascending
 * form is the same set of pairs.
 *
 * @param s0 initial number of intervals (10)
 * @param s1 final number of intervals (1280)
 * @param totalSteps K
 * @param pMean mean of ln sigma (-1.1; the sign matters, +1.1 is a known re-implementation bug)
 * @param pStd standard deviation of ln sigma (2.0)
 * @param grid the Karras grid parameters
 */
public record IctSchedule(int s0, int s1, long totalSteps, double pMean, double pStd, KarrasSchedule grid) {
    public IctSchedule {
        if (s0 < 1 || s1 < s0) {
            throw new IllegalArgumentException("IctSchedule: need 1 <= s0 <= s1, got s0 " + s0 + ", s1 " + s1);
        }
        if (totalSteps < 1) {
            throw new IllegalArgumentException("IctSchedule: total steps K must be >= 1, got " + totalSteps);
        }
        if (!(pStd > 0) || !Double.isFinite(pMean)) {
            throw new IllegalArgumentException("IctSchedule: need P_std > 0 and a finite P_mean, got P_mean " + pMean
                    + ", P_std " + pStd);
        }
        if (grid == null) {
            throw new IllegalArgumentException("IctSchedule: grid is null");
        }
    }

    private static final Map<String, Function<Long, IctSchedule>> PRESETS = Map.of(
            "paper", IctSchedule::paper,
            "toy2d", IctSchedule::toy2d);

    /** The paper's settings (s0 10, s1 1280, P_mean -1.1, P_std 2.0, default grid) over K steps. */
    public static IctSchedule paper(long totalSteps) {
        return new IctSchedule(10, 1280, totalSteps, -1.1, 2.0, KarrasSchedule.DEFAULT);
    }

    /**
     * The 2-D demonstration's settings (s0 10, s1 640, P_mean -1.1, P_std 4.0, default grid) over K steps: a wider
     * P_std and a shorter curriculum, measured on the toys (docs/RESULTS.md).
     */
    public static IctSchedule toy2d(long totalSteps) {
        return new IctSchedule(10, 640, totalSteps, -1.1, 4.0, KarrasSchedule.DEFAULT);
    }

    /** The preset {@code paper} or {@code toy2d} over K steps. */
    public static IctSchedule preset(String name, long totalSteps) {
        return Presets.lookup("IctSchedule", PRESETS, name, totalSteps);
    }

    public IctSchedule withS0(int v) {
        return new IctSchedule(v, s1, totalSteps, pMean, pStd, grid);
    }

    public IctSchedule withS1(int v) {
        return new IctSchedule(s0, v, totalSteps, pMean, pStd, grid);
    }

    public IctSchedule withTotalSteps(long v) {
        return new IctSchedule(s0, s1, v, pMean, pStd, grid);
    }

    public IctSchedule withPMean(double v) {
        return new IctSchedule(s0, s1, totalSteps, v, pStd, grid);
    }

    public IctSchedule withPStd(double v) {
        return new IctSchedule(s0, s1, totalSteps, pMean, v, grid);
    }

    public IctSchedule withGrid(KarrasSchedule v) {
        return new IctSchedule(s0, s1, totalSteps, pMean, pStd, v);
    }

    /** K', the number of iterations between doublings (at least 1). */
    public long stageLength() {
        double stages = Math.log((double) (s1 / s0)) / Math.log(2) + 1;
        return Math.max(1, (long) Math.floor(totalSteps / stages));
    }

    /** N(k): the number of grid points at iteration k. */
    public int n(long k) {
        if (k < 0) {
            throw new IllegalArgumentException("IctSchedule: iteration k must be >= 0, got " + k);
        }
        long doublings = k / stageLength();
        long intervals = doublings >= 31 ? s1 : Math.min((long) s0 << doublings, s1);
        return (int) intervals + 1;
    }

    /** The descending grid of N points used at iteration k (see {@link #n}). */
    public double[] sigmas(int n) {
        return grid.sigmas(n);
    }

    /** Pair probabilities p(i), i = 0..N-2, for the descending grid {@code sigmas}; they sum to 1. */
    public double[] pairProbabilities(double[] sigmas) {
        double[] p = new double[sigmas.length - 1];
        double total = 0;
        double scale = Math.sqrt(2) * pStd;
        for (int i = 0; i < p.length; i++) {
            p[i] = Erf.erf((Math.log(sigmas[i]) - pMean) / scale) - Erf.erf((Math.log(sigmas[i + 1]) - pMean) / scale);
            total += p[i];
        }
        for (int i = 0; i < p.length; i++) {
            p[i] /= total;
        }
        return p;
    }

    /** lambda(sigma_i) = 1 / (sigma_i - sigma_{i+1}) per pair of the descending grid. */
    public static double[] pairWeights(double[] sigmas) {
        double[] w = new double[sigmas.length - 1];
        for (int i = 0; i < w.length; i++) {
            w[i] = 1 / (sigmas[i] - sigmas[i + 1]);
        }
        return w;
    }

    /** Draws {@code batch} pair indices i (pair sigma_i > sigma_{i+1}) from the probabilities p by inverse CDF. */
    public static int[] samplePairs(double[] p, int batch, Rng rng) {
        double[] cdf = new double[p.length];
        double acc = 0;
        for (int i = 0; i < p.length; i++) {
            acc += p[i];
            cdf[i] = acc;
        }
        int[] idx = new int[batch];
        for (int b = 0; b < batch; b++) {
            double u = rng.nextDouble() * acc;
            int lo = 0;
            int hi = p.length - 1;
            while (lo < hi) {
                int mid = (lo + hi) >>> 1;
                if (cdf[mid] > u) {
                    hi = mid;
                } else {
                    lo = mid + 1;
                }
            }
            idx[b] = lo;
        }
        return idx;
    }
}
