package dev.cm4j.autodiff;

import dev.cm4j.tensor.Tensor;
import dev.cm4j.tensor.kernels.SiluGrad;

/**
 * Unary element-wise functions; each backward multiplies the incoming gradient by the derivative, written with the
 * forward's output where that is cheaper (exp, sqrt, tanh, sigmoid).
 */
public final class Pointwise {
    private Pointwise() {
    }

    // y = e^x: dx = g y
    public static Var exp(Var x) {
        Tensor y = x.value().exp();
        return Var.result("exp", y, g -> x.accumulateGrad(g.mul(y)), x);
    }

    // y = ln x: dx = g / x
    public static Var log(Var x) {
        Tensor xv = x.value();
        return Var.result("log", xv.log(), g -> x.accumulateGrad(g.div(xv)), x);
    }

    // y = sqrt x: dx = g / (2 y)
    public static Var sqrt(Var x) {
        Tensor y = x.value().sqrt();
        return Var.result("sqrt", y, g -> x.accumulateGrad(g.div(y).mul(0.5f)), x);
    }

    // y = x^(-1/2): dx = -g y^3 / 2
    public static Var rsqrt(Var x) {
        Tensor y = x.value().rsqrt();
        return Var.result("rsqrt", y, g -> x.accumulateGrad(g.mul(y.square().mul(y)).mul(-0.5f)), x);
    }

    // y = x^2: dx = 2 g x
    public static Var square(Var x) {
        Tensor xv = x.value();
        return Var.result("square", xv.square(), g -> x.accumulateGrad(g.mul(xv).mul(2f)), x);
    }

    // y = x^p: dx = g p x^(p-1), PyTorch's pow_backward: 0 for p = 0 (y is the constant 1; x^-1 would make 0 * inf =
    // NaN at x = 0); otherwise p x^(p-1) as Math.pow gives it, so at x = 0 it is 1 for p = 1, 0 for p > 1 and +inf for
    // 0 < p < 1 (the one-sided limit PyTorch also returns)
    public static Var pow(Var x, float p) {
        Tensor xv = x.value();
        return Var.result("pow", xv.pow(p), g -> {
            x.accumulateGrad(p == 0f ? Tensor.output(xv.shape()) : g.mul(xv.pow(p - 1f).mul(p)));
        }, x);
    }

    // y = tanh x: dx = g (1 - y^2)
    public static Var tanh(Var x) {
        Tensor y = x.value().tanh();
        return Var.result("tanh", y, g -> x.accumulateGrad(g.mul(y.square().neg().add(1f))), x);
    }

    // y = sigmoid x: dx = g y (1 - y)
    public static Var sigmoid(Var x) {
        Tensor y = x.value().sigmoid();
        return Var.result("sigmoid", y, g -> x.accumulateGrad(g.mul(y.mul(y.neg().add(1f)))), x);
    }

    // y = x sigmoid(x): dx = g s (1 + x (1 - s)) with s = sigmoid(x)
    public static Var silu(Var x) {
        Tensor xv = x.value();
        Tensor y = xv.silu();
        // an owned g is overwritten with dx (each element read before it is written, at the same index)
        return Var.result("silu", y, (InPlaceBackward) (g, owned) ->
                x.accumulateGrad(siluBackward(g, xv, owned ? g : Tensor.output(xv.shape())), true), x);
    }

    /**
     * dx = g s (1 + x (1 - s)) in one fused pass, written to {@code dx} (a fresh tensor, or g itself); s = sigmoid(x)
     * is recomputed rather than stored.
     */
    static Tensor siluBackward(Tensor g, Tensor x, Tensor dx) {
        SiluGrad.apply(g.data(), g.offset(), x.data(), x.offset(), dx.data(), dx.offset(), x.size());
        return dx;
    }

    // y = |x|: dx = g sign(x) (0 at 0, as in PyTorch)
    public static Var abs(Var x) {
        Tensor xv = x.value();
        return Var.result("abs", xv.abs(), g -> x.accumulateGrad(g.mul(xv.sign())), x);
    }

    // y = min(max(x, lo), hi): the gradient passes where lo <= x <= hi (PyTorch's convention at the bounds)
    public static Var clamp(Var x, float lo, float hi) {
        Tensor xv = x.value();
        return Var.result("clamp", xv.clamp(lo, hi), g -> {
            Tensor inside = xv.less(lo).add(xv.greater(hi)).neg().add(1f);
            x.accumulateGrad(g.mul(inside));
        }, x);
    }

    // y = sin x: dx = g cos x
    public static Var sin(Var x) {
        Tensor xv = x.value();
        return Var.result("sin", xv.sin(), g -> x.accumulateGrad(g.mul(xv.cos())), x);
    }

    // y = cos x: dx = -g sin x
    public static Var cos(Var x) {
        Tensor xv = x.value();
        return Var.result("cos", xv.cos(), g -> x.accumulateGrad(g.mul(xv.sin()).neg()), x);
    }
}
