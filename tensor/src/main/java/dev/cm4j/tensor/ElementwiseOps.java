package dev.cm4j.tensor;

import dev.cm4j.tensor.kernels.Elementwise;
import dev.cm4j.tensor.kernels.Elementwise.Binary;
import dev.cm4j.tensor.kernels.Elementwise.Unary;

/**
 * Drives the flat elementwise kernels over whole tensors: picks the fast pattern for each broadcast, and splits large
 * outputs over {@link Parallel}.
 *
 * <p>Results do not depend on the split, for two reasons that each suffice: the vector kernels treat their tails
 * with the same vector arithmetic as their bodies (a masked vector op, or a scalar expression that rounds the same),
 * so an element's value does not depend on where its run ends; and flat runs are split at multiples of
 * {@link #ALIGN}, so every chunk starts on the vector boundary a one-thread pass would use.
 */
final class ElementwiseOps {
    /** Elements below which a loop stays on one thread: the hand-off costs more than the work. */
    static final int GRAIN = 1 << 15;
    /** Chunk boundaries of flat splits: a multiple of every SIMD width (64 floats = 4 vectors of 512 bits). */
    static final int ALIGN = 64;

    private ElementwiseOps() {
    }

    /** out = a op b with NumPy broadcasting; {@code name} appears in shape errors. */
    static Tensor binary(String name, Binary op, Tensor a, Tensor b) {
        int[] shape = a.sameShape(b) ? a.shape() : Shapes.broadcast(name, a.shape(), b.shape());
        Tensor out = Tensor.outputOverwritten(shape);
        binaryInto(op, a, b, out);
        return out;
    }

    /**
     * out = a op b where out's shape is the broadcast of a's and b's. out may be a (in-place update): every element
     * is read before it is written, at the same index.
     */
    static void binaryInto(Binary op, Tensor a, Tensor b, Tensor out) {
        float[] ad = a.data(), bd = b.data(), od = out.data();
        int ao = a.offset(), bo = b.offset(), oo = out.offset();
        int n = out.size();
        if (a.size() == n && b.size() == n) {
            // same elements in the same order (the shapes differ at most by leading 1s)
            Parallel.forRange(n, GRAIN, ALIGN, (s, e) -> Elementwise.binary(op, ad, ao + s, bd, bo + s, od, oo + s, e - s));
        } else if (b.size() == 1 && a.size() == n) {
            float s1 = bd[bo];
            Parallel.forRange(n, GRAIN, ALIGN, (s, e) -> Elementwise.binaryRight(op, ad, ao + s, s1, od, oo + s, e - s));
        } else if (a.size() == 1 && b.size() == n) {
            float s1 = ad[ao];
            Parallel.forRange(n, GRAIN, ALIGN, (s, e) -> Elementwise.binaryLeft(op, s1, bd, bo + s, od, oo + s, e - s));
        } else {
            // bias over the last axis, per-channel scales, outer products: inner runs are contiguous or repeated
            Broadcast plan = Broadcast.to(out.shape(), a.shape(), b.shape());
            int len = plan.inner();
            int sa = plan.innerStride(0), sb = plan.innerStride(1);
            Parallel.forRange(plan.rows(), Math.max(1, GRAIN / len), (r0, r1) -> {
                for (int r = r0; r < r1; r++) {
                    int pa = ao + plan.rowOffset(0, r), pb = bo + plan.rowOffset(1, r), po = oo + r * len;
                    if (sa == 1 && sb == 1) {
                        Elementwise.binary(op, ad, pa, bd, pb, od, po, len);
                    } else if (sa == 1) {
                        Elementwise.binaryRight(op, ad, pa, bd[pb], od, po, len);
                    } else if (sb == 1) {
                        Elementwise.binaryLeft(op, ad[pa], bd, pb, od, po, len);
                    } else {
                        java.util.Arrays.fill(od, po, po + len, op.apply(ad[pa], bd[pb]));
                    }
                }
            });
        }
    }

    /** out = a op s. */
    static Tensor binaryScalar(Binary op, Tensor a, float s) {
        Tensor out = Tensor.outputOverwritten(a.shape());
        binaryScalarInto(op, a, s, out);
        return out;
    }

    /** out = a op s, same shape; out may be a. */
    static void binaryScalarInto(Binary op, Tensor a, float s, Tensor out) {
        float[] ad = a.data(), od = out.data();
        int ao = a.offset(), oo = out.offset();
        Parallel.forRange(a.size(), GRAIN, ALIGN, (b, e) -> Elementwise.binaryRight(op, ad, ao + b, s, od, oo + b, e - b));
    }

    /** Throws unless lo <= hi (clamp bounds; NaN fails). */
    static void checkRange(String op, float lo, float hi) {
        if (!(lo <= hi)) {
            throw new IllegalArgumentException(op + ": lower bound " + lo + " is not <= upper bound " + hi);
        }
    }

    /** out = op(x) with parameters p, q. */
    static Tensor unary(Unary op, float p, float q, Tensor x) {
        Tensor out = Tensor.outputOverwritten(x.shape());
        unaryInto(op, p, q, x, out);
        return out;
    }

    /** out = op(x), same shape; out may be x. */
    static void unaryInto(Unary op, float p, float q, Tensor x, Tensor out) {
        float[] xd = x.data(), od = out.data();
        int xo = x.offset(), oo = out.offset();
        // transcendentals cost ~10x a load: split them earlier
        int grain = op.transcendental() ? GRAIN / 8 : GRAIN;
        Parallel.forRange(x.size(), grain, ALIGN, (b, e) -> Elementwise.unary(op, p, q, xd, xo + b, od, oo + b, e - b));
    }

    // cond, a, b (broadcast together) -> out: a where cond != 0, else b
    static Tensor where(Tensor cond, Tensor a, Tensor b) {
        Broadcast plan = Broadcast.of("where", cond.shape(), a.shape(), b.shape());
        Tensor out = Tensor.outputOverwritten(plan.outShape);
        Tensor[] in = {cond, a, b};
        int len = plan.inner();
        float[] od = out.data();
        Parallel.forRange(plan.rows(), Math.max(1, GRAIN / len), (r0, r1) -> {
            // a repeated operand (inner stride 0) is spread into a scratch run once per row, so one contiguous
            // kernel serves every broadcast pattern
            float[][] src = new float[3][];
            int[] off = new int[3];
            float[][] scratch = new float[3][];
            for (int r = r0; r < r1; r++) {
                for (int k = 0; k < 3; k++) {
                    int p = in[k].offset() + plan.rowOffset(k, r);
                    if (plan.innerStride(k) == 1) {
                        src[k] = in[k].data();
                        off[k] = p;
                    } else {
                        if (scratch[k] == null) {
                            scratch[k] = new float[len];
                        }
                        java.util.Arrays.fill(scratch[k], in[k].data()[p]);
                        src[k] = scratch[k];
                        off[k] = 0;
                    }
                }
                Elementwise.select(src[0], off[0], src[1], off[1], src[2], off[2], od, r * len, len);
            }
        });
        return out;
    }
}
