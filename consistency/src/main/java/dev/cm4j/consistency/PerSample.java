package dev.cm4j.consistency;

import dev.cm4j.tensor.Tensor;
import java.util.Arrays;

/**
 * Per-sample scalings of a batch: a tensor (B, ...) whose leading axis is the batch, and one coefficient per sample
 * (each sample of a batch has its own sigma). Arithmetic is done in double and rounded once.
 */
public final class PerSample {
    private PerSample() {
    }

    /** Checks that {@code x} has a leading batch axis of length {@code coef.length}; returns the per-sample size. */
    public static int check(String op, Tensor x, float[] coef) {
        if (x.rank() < 1 || x.dim(0) != coef.length) {
            throw new IllegalArgumentException(op + ": batch " + Arrays.toString(x.shape()) + " needs one value per sample, got "
                    + coef.length);
        }
        return x.dim(0) == 0 ? 0 : x.size() / x.dim(0);
    }

    /** {@code alpha_b a_b}. */
    public static Tensor scale(String op, Tensor a, float[] alpha) {
        int per = check(op, a, alpha);
        float[] out = new float[a.size()];
        float[] ad = a.data();
        int ao = a.offset();
        for (int b = 0; b < alpha.length; b++) {
            for (int j = b * per, end = j + per; j < end; j++) {
                out[j] = alpha[b] * ad[ao + j];
            }
        }
        return Tensor.wrap(out, a.shape());
    }

    /** {@code alpha_b a_b + beta_b b_b} for two batches of the same shape. */
    public static Tensor combine(String op, Tensor a, float[] alpha, Tensor b, float[] beta) {
        int per = check(op, a, alpha);
        check(op, b, beta);
        if (!a.sameShape(b)) {
            throw new IllegalArgumentException(op + ": shapes " + Arrays.toString(a.shape()) + " and "
                    + Arrays.toString(b.shape()) + " differ");
        }
        float[] out = new float[a.size()];
        float[] ad = a.data();
        float[] bd = b.data();
        int ao = a.offset();
        int bo = b.offset();
        for (int s = 0; s < alpha.length; s++) {
            double al = alpha[s];
            double be = beta[s];
            for (int j = s * per, end = j + per; j < end; j++) {
                out[j] = (float) (al * ad[ao + j] + be * bd[bo + j]);
            }
        }
        return Tensor.wrap(out, a.shape());
    }

    /** A vector of {@code n} copies of {@code value}: the same sigma for the whole batch. */
    public static float[] fill(int n, double value) {
        float[] v = new float[n];
        Arrays.fill(v, (float) value);
        return v;
    }
}
