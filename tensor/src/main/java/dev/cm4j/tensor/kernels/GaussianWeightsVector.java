package dev.cm4j.tensor.kernels;

import jdk.incubator.vector.DoubleVector;
import jdk.incubator.vector.LongVector;
import jdk.incubator.vector.VectorMask;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

/**
 * Vector API twin of {@link GaussianWeightsReference}; only referenced behind {@code Simd.ENABLED}. Lanes run over
 * references, and its results are the same bits whatever the vector width and however the JVM runs the code:
 * <ul>
 *   <li>each lane's distance adds the same terms in the same order as the reference (the same bits);</li>
 *   <li>the exponential is {@link #exp(double)}'s polynomial, built from IEEE adds, multiplies, fmas, a division and
 *       bit operations (the Vector API's {@code EXP} calls an SVML routine when compiled and {@code Math.exp} when
 *       interpreted, so its last bits change with JIT timing, see {@link VectorMath});</li>
 *   <li>sums run over {@value #BLOCK} partial sums, one per reference index modulo {@value #BLOCK} (one 512-bit vector,
 *       two 256-bit or four 128-bit ones), which are then added in index order and the tail after them in order:
 *       never {@code reduceLanes(ADD)}, whose order is not fixed.</li>
 * </ul>
 * The results differ from the reference (which uses {@code Math.exp} and one running sum) by about 1e-15 relative.
 * The double species has half the lanes of the float species {@link FloatSpecies#S}, so the width follows
 * {@code cm4j.simd.bits} as the float kernels do.
 */
public final class GaussianWeightsVector {
    /** Doubles of the float species' width. */
    static final VectorSpecies<Double> D = VectorSpecies.of(double.class, FloatSpecies.S.vectorShape());
    /** Partial sums: the doubles of the widest vector, a whole number of vectors at any width. */
    static final int BLOCK = 8;
    /** Exponents are clamped to [{@value #EXP_MIN}, 0], where 2^n stays a normal double. */
    static final double EXP_MIN = GaussianWeights.EXP_MIN;

    // exp(x) = 2^n exp(r), n = round(x / ln 2), r = x - n ln 2 in two parts; exp(r) = 1 + 2 r P(r^2) / (Q(r^2) - r P(r^2))
    // (the rational form and its coefficients are Cephes' double-precision exp, S. L. Moshier)
    private static final double LOG2E = 1.4426950408889634073599;
    private static final double ROUND = 0x1.8p52;
    private static final long ROUND_BITS = Double.doubleToRawLongBits(ROUND);
    private static final double LN2_HI = 6.93145751953125E-1;
    private static final double LN2_LO = 1.42860682030941723212E-6;
    private static final double P0 = 1.26177193074810590878E-4;
    private static final double P1 = 3.02994407707441961300E-2;
    private static final double P2 = 9.99999999999999999910E-1;
    private static final double Q0 = 3.00198505138664455042E-6;
    private static final double Q1 = 2.52448340349684104192E-3;
    private static final double Q2 = 2.27265548208155028766E-1;
    private static final double Q3 = 2.00000000000000000009E0;

    private GaussianWeightsVector() {
    }

    /** Whether a block is whole vectors (128-, 256- and 512-bit vectors; not 64-bit ones, of one double). */
    static boolean supported() {
        return D.length() > 1 && BLOCK % D.length() == 0;
    }

    /**
     * e^x for x in [{@value #EXP_MIN}, 0] (x is clamped into it; NaN stays NaN), within about 1 ulp of
     * {@code Math.exp}: the scalar twin of the kernel's vector exponential, the same operations in the same order, so the
     * same bits.
     */
    static double exp(double x) {
        if (x != x) {
            return x;
        }
        double xc = Math.min(Math.max(x, EXP_MIN), 0);
        double t = Math.fma(xc, LOG2E, ROUND);
        double n = t - ROUND;
        double r = Math.fma(n, -LN2_HI, xc);
        r = Math.fma(n, -LN2_LO, r);
        double rr = r * r;
        double p = r * Math.fma(Math.fma(P0, rr, P1), rr, P2);
        double q = Math.fma(Math.fma(Math.fma(Q0, rr, Q1), rr, Q2), rr, Q3);
        double y = Math.fma(2, p / (q - p), 1);
        long ni = Double.doubleToRawLongBits(t) - ROUND_BITS;
        return y * Double.longBitsToDouble((ni + 1023) << 52);
    }

    /** See {@link GaussianWeights#row}. */
    public static double row(float[] q, int qOff, float[] x, int xOff, double[] refT, int refs, int per, double inv,
                             double cutoff, double[] w, double[] acc) {
        if (!supported()) {
            return GaussianWeightsReference.row(q, qOff, x, xOff, refT, refs, per, inv, cutoff, w, acc);
        }
        int lanes = D.length();
        int bound = refs - refs % BLOCK;
        // distances, and their smallest (a min is exact in any order)
        DoubleVector vmin = DoubleVector.broadcast(D, Double.POSITIVE_INFINITY);
        for (int j = 0; j < bound; j += lanes) {
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
        for (int j = bound; j < refs; j++) {
            w[j] = GaussianWeightsReference.distance2(q, qOff, refT, refs, per, j);
            min = Math.min(min, w[j]);
        }
        // weights (every call inlined by hand: a vector passed to or returned from a method that is not inlined is
        // boxed on the heap)
        DoubleVector vmin2 = DoubleVector.broadcast(D, min);
        DoubleVector ln2Hi = DoubleVector.broadcast(D, -LN2_HI);
        DoubleVector ln2Lo = DoubleVector.broadcast(D, -LN2_LO);
        DoubleVector p2 = DoubleVector.broadcast(D, P2);
        DoubleVector q2 = DoubleVector.broadcast(D, Q2);
        DoubleVector q3 = DoubleVector.broadcast(D, Q3);
        for (int j = 0; j < bound; j += lanes) {
            DoubleVector logit = vmin2.sub(DoubleVector.fromArray(D, w, j)).mul(inv);
            VectorMask<Double> below = logit.compare(VectorOperators.LT, cutoff);
            if (below.allTrue()) {
                // all lanes below the cutoff (most of them at small noise levels): no exponential
                DoubleVector.zero(D).intoArray(w, j);
                continue;
            }
            // exp as exp(double) computes it, lane by lane
            DoubleVector xc = logit.max(EXP_MIN).min(0.0);
            DoubleVector t = xc.fma(LOG2E, ROUND);
            DoubleVector n = t.sub(ROUND);
            DoubleVector r = n.fma(ln2Hi, xc);
            r = n.fma(ln2Lo, r);
            DoubleVector rr = r.mul(r);
            DoubleVector p = r.mul(rr.fma(P0, P1).fma(rr, p2));
            DoubleVector qq = rr.fma(Q0, Q1).fma(rr, q2).fma(rr, q3);
            DoubleVector y = p.div(qq.sub(p)).fma(2.0, 1.0);
            LongVector ni = t.reinterpretAsLongs().sub(ROUND_BITS);
            DoubleVector scale = ni.add(1023).lanewise(VectorOperators.LSHL, 52).reinterpretAsDoubles();
            y.mul(scale).blend(0.0, below).intoArray(w, j);
        }
        // their sum, in BLOCK partial sums: partial i sums the weights of the indices i mod BLOCK, lane by lane, one
        // pass per vector of a block (one accumulator per loop: several in one loop compiled badly at 256 bits)
        double[] partial = new double[BLOCK];
        for (int v = 0; v < BLOCK; v += lanes) {
            DoubleVector s0 = DoubleVector.zero(D);
            for (int j = v; j < bound; j += BLOCK) {
                s0 = s0.add(DoubleVector.fromArray(D, w, j));
            }
            s0.intoArray(partial, v);
        }
        double sum = ordered(partial);
        for (int j = bound; j < refs; j++) {
            double logit = (min - w[j]) * inv;
            w[j] = logit < cutoff ? 0 : exp(logit);
            sum += w[j];
        }
        // weighted differences, summed the same way
        for (int e = 0; e < per; e++) {
            double xe = x[xOff + e];
            DoubleVector vxe = DoubleVector.broadcast(D, xe);
            int r = e * refs;
            for (int v = 0; v < BLOCK; v += lanes) {
                DoubleVector s0 = DoubleVector.zero(D);
                for (int j = v; j < bound; j += BLOCK) {
                    s0 = DoubleVector.fromArray(D, w, j).mul(DoubleVector.fromArray(D, refT, r + j).sub(vxe)).add(s0);
                }
                s0.intoArray(partial, v);
            }
            acc[e] = GaussianWeightsReference.weightedDifference(w, bound, refs, refT, r, xe,
                    ordered(partial));
        }
        return sum;
    }

    /** The {@value #BLOCK} partial sums added in index order from 0. */
    private static double ordered(double[] partial) {
        double s = 0;
        for (double p : partial) {
            s += p;
        }
        return s;
    }
}
