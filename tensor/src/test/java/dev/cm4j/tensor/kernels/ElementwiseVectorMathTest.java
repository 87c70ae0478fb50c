package dev.cm4j.tensor.kernels;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.function.DoubleUnaryOperator;
import java.util.function.UnaryOperator;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorSpecies;
import org.junit.jupiter.api.Test;

/** The vector exp, log and tanh against Math over their whole float range, in ulps, and their special values. */
class ElementwiseVectorMathTest {
    private static final VectorSpecies<Float> S = FloatVector.SPECIES_PREFERRED;

    /** Runs f over xs and returns the largest error in ulps of the float-rounded double reference. */
    private static double maxUlps(float[] xs, UnaryOperator<FloatVector> f, DoubleUnaryOperator ref, String name) {
        float[] padded = java.util.Arrays.copyOf(xs, (xs.length + S.length() - 1) / S.length() * S.length());
        float[] out = new float[padded.length];
        for (int i = 0; i < padded.length; i += S.length()) {
            f.apply(FloatVector.fromArray(S, padded, i)).intoArray(out, i);
        }
        double worst = 0;
        for (int i = 0; i < xs.length; i++) {
            double exact = ref.applyAsDouble(xs[i]);
            float want = (float) exact;
            if (Float.isNaN(want) || Float.isInfinite(want) || want == 0) {
                assertEquals(want, out[i], name + "(" + xs[i] + ")");
                continue;
            }
            // ulp of the reference, at least the smallest subnormal step
            double ulps = Math.abs(out[i] - exact) / Math.ulp(want);
            assertTrue(ulps <= 4, name + "(" + xs[i] + ") = " + out[i] + ", want " + exact + " (" + ulps + " ulp)");
            worst = Math.max(worst, ulps);
        }
        return worst;
    }

    private static float[] linspace(float lo, float hi, int n) {
        float[] x = new float[n];
        for (int i = 0; i < n; i++) {
            x[i] = lo + (hi - lo) * i / (n - 1);
        }
        return x;
    }

    @Test
    void expOverItsRangeWithSubnormalsAndOverflow() {
        float[] x = linspace(-105f, 89f, 200_001);
        double ulps = maxUlps(x, ElementwiseVectorMath::exp, Math::exp, "exp");
        assertTrue(ulps <= 2, "exp max error " + ulps + " ulp");
        float[] special = {Float.NEGATIVE_INFINITY, Float.POSITIVE_INFINITY, Float.NaN, 0f, -0f, 88.72f, 88.73f,
            -87.3f, -103.9f, -200f, 1e-10f, -1e-10f};
        maxUlps(special, ElementwiseVectorMath::exp, Math::exp, "exp");
    }

    @Test
    void logOverNormalsSubnormalsAndSpecials() {
        float[] x = new float[200_000];
        for (int i = 0; i < x.length; i++) {
            // log-uniform from the smallest subnormal to the largest float, plus values near 1
            x[i] = i % 10 == 0 ? 1f + (i - 100_000) * 1e-7f : (float) Math.exp(-103 + 191.7 * i / x.length);
        }
        double ulps = maxUlps(x, ElementwiseVectorMath::log, Math::log, "log");
        assertTrue(ulps <= 2, "log max error " + ulps + " ulp");
        float[] special = {0f, -0f, -1f, Float.MIN_VALUE, Float.MAX_VALUE, Float.POSITIVE_INFINITY,
            Float.NEGATIVE_INFINITY, Float.NaN, 1f};
        maxUlps(special, ElementwiseVectorMath::log, Math::log, "log");
    }

    @Test
    void tanhIsOddAndAccurate() {
        float[] x = linspace(-12f, 12f, 200_001);
        double ulps = maxUlps(x, ElementwiseVectorMath::tanh, Math::tanh, "tanh");
        assertTrue(ulps <= 3, "tanh max error " + ulps + " ulp");
        float[] special = {0f, -0f, 1e-30f, -1e-30f, 0.6249f, 0.6251f, -0.625f, 50f, -50f, Float.POSITIVE_INFINITY,
            Float.NEGATIVE_INFINITY, Float.NaN};
        maxUlps(special, ElementwiseVectorMath::tanh, Math::tanh, "tanh");
    }

    @Test
    void sumLanesAddsLeftToRight() {
        float[] v = new float[S.length()];
        v[0] = 1e8f;
        for (int i = 1; i < v.length; i++) {
            v[i] = 3f; // each vanishes against 1e8 when added in order
        }
        float want = 0f;
        for (float f : v) {
            want += f;
        }
        assertEquals(want, ElementwiseVectorMath.sumLanes(FloatVector.fromArray(S, v, 0)));
    }
}
