package dev.cm4j.tensor;

import java.util.function.DoubleBinaryOperator;

/** Index-by-index references in double for the tensor tests: slow, obvious, and independent of the kernels. */
final class NaiveRef {
    private NaiveRef() {
    }

    /** Multi-index of flat position i in a row-major shape. */
    static int[] unravel(int i, int[] shape) {
        int[] idx = new int[shape.length];
        for (int d = shape.length - 1; d >= 0; d--) {
            idx[d] = i % shape[d];
            i /= shape[d];
        }
        return idx;
    }

    /** Flat position in {@code shape} of the output index {@code out}, broadcasting (missing or size-1 axes). */
    static int broadcastIndex(int[] out, int[] shape) {
        int lead = out.length - shape.length;
        int flat = 0;
        for (int d = 0; d < shape.length; d++) {
            flat = flat * shape[d] + (shape[d] == 1 ? 0 : out[d + lead]);
        }
        return flat;
    }

    static double[] binary(Tensor a, Tensor b, int[] outShape, DoubleBinaryOperator f) {
        int n = Shapes.size(outShape);
        double[] r = new double[n];
        float[] ad = a.toArray(), bd = b.toArray();
        for (int i = 0; i < n; i++) {
            int[] idx = unravel(i, outShape);
            r[i] = f.applyAsDouble(ad[broadcastIndex(idx, a.shape())], bd[broadcastIndex(idx, b.shape())]);
        }
        return r;
    }

    /** Reduces x over the marked axes with keepDims shape semantics; op: 0 sum, 1 max, 2 min. */
    static double[] reduce(Tensor x, boolean[] red, int op) {
        int[] shape = x.shape();
        int[] keep = shape.clone();
        for (int d = 0; d < shape.length; d++) {
            if (red[d]) {
                keep[d] = 1;
            }
        }
        int m = Shapes.size(keep);
        double[] r = new double[m];
        java.util.Arrays.fill(r, op == 0 ? 0 : op == 1 ? Double.NEGATIVE_INFINITY : Double.POSITIVE_INFINITY);
        float[] xd = x.toArray();
        for (int i = 0; i < xd.length; i++) {
            int j = broadcastIndex(unravel(i, shape), keep);
            r[j] = op == 0 ? r[j] + xd[i] : op == 1 ? Math.max(r[j], xd[i]) : Math.min(r[j], xd[i]);
        }
        return r;
    }

    /** max_i |got_i - want_i| / (atol + rtol |want_i|): at most 1 means within tolerance. */
    static double worst(float[] got, double[] want, double rtol, double atol) {
        if (got.length != want.length) {
            throw new AssertionError("length " + got.length + " vs " + want.length);
        }
        double w = 0;
        for (int i = 0; i < got.length; i++) {
            if (Double.isNaN(want[i]) && Float.isNaN(got[i])) {
                continue;
            }
            if (got[i] == want[i]) {
                continue;
            }
            double e = Math.abs(got[i] - want[i]) / (atol + rtol * Math.abs(want[i]));
            w = Double.isNaN(e) ? Double.POSITIVE_INFINITY : Math.max(w, e);
        }
        return w;
    }

    static double maxDiff(float[] got, double[] want) {
        double m = 0;
        for (int i = 0; i < got.length; i++) {
            m = Math.max(m, Math.abs(got[i] - want[i]));
        }
        return m;
    }

    /** Fails with the max difference when got is not within (rtol, atol) of want. */
    static void assertClose(String what, float[] got, double[] want, double rtol, double atol) {
        double w = worst(got, want, rtol, atol);
        if (!(w <= 1)) {
            throw new AssertionError(what + ": max diff " + maxDiff(got, want) + " exceeds rtol " + rtol + ", atol "
                    + atol + " (worst ratio " + w + ")");
        }
    }

    static Tensor random(Rng rng, int... shape) {
        return rng.uniform(-2f, 2f, shape);
    }
}
