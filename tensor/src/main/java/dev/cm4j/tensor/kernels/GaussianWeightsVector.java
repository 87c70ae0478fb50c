package dev.cm4j.tensor.kernels;

import jdk.incubator.vector.DoubleVector;
import jdk.incubator.vector.VectorMask;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

/**
 * Vector API twin of {@link GaussianWeightsReference}; only referenced behind {@code Simd.ENABLED}. Lanes run over
 * references: each lane's distance adds the same terms in the same order as the reference (the same bits), the
 * exponential is the Vector API's (within an ulp of {@code Math.exp}), and the sums are added per lane and then across
 * lanes. The double species has half the lanes of the float species {@link FloatSpecies#S}, so the width follows
 * {@code cm4j.simd.bits} as the float kernels do.
 */
public final class GaussianWeightsVector {
    /** Doubles of the float species' width. */
    static final VectorSpecies<Double> D = VectorSpecies.of(double.class, FloatSpecies.S.vectorShape());

    private GaussianWeightsVector() {
    }

    /** See {@link GaussianWeights#row}. */
    public static double row(float[] q, int qOff, float[] x, int xOff, double[] refT, int refs, int per, double inv,
                             double cutoff, double[] w, double[] acc) {
        int lanes = D.length();
        int bound = D.loopBound(refs);
        // distances, and their smallest
        DoubleVector vmin = DoubleVector.broadcast(D, Double.POSITIVE_INFINITY);
        int j = 0;
        for (; j < bound; j += lanes) {
            DoubleVector d2 = DoubleVector.zero(D);
            for (int e = 0; e < per; e++) {
                DoubleVector diff = DoubleVector.broadcast(D, (double) q[qOff + e])
                        .sub(DoubleVector.fromArray(D, refT, e * refs + j));
                d2 = d2.add(diff.mul(diff));
            }
            d2.intoArray(w, j);
            vmin = vmin.min(d2);
        }
        double min = vmin.reduceLanes(VectorOperators.MIN);
        for (; j < refs; j++) {
            w[j] = GaussianWeightsReference.distance2(q, qOff, refT, refs, per, j);
            min = Math.min(min, w[j]);
        }
        // weights
        DoubleVector vsum = DoubleVector.zero(D);
        j = 0;
        for (; j < bound; j += lanes) {
            DoubleVector logit = DoubleVector.broadcast(D, min).sub(DoubleVector.fromArray(D, w, j)).mul(inv);
            VectorMask<Double> below = logit.compare(VectorOperators.LT, cutoff);
            DoubleVector v = logit.lanewise(VectorOperators.EXP).blend(0.0, below);
            v.intoArray(w, j);
            vsum = vsum.add(v);
        }
        double sum = vsum.reduceLanes(VectorOperators.ADD);
        for (; j < refs; j++) {
            w[j] = GaussianWeightsReference.weight(min, w[j], inv, cutoff);
            sum += w[j];
        }
        // weighted differences
        for (int e = 0; e < per; e++) {
            double xe = x[xOff + e];
            DoubleVector vxe = DoubleVector.broadcast(D, xe);
            DoubleVector va = DoubleVector.zero(D);
            int r = e * refs;
            j = 0;
            for (; j < bound; j += lanes) {
                va = DoubleVector.fromArray(D, w, j).mul(DoubleVector.fromArray(D, refT, r + j).sub(vxe)).add(va);
            }
            acc[e] = GaussianWeightsReference.weightedDifference(w, j, refs, refT, r, xe,
                    va.reduceLanes(VectorOperators.ADD));
        }
        return sum;
    }
}
