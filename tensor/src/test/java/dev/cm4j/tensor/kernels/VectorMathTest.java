package dev.cm4j.tensor.kernels;

import static dev.cm4j.tensor.kernels.FloatSpecies.S;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.function.DoubleUnaryOperator;
import java.util.function.UnaryOperator;
import jdk.incubator.vector.FloatVector;
import org.junit.jupiter.api.Test;

/** The vector exp, log, tanh, sin and cos against Math over their whole float range, in ulps, and their special values. */
class VectorMathTest {
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
        double ulps = maxUlps(x, VectorMath::exp, Math::exp, "exp");
        assertTrue(ulps <= 2, "exp max error " + ulps + " ulp");
        float[] special = {Float.NEGATIVE_INFINITY, Float.POSITIVE_INFINITY, Float.NaN, 0f, -0f, 88.72f, 88.73f,
            -87.3f, -103.9f, -200f, 1e-10f, -1e-10f};
        maxUlps(special, VectorMath::exp, Math::exp, "exp");
    }

    @Test
    void logOverNormalsSubnormalsAndSpecials() {
        float[] x = new float[200_000];
        for (int i = 0; i < x.length; i++) {
            // log-uniform from the smallest subnormal to the largest float, plus values near 1
            x[i] = i % 10 == 0 ? 1f + (i - 100_000) * 1e-7f : (float) Math.exp(-103 + 191.7 * i / x.length);
        }
        double ulps = maxUlps(x, VectorMath::log, Math::log, "log");
        assertTrue(ulps <= 2, "log max error " + ulps + " ulp");
        float[] special = {0f, -0f, -1f, Float.MIN_VALUE, Float.MAX_VALUE, Float.POSITIVE_INFINITY,
            Float.NEGATIVE_INFINITY, Float.NaN, 1f};
        maxUlps(special, VectorMath::log, Math::log, "log");
    }

    @Test
    void tanhIsOddAndAccurate() {
        float[] x = linspace(-12f, 12f, 200_001);
        double ulps = maxUlps(x, VectorMath::tanh, Math::tanh, "tanh");
        assertTrue(ulps <= 3, "tanh max error " + ulps + " ulp");
        float[] special = {0f, -0f, 1e-30f, -1e-30f, 0.6249f, 0.6251f, -0.625f, 50f, -50f, Float.POSITIVE_INFINITY,
            Float.NEGATIVE_INFINITY, Float.NaN};
        maxUlps(special, VectorMath::tanh, Math::tanh, "tanh");
    }

    @Test
    void sinAndCosAccurateInUlpsWhereTheyAreLarge() {
        // relative error is meaningful away from the zeros; [-100, 100] covers every octant many times
        float[] x = linspace(-100f, 100f, 400_001);
        double sinUlps = maxUlpsAwayFromZeros(x, VectorMath::sin, Math::sin, "sin");
        double cosUlps = maxUlpsAwayFromZeros(x, VectorMath::cos, Math::cos, "cos");
        assertTrue(sinUlps <= 2 && cosUlps <= 2, "sin " + sinUlps + " ulp, cos " + cosUlps + " ulp");
    }

    /** Like maxUlps, for the lanes where |f| >= 0.01 (near a zero the reduced argument's rounding dominates). */
    private static double maxUlpsAwayFromZeros(float[] xs, UnaryOperator<FloatVector> f, DoubleUnaryOperator ref,
                                               String name) {
        float[] kept = new float[xs.length];
        int n = 0;
        for (float x : xs) {
            if (Math.abs(ref.applyAsDouble(x)) >= 0.01) {
                kept[n++] = x;
            }
        }
        return maxUlps(java.util.Arrays.copyOf(kept, n), f, ref, name);
    }

    @Test
    void sinAndCosAbsoluteErrorUpTo8192AndReferenceBeyond() {
        float[] x = linspace(-8192f, 8192f, 400_001);
        for (boolean cosine : new boolean[] {false, true}) {
            float[] out = apply(x, cosine ? VectorMath::cos : VectorMath::sin);
            double worst = 0;
            for (int i = 0; i < x.length; i++) {
                worst = Math.max(worst, Math.abs(out[i] - (cosine ? Math.cos(x[i]) : Math.sin(x[i]))));
            }
            // the float result itself carries up to half an ulp of 1 (6e-8)
            assertTrue(worst <= 1.2e-7, (cosine ? "cos" : "sin") + " max absolute error " + worst);
        }
        // beyond the reduction's range, NaN and infinities: StrictMath rounded to float, lane by lane
        float[] special = {8192.5f, -8193f, 1e5f, -3e7f, 1e30f, -Float.MAX_VALUE, Float.NaN, Float.POSITIVE_INFINITY,
            Float.NEGATIVE_INFINITY, 0f, -0f, 1e-30f, -1e-30f, 0.785f, 1.5707964f, 3.1415927f};
        float[] sin = apply(special, VectorMath::sin), cos = apply(special, VectorMath::cos);
        for (int i = 0; i < special.length; i++) {
            float v = special[i];
            if (Math.abs(v) > 8192 || !Float.isFinite(v)) {
                assertEquals((float) StrictMath.sin(v), sin[i], "sin(" + v + ")");
                assertEquals((float) StrictMath.cos(v), cos[i], "cos(" + v + ")");
            } else {
                assertEquals((float) Math.sin(v), sin[i], 1.2e-7, "sin(" + v + ")");
                assertEquals((float) Math.cos(v), cos[i], 1.2e-7, "cos(" + v + ")");
            }
        }
        // odd and even exactly, signed zero kept
        assertEquals(Float.floatToRawIntBits(-0f), Float.floatToRawIntBits(sin[10]));
        float[] neg = new float[x.length];
        for (int i = 0; i < x.length; i++) {
            neg[i] = -x[i];
        }
        float[] sinX = apply(x, VectorMath::sin), sinNeg = apply(neg, VectorMath::sin);
        float[] cosX = apply(x, VectorMath::cos), cosNeg = apply(neg, VectorMath::cos);
        for (int i = 0; i < x.length; i++) {
            assertEquals(-sinX[i], sinNeg[i], "sin(-" + x[i] + ")");
            assertEquals(cosX[i], cosNeg[i], "cos(-" + x[i] + ")");
        }
    }

    private static float[] apply(float[] xs, UnaryOperator<FloatVector> f) {
        float[] padded = java.util.Arrays.copyOf(xs, (xs.length + S.length() - 1) / S.length() * S.length());
        float[] out = new float[padded.length];
        for (int i = 0; i < padded.length; i += S.length()) {
            f.apply(FloatVector.fromArray(S, padded, i)).intoArray(out, i);
        }
        return java.util.Arrays.copyOf(out, xs.length);
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
        assertEquals(want, VectorMath.sumLanes(FloatVector.fromArray(S, v, 0)));
    }
}
