package dev.cm4j.tensor.kernels;

import static dev.cm4j.tensor.kernels.FloatSpecies.S;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.VectorMask;
import jdk.incubator.vector.VectorOperators;

/**
 * exp, log, tanh, sin and cos over float vectors built from adds, multiplies, fmas and bit operations only, and a lane sum in
 * a fixed order. Only referenced behind {@code Simd.ENABLED}.
 *
 * <p>Why not {@code lanewise(EXP)} and {@code reduceLanes(ADD)}: their results depend on how the JVM runs the code.
 * Compiled, EXP calls an SVML routine and ADD reduces lanes in a tree; interpreted or C1-compiled, EXP is
 * {@code Math.exp} per lane and ADD runs left to right. The last bits then change with JIT timing, so the same program
 * gave different sums and exps from run to run (measured). IEEE adds, multiplies and fmas round the same way in every
 * mode, so these routines are reproducible. The Vector API's EXP was ~0.18 ns/element against ~9 for a scalar
 * {@code Math.exp} loop; these polynomials keep most of that speed.
 *
 * <p>The polynomials are Cephes' single-precision ones (expf, logf, tanhf, sinf, cosf; S. L. Moshier), accurate to about
 * 2 ulp over the whole float range (sin and cos: for |x| &lt;= 8192), with IEEE special values: exp(-inf) = 0,
 * exp(+inf) = +inf, log(0) = -inf, log(x &lt; 0) = NaN, sin and cos of +-inf are NaN, NaN in gives NaN out. Subnormal
 * results and inputs are handled. Lanes of sin and cos beyond |x| = 8192, where the three-part reduction by pi/4
 * loses bits, take {@code StrictMath} instead.
 */
public final class VectorMath {
    private VectorMath() {
    }

    // exp: e^x = 2^n e^r with n = round(x log2 e) and r = x - n ln2 in [-ln2/2, ln2/2]; ln2 split in a high part
    // exact in float and a low correction, so n ln2_hi is exact
    private static final float LOG2E = 1.44269504088896341f;
    private static final float LN2_HI = 0.693359375f;
    private static final float LN2_LO = -2.12194440e-4f;
    /** 1.5 * 2^23: x + ROUND rounds to an integer that then sits in the low mantissa bits of the sum. */
    private static final float ROUND = 12582912f;
    private static final int ROUND_BITS = 0x4B400000;
    /** Beyond these the float result is 0 or +inf anyway; the clamp keeps n in [-150, 128]. */
    private static final float EXP_MIN = -104f;
    private static final float EXP_MAX = 88.8f;

    /** e^x per lane. */
    public static FloatVector exp(FloatVector x) {
        FloatVector xc = x.max(EXP_MIN).min(EXP_MAX);
        FloatVector t = xc.fma(LOG2E, ROUND);
        FloatVector n = t.sub(ROUND);
        FloatVector r = n.fma(c(-LN2_HI), xc);
        r = n.fma(c(-LN2_LO), r);
        FloatVector p = r.fma(1.9875691500e-4f, 1.3981999507e-3f);
        p = p.fma(r, c(8.3334519073e-3f));
        p = p.fma(r, c(4.1665795894e-2f));
        p = p.fma(r, c(1.6666665459e-1f));
        p = p.fma(r, c(5.0000001201e-1f));
        FloatVector y = p.fma(r.mul(r), r).add(1f);
        // 2^n as two factors 2^h 2^(n-h), each a normal float for n in [-150, 128]: results near overflow and in the
        // subnormal range are then rounded once, by the last multiply
        IntVector ni = t.reinterpretAsInts().sub(ROUND_BITS);
        IntVector h = ni.lanewise(VectorOperators.ASHR, 1);
        FloatVector s1 = h.add(127).lanewise(VectorOperators.LSHL, 23).reinterpretAsFloats();
        FloatVector s2 = ni.sub(h).add(127).lanewise(VectorOperators.LSHL, 23).reinterpretAsFloats();
        return y.mul(s1).mul(s2);
    }

    // log: x = 2^e m with m in [sqrt(1/2), sqrt(2)); log x = e ln2 + log1p(m - 1), the latter as a polynomial
    private static final float MIN_NORMAL = 1.17549435e-38f;
    private static final float SQRT_HALF = 0.707106781186547524f;

    /** Natural logarithm per lane. */
    public static FloatVector log(FloatVector x) {
        // subnormal inputs: scale into the normal range first, and take 23 off the exponent
        VectorMask<Float> tiny = x.lt(MIN_NORMAL);
        FloatVector xs = x.blend(x.mul(8388608f), tiny);
        IntVector bits = xs.reinterpretAsInts();
        FloatVector e = bits.lanewise(VectorOperators.LSHR, 23).sub(126).convert(VectorOperators.I2F, 0)
                .reinterpretAsFloats();
        e = e.blend(e.sub(23f), tiny);
        FloatVector m = bits.and(0x007fffff).or(0x3f000000).reinterpretAsFloats(); // in [0.5, 1)
        VectorMask<Float> low = m.lt(SQRT_HALF);
        e = e.blend(e.sub(1f), low);
        m = m.blend(m.add(m), low).sub(1f);
        FloatVector z = m.mul(m);
        FloatVector p = m.fma(7.0376836292e-2f, -1.1514610310e-1f);
        p = p.fma(m, c(1.1676998740e-1f));
        p = p.fma(m, c(-1.2420140846e-1f));
        p = p.fma(m, c(1.4249322787e-1f));
        p = p.fma(m, c(-1.6668057665e-1f));
        p = p.fma(m, c(2.0000714765e-1f));
        p = p.fma(m, c(-2.4999993993e-1f));
        p = p.fma(m, c(3.3333331174e-1f));
        FloatVector y = p.mul(m).mul(z);
        y = e.fma(c(LN2_LO), y);
        y = z.fma(c(-0.5f), y);
        FloatVector result = m.add(y);
        result = e.fma(c(LN2_HI), result);
        // special values: log(+inf) = +inf, log(0) = -inf, log(x < 0) = NaN = log(NaN)
        result = result.blend(Float.POSITIVE_INFINITY, x.eq(Float.POSITIVE_INFINITY));
        result = result.blend(Float.NEGATIVE_INFINITY, x.eq(0f));
        return result.blend(Float.NaN, x.lt(0f).or(x.test(VectorOperators.IS_NAN)));
    }

    /** tanh per lane: an odd polynomial below |x| = 0.625, 1 - 2 / (e^2|x| + 1) with the sign of x above. */
    public static FloatVector tanh(FloatVector x) {
        // on |x|, then the sign bit of x copied over: odd exactly, tanh(-0) = -0
        FloatVector a = x.abs();
        FloatVector z = a.mul(a);
        FloatVector p = z.fma(-5.70498872745e-3f, 2.06390887954e-2f);
        p = p.fma(z, c(-5.37397155531e-2f));
        p = p.fma(z, c(1.33314422036e-1f));
        p = p.fma(z, c(-3.33332819422e-1f));
        FloatVector small = p.mul(z).fma(a, a);
        FloatVector large = c(1f).sub(c(2f).div(exp(a.add(a)).add(1f)));
        IntVector magnitude = large.blend(small, a.lt(0.625f)).reinterpretAsInts();
        IntVector sign = x.reinterpretAsInts().and(0x80000000);
        return magnitude.or(sign).reinterpretAsFloats();
    }

    // sin, cos: x = j pi/4 + r with j even and |r| <= pi/4; pi/4 in three parts so that j * part is exact in float
    private static final float FOUR_OVER_PI = 1.27323954473516f;
    private static final float PIO4_1 = 0.78515625f;
    private static final float PIO4_2 = 2.4187564849853515625e-4f;
    private static final float PIO4_3 = 3.77489497744594108e-8f;
    /** Beyond this |x| the reduction above is no longer accurate to float precision. */
    private static final float TRIG_MAX = 8192f;

    /** sin x per lane. */
    public static FloatVector sin(FloatVector x) {
        return sinCos(x, false);
    }

    /** cos x per lane. */
    public static FloatVector cos(FloatVector x) {
        return sinCos(x, true);
    }

    private static FloatVector sinCos(FloatVector x, boolean cosine) {
        FloatVector a = x.abs();
        // j = the even integer nearest above trunc(|x| 4/pi) when that is odd; octant = j mod 8 in {0, 2, 4, 6}
        IntVector j = (IntVector) a.min(TRIG_MAX).mul(FOUR_OVER_PI).convert(VectorOperators.F2I, 0);
        j = j.add(1).and(~1);
        FloatVector y = (FloatVector) j.convert(VectorOperators.I2F, 0);
        FloatVector r = y.fma(c(-PIO4_1), a.min(TRIG_MAX));
        r = y.fma(c(-PIO4_2), r);
        r = y.fma(c(-PIO4_3), r);
        FloatVector z = r.mul(r);
        FloatVector ps = z.fma(-1.9515295891e-4f, 8.3321608736e-3f);
        ps = ps.fma(z, c(-1.6666654611e-1f));
        FloatVector sinR = ps.mul(z).fma(r, r);
        FloatVector pc = z.fma(2.443315711809948e-5f, -1.388731625493765e-3f);
        pc = pc.fma(z, c(4.166664568298827e-2f));
        FloatVector cosR = pc.mul(z).mul(z).add(z.fma(c(-0.5f), c(1f)));
        // sin: octants 2 and 6 use the cosine polynomial, 4 and 6 flip the sign, and sin is odd
        // cos: octants 2 and 6 use the sine polynomial, 2 and 4 flip the sign, and cos is even
        IntVector octant = j.and(7);
        VectorMask<Float> swap = octant.and(2).compare(VectorOperators.NE, 0).cast(S);
        FloatVector result = cosine ? cosR.blend(sinR, swap) : sinR.blend(cosR, swap);
        IntVector flip = (cosine ? octant.add(2) : octant).and(4).lanewise(VectorOperators.LSHL, 29);
        if (!cosine) {
            flip = flip.lanewise(VectorOperators.XOR, x.reinterpretAsInts().and(0x80000000));
        }
        result = result.reinterpretAsInts().lanewise(VectorOperators.XOR, flip).reinterpretAsFloats();
        // NaN, infinities and |x| > 8192 (rare: a lane at a time, in the JDK's reproducible StrictMath)
        VectorMask<Float> outside = a.compare(VectorOperators.GT, TRIG_MAX).or(x.test(VectorOperators.IS_NAN));
        if (outside.anyTrue()) {
            float[] lanes = result.toArray();
            for (int i = 0; i < lanes.length; i++) {
                if (outside.laneIsSet(i)) {
                    float v = x.lane(i);
                    lanes[i] = (float) (cosine ? StrictMath.cos(v) : StrictMath.sin(v));
                }
            }
            result = FloatVector.fromArray(S, lanes, 0);
        }
        return result;
    }

    private static FloatVector c(float value) {
        return FloatVector.broadcast(S, value);
    }

    /** The lanes of v added left to right, the same in interpreted and compiled code. */
    public static float sumLanes(FloatVector v) {
        float s = 0f;
        for (int i = 0, n = v.length(); i < n; i++) {
            s += v.lane(i);
        }
        return s;
    }
}
