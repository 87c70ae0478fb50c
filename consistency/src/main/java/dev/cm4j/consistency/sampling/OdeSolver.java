package dev.cm4j.consistency.sampling;

import dev.cm4j.consistency.PerSample;
import dev.cm4j.consistency.model.Denoiser;
import dev.cm4j.tensor.Tensor;

/**
 * One step of the probability-flow ODE {@code dx/dsigma = (x - D(x, sigma)) / sigma} from t (larger) to t' (smaller),
 * per sample (each sample has its own t and t'). docs/ALGORITHMS.md#ode-solvers; Karras et al. 2022, Algorithm 1.
 */
public enum OdeSolver {
    /** {@code x' = x + (t' - t) d(x, t)}: first order, one evaluation. */
    EULER {
        @Override
        public Tensor step(Denoiser denoiser, Tensor x, float[] t, float[] tNext) {
            check(x, t, tNext);
            return euler(x, t, tNext, denoiser.denoise(x, t));
        }
    },
    /**
     * Heun's second-order method: an Euler step, then the trapezoidal average of the slopes at both ends. Where
     * {@code t' = 0} the slope there is undefined and the step stays Euler (the last step of a sampler).
     */
    HEUN {
        @Override
        public Tensor step(Denoiser denoiser, Tensor x, float[] t, float[] tNext) {
            check(x, t, tNext);
            Tensor d1 = denoiser.denoise(x, t);
            Tensor xEuler = euler(x, t, tNext, d1);
            boolean anyPositive = false;
            for (float s : tNext) {
                anyPositive |= s > 0;
            }
            if (!anyPositive) {
                return xEuler;
            }
            // x (B, per), D1, x', D2 (B, per) -> x^ = x + h/2 ((x - D1)/t + (x' - D2)/t')
            Tensor d2 = denoiser.denoise(xEuler, positive(tNext));
            int per = x.size() / Math.max(1, x.dim(0));
            float[] out = new float[x.size()];
            float[] xd = x.data();
            float[] ed = xEuler.data();
            float[] ad = d1.data();
            float[] bd = d2.data();
            int xo = x.offset();
            int eo = xEuler.offset();
            int ao = d1.offset();
            int bo = d2.offset();
            for (int b = 0; b < t.length; b++) {
                double tb = t[b];
                double tn = tNext[b];
                double h = tn - tb;
                for (int j = b * per, end = j + per; j < end; j++) {
                    if (tn == 0) {
                        out[j] = ed[eo + j];
                    } else {
                        double slope1 = (xd[xo + j] - (double) ad[ao + j]) / tb;
                        double slope2 = (ed[eo + j] - (double) bd[bo + j]) / tn;
                        out[j] = (float) (xd[xo + j] + h * 0.5 * (slope1 + slope2));
                    }
                }
            }
            return Tensor.wrap(out, x.shape());
        }
    };

    /**
     * Steps every sample of {@code x} (B, ...) from {@code t[b]} to {@code tNext[b]} with the denoiser D.
     *
     * @param t current noise levels, > 0
     * @param tNext target noise levels, 0 &lt;= tNext[b] &lt; t[b]
     */
    public abstract Tensor step(Denoiser denoiser, Tensor x, float[] t, float[] tNext);

    /** Evaluations per step when t' > 0. */
    public int evaluationsPerStep() {
        return this == EULER ? 1 : 2;
    }

    /** Euler in interpolation form: x + (t'-t)(x - D)/t = (t'/t) x + (1 - t'/t) D. */
    static Tensor euler(Tensor x, float[] t, float[] tNext, Tensor d) {
        float[] a = new float[t.length];
        float[] b = new float[t.length];
        for (int i = 0; i < t.length; i++) {
            double r = (double) tNext[i] / t[i];
            a[i] = (float) r;
            b[i] = (float) (1 - r);
        }
        return PerSample.combine("OdeSolver.euler", x, a, d, b);
    }

    private static void check(Tensor x, float[] t, float[] tNext) {
        PerSample.check("OdeSolver.step", x, t);
        PerSample.check("OdeSolver.step", x, tNext);
        for (int b = 0; b < t.length; b++) {
            if (!(t[b] > 0) || !(tNext[b] >= 0) || !(tNext[b] < t[b])) {
                throw new IllegalArgumentException("OdeSolver.step: sample " + b + " steps from t = " + t[b]
                        + " to t' = " + tNext[b] + "; need t > t' >= 0");
            }
        }
    }

    /** Replaces zeros by the smallest float so the second evaluation never sees sigma = 0 (its result is unused). */
    private static float[] positive(float[] s) {
        float[] p = s.clone();
        for (int i = 0; i < p.length; i++) {
            if (p[i] == 0) {
                p[i] = Float.MIN_NORMAL;
            }
        }
        return p;
    }
}
