package dev.cm4j.autodiff;

import dev.cm4j.tensor.Tensor;

import java.util.Arrays;

/**
 * Binary arithmetic with NumPy broadcasting, and arithmetic with a scalar. Each forward is followed by its backward;
 * a broadcast input receives the gradient summed back to its own shape ({@link #unbroadcast}).
 */
public final class Arithmetic {
    private Arithmetic() {
    }

    /** Sums {@code g} back to {@code shape} (the adjoint of broadcasting); returns g itself when the shapes agree. */
    static Tensor unbroadcast(Tensor g, int[] shape) {
        return Arrays.equals(g.shape(), shape) ? g : g.sumTo(shape);
    }

    // a + b: da = g, db = g (each summed to its shape)
    public static Var add(Var a, Var b) {
        Tensor y = a.value().add(b.value());
        int[] sa = a.shape(), sb = b.shape();
        return Var.result("add", y, (InPlaceBackward) (g, owned) -> {
            // A summed copy is its input's own. An owned g itself goes on as owned only to an input that alone takes
            // it (the other gets a summed copy or nothing): that input's rule may overwrite it.
            Tensor ga = a.needsGrad() ? unbroadcast(g, sa) : null;
            Tensor gb = b.needsGrad() ? unbroadcast(g, sb) : null;
            boolean aTakesG = ga != null && ga.data() == g.data();
            boolean bTakesG = gb != null && gb.data() == g.data();
            if (ga != null) {
                a.accumulateGrad(ga, !aTakesG || (owned && !bTakesG));
            }
            if (gb != null) {
                b.accumulateGrad(gb, !bTakesG || (owned && !aTakesG));
            }
        }, a, b);
    }

    // a - b: da = g, db = -g
    public static Var sub(Var a, Var b) {
        Tensor y = a.value().sub(b.value());
        int[] sa = a.shape(), sb = b.shape();
        return Var.result("sub", y, g -> {
            a.accumulateGrad(unbroadcast(g, sa));
            if (b.needsGrad()) {
                b.accumulateGrad(unbroadcast(g, sb).neg());
            }
        }, a, b);
    }

    // a * b: da = g b, db = g a
    public static Var mul(Var a, Var b) {
        Tensor av = a.value(), bv = b.value();
        Tensor y = av.mul(bv);
        int[] sa = a.shape(), sb = b.shape();
        // g a is fresh, and g b is too or (g owned) written over g: each input's own, as are their sums to a broadcast
        // input's shape. g a is taken before g is overwritten; the inputs still receive theirs in the order a, b.
        return Var.result("mul", y, (InPlaceBackward) (g, owned) -> {
            Tensor gb = b.needsGrad() ? unbroadcast(g.mul(av), sb) : null;
            if (a.needsGrad()) {
                a.accumulateGrad(unbroadcast(owned ? g.mulInPlace(bv) : g.mul(bv), sa), true);
            }
            if (gb != null) {
                b.accumulateGrad(gb, true);
            }
        }, a, b);
    }

    // a / b: da = g / b, db = -g a / b^2 = -g y / b
    public static Var div(Var a, Var b) {
        Tensor bv = b.value();
        Tensor y = a.value().div(bv);
        int[] sa = a.shape(), sb = b.shape();
        return Var.result("div", y, g -> {
            Tensor gOverB = g.div(bv);
            if (a.needsGrad()) {
                a.accumulateGrad(unbroadcast(gOverB, sa));
            }
            if (b.needsGrad()) {
                b.accumulateGrad(unbroadcast(gOverB.mul(y).neg(), sb));
            }
        }, a, b);
    }

    // max(a, b): the gradient goes to the larger input; ties split it evenly (as PyTorch does)
    public static Var maximum(Var a, Var b) {
        Tensor av = a.value(), bv = b.value();
        Tensor y = av.maximum(bv);
        return selectBackward("maximum", y, a, b, av.greater(bv), av.less(bv));
    }

    // min(a, b): the gradient goes to the smaller input; ties split it evenly
    public static Var minimum(Var a, Var b) {
        Tensor av = a.value(), bv = b.value();
        Tensor y = av.minimum(bv);
        return selectBackward("minimum", y, a, b, av.less(bv), av.greater(bv));
    }

    /** Backward of a choice between a and b: {@code aWins}/{@code bWins} are 0/1 masks, neither means a tie. */
    private static Var selectBackward(String op, Tensor y, Var a, Var b, Tensor aWins, Tensor bWins) {
        int[] sa = a.shape(), sb = b.shape();
        return Var.result(op, y, g -> {
            // share of a: 1 where a wins, 1/2 on ties, 0 where b wins
            Tensor shareA = aWins.sub(bWins).add(1f).mul(0.5f);
            if (a.needsGrad()) {
                a.accumulateGrad(unbroadcast(g.mul(shareA), sa));
            }
            if (b.needsGrad()) {
                b.accumulateGrad(unbroadcast(g.mul(shareA.neg().add(1f)), sb));
            }
        }, a, b);
    }

    /** cond ? a : b with a constant 0/1 mask {@code cond}; all three broadcast together. */
    public static Var where(Tensor cond, Var a, Var b) {
        Tensor y = Tensor.where(cond, a.value(), b.value());
        int[] sa = a.shape(), sb = b.shape();
        return Var.result("where", y, g -> {
            Tensor zero = Tensor.output(g.shape());
            if (a.needsGrad()) {
                a.accumulateGrad(unbroadcast(Tensor.where(cond, g, zero), sa));
            }
            if (b.needsGrad()) {
                b.accumulateGrad(unbroadcast(Tensor.where(cond, zero, g), sb));
            }
        }, a, b);
    }

    // a + s: da = g
    public static Var add(Var a, float s) {
        return Var.result("addScalar", a.value().add(s), a::accumulateGrad, a);
    }

    // a * s: da = s g
    public static Var mul(Var a, float s) {
        return Var.result("mulScalar", a.value().mul(s), g -> a.accumulateGrad(g.mul(s)), a);
    }

    // a / s: da = g / s
    public static Var div(Var a, float s) {
        return Var.result("divScalar", a.value().div(s), g -> a.accumulateGrad(g.div(s)), a);
    }

    // s - a: da = -g
    public static Var rsub(float s, Var a) {
        return Var.result("rsubScalar", a.value().neg().add(s), g -> a.accumulateGrad(g.neg()), a);
    }

    // -a: da = -g
    public static Var neg(Var a) {
        return Var.result("neg", a.value().neg(), g -> a.accumulateGrad(g.neg()), a);
    }
}
