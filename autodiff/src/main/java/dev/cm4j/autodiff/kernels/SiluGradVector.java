package dev.cm4j.autodiff.kernels;

import dev.cm4j.tensor.kernels.ElementwiseVectorMath;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorSpecies;

/**
 * Vector API twin of {@link SiluGrad#scalar}; only referenced behind {@code Simd.ENABLED}. The exponential is
 * {@link ElementwiseVectorMath#exp} (fma-only, so bit-reproducible whether or not the JIT has compiled it); the tail
 * runs the scalar expression.
 */
public final class SiluGradVector {
    private static final VectorSpecies<Float> S = FloatVector.SPECIES_PREFERRED;

    private SiluGradVector() {
    }

    // g (n), x (n) -> dx (n)
    public static void apply(float[] g, int gOff, float[] x, int xOff, float[] dx, int dOff, int n) {
        FloatVector one = FloatVector.broadcast(S, 1f);
        int i = 0;
        for (int end = S.loopBound(n); i < end; i += S.length()) {
            FloatVector vx = FloatVector.fromArray(S, x, xOff + i);
            FloatVector s = one.div(one.add(ElementwiseVectorMath.exp(vx.neg())));
            FloatVector d = vx.mul(one.sub(s)).add(one).mul(s);
            FloatVector.fromArray(S, g, gOff + i).mul(d).intoArray(dx, dOff + i);
        }
        SiluGrad.scalar(g, gOff + i, x, xOff + i, dx, dOff + i, n - i);
    }
}
