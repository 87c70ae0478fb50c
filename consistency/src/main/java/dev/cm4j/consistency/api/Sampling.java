package dev.cm4j.consistency.api;

import java.util.Arrays;

/**
 * How {@link ConsistencyModel#sample} and {@link ConsistencyModel#edit} walk from noise to data. Three units of time
 * appear in consistency models and they are not interchangeable:
 *
 * <ul>
 *   <li><b>sigma</b>: the noise level, the EDM time t = sigma (Karras et al. 2022; Song et al. 2023, Section 2, with
 *       x_t = x + t z). It runs from sigmaMin = eps = 0.002 to sigmaMax = T = 80. {@link #sigmas} takes sigmas.</li>
 *   <li><b>grid index</b>: a point of the N-point Karras grid, the boundaries of Song et al. 2023, Section 4 and
 *       Appendix C, t_i = (eps^(1/rho) + (i-1)/(N-1) (T^(1/rho) - eps^(1/rho)))^rho for i = 1..N, rho = 7
 *       (Karras et al. 2022, eq. 5). The paper counts upwards from t_1 = eps; an index here counts downwards, as
 *       the released code does: index k is t_(N-k), index 0 is sigmaMax and index N - 1 is sigmaMin.
 *       {@link #gridIndices} takes indices.</li>
 *   <li><b>c_noise</b>: what the network reads as its noise input, a function of sigma fixed by the network
 *       ({@link dev.cm4j.consistency.model.CNoise}: 250 ln sigma for cm4j's U-Net and the released weights). No
 *       argument here takes it; the model computes it from sigma.</li>
 * </ul>
 *
 * <p>A consistency model (CD, CT, iCT) samples with {@link #oneStep}, {@link #sigmas} or {@link #gridIndices}
 * (Algorithm 1, one network evaluation per time); an EDM teacher with {@link #heun} (Karras et al. 2022,
 * Algorithm 1).
 */
public sealed interface Sampling {
    /**
     * One network evaluation at sigmaMax: x = f(T z, T) (Song et al. 2023, Section 3, Algorithm 1 with a single
     * time).
     */
    static Sampling oneStep() {
        return new Sigmas(new double[0]);
    }

    /**
     * Multistep consistency sampling (Algorithm 1) at these noise levels, in <b>sigma</b>, decreasing within
     * (sigmaMin, sigmaMax], one evaluation each: {@code sigmas(80, 0.821)} is two steps. Between steps the sample is
     * renoised to x + sqrt(tau_n^2 - eps^2) z.
     */
    static Sampling sigmas(double... sigmas) {
        if (sigmas == null || sigmas.length == 0) {
            throw new IllegalArgumentException("Sampling.sigmas: give at least one noise level (sigma), e.g. 80");
        }
        return new Sigmas(sigmas.clone());
    }

    /**
     * Multistep consistency sampling at <b>grid indices</b> {@code ts} of a Karras grid of {@code points} points, as
     * the released {@code stochastic_iterative_sampler}: increasing, starting at 0 (sigmaMax) and ending at
     * {@code points - 1} (sigmaMin), {@code ts.length - 1} evaluations. {@code gridIndices(40, 0, 22, 39)} is the
     * released ImageNet-64 CD two-step setting (sigmas 80 and 1.382).
     */
    static Sampling gridIndices(int points, int... ts) {
        if (ts == null || ts.length < 2) {
            throw new IllegalArgumentException("Sampling.gridIndices: give at least two indices (grid index), the "
                    + "first 0 (sigmaMax) and the last " + (points - 1) + " (sigmaMin), e.g. 0, " + (points - 1)
                    + "; got " + Arrays.toString(ts));
        }
        return new GridIndices(points, ts.clone());
    }

    /**
     * EDM's deterministic Heun sampler for a teacher (Karras et al. 2022, Algorithm 1) on a Karras grid of
     * {@code points} noise levels (sigma from sigmaMax down to sigmaMin, then 0): 2 points - 1 evaluations.
     */
    static Sampling heun(int points) {
        if (points < 2) {
            throw new IllegalArgumentException("Sampling.heun: points " + points + " must be >= 2 (18 in EDM)");
        }
        return new Heun(points);
    }

    /** Network evaluations this sampling costs. */
    int nfe();

    /**
     * Times in sigma; empty means one step at the model's sigmaMax.
     *
     * @param sigmas noise levels (sigma), decreasing
     */
    record Sigmas(double[] sigmas) implements Sampling {
        public Sigmas {
            sigmas = sigmas.clone();
        }

        @Override
        public double[] sigmas() {
            return sigmas.clone();
        }

        @Override
        public int nfe() {
            return Math.max(1, sigmas.length);
        }

        @Override
        public String toString() {
            return sigmas.length == 0 ? "one-step" : sigmas.length + "-step at sigma " + Arrays.toString(sigmas);
        }
    }

    /**
     * Times as indices into a Karras grid.
     *
     * @param points N, the points of the grid
     * @param ts grid indices, increasing from 0 (sigmaMax) to N - 1 (sigmaMin)
     */
    record GridIndices(int points, int[] ts) implements Sampling {
        public GridIndices {
            ts = ts.clone();
        }

        @Override
        public int[] ts() {
            return ts.clone();
        }

        @Override
        public int nfe() {
            return ts.length - 1;
        }

        @Override
        public String toString() {
            return (ts.length - 1) + "-step at grid indices " + Arrays.toString(ts) + " of " + points;
        }
    }

    /**
     * EDM's Heun sampler.
     *
     * @param points grid points N (2N - 1 evaluations)
     */
    record Heun(int points) implements Sampling {
        @Override
        public int nfe() {
            return 2 * points - 1;
        }

        @Override
        public String toString() {
            return "EDM Heun, " + points + " points";
        }
    }
}
