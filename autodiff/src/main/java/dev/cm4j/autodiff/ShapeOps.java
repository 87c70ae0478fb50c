package dev.cm4j.autodiff;

import dev.cm4j.tensor.Shapes;
import dev.cm4j.tensor.Tensor;

/**
 * Operations that move elements without arithmetic. Each backward is the adjoint move: reshape back, the inverse
 * permutation, zero-padding for a slice, slicing for a pad or a concatenation, summing for a broadcast.
 */
public final class ShapeOps {
    private ShapeOps() {
    }

    // x (s) -> y (s'), same elements: dx = g reshaped to s
    public static Var reshape(Var x, int... shape) {
        int[] in = x.shape();
        return Var.result("reshape", x.value().reshape(shape), g -> x.accumulateGrad(g.reshape(in)), x);
    }

    // x (..., 1, ...) -> y without that axis
    public static Var squeeze(Var x, int axis) {
        int[] in = x.shape();
        return Var.result("squeeze", x.value().squeeze(axis), g -> x.accumulateGrad(g.reshape(in)), x);
    }

    // x -> y with a new axis of length 1
    public static Var unsqueeze(Var x, int axis) {
        int[] in = x.shape();
        return Var.result("unsqueeze", x.value().unsqueeze(axis), g -> x.accumulateGrad(g.reshape(in)), x);
    }

    // y = x with its axes reordered (y.dim(i) = x.dim(axes[i])): dx = g permuted by the inverse
    public static Var permute(Var x, int... axes) {
        int rank = x.rank();
        if (axes.length != rank) {
            throw new IllegalArgumentException("permute: " + axes.length + " axes given for a tensor of shape "
                    + Shapes.str(x.shape()));
        }
        int[] inverse = new int[rank];
        for (int i = 0; i < rank; i++) {
            inverse[Shapes.axis("permute", axes[i], x.shape())] = i;
        }
        return Var.result("permute", x.value().permute(axes), g -> x.accumulateGrad(g.permute(inverse)), x);
    }

    // swaps two axes; its own inverse
    public static Var transpose(Var x, int a, int b) {
        return Var.result("transpose", x.value().transpose(a, b), g -> x.accumulateGrad(g.transpose(a, b)), x);
    }

    // y = x[..., start:end, ...] along axis: dx = g zero-padded back to x's extent
    public static Var slice(Var x, int axis, int start, int end) {
        int[] in = x.shape();
        int ax = Shapes.axis("slice", axis, in);
        Tensor y = x.value().slice(ax, start, end);
        return Var.result("slice", y, g -> {
            int[] before = new int[in.length], after = new int[in.length];
            before[ax] = start;
            after[ax] = in[ax] - end;
            x.accumulateGrad(g.pad(before, after, 0f));
        }, x);
    }

    // xs (..., n_i, ...) -> y (..., sum n_i, ...): dx_i = the i-th slice of g
    public static Var concat(int axis, Var... xs) {
        if (xs.length == 0) {
            throw new IllegalArgumentException("concat: no inputs");
        }
        int ax = Shapes.axis("concat", axis, xs[0].shape());
        Tensor[] vs = new Tensor[xs.length];
        int[] starts = new int[xs.length + 1];
        for (int i = 0; i < xs.length; i++) {
            vs[i] = xs[i].value();
            starts[i + 1] = starts[i] + vs[i].dim(ax);
        }
        return Var.result("concat", Tensor.concat(ax, vs), g -> {
            for (int i = 0; i < xs.length; i++) {
                if (xs[i].needsGrad()) {
                    // a copied piece is this input's own; a view (one outer block) still belongs to g
                    Tensor piece = g.slice(ax, starts[i], starts[i + 1]);
                    xs[i].accumulateGrad(piece, piece.data() != g.data());
                }
            }
        }, xs);
    }

    // xs (s) -> y with a new axis of length xs.length: dx_i = g[..., i, ...]
    public static Var stack(int axis, Var... xs) {
        if (xs.length == 0) {
            throw new IllegalArgumentException("stack: no inputs");
        }
        int ax = Shapes.axis("stack", axis, xs[0].rank() + 1);
        Tensor[] vs = new Tensor[xs.length];
        for (int i = 0; i < xs.length; i++) {
            vs[i] = xs[i].value();
        }
        int[] in = xs[0].shape();
        return Var.result("stack", Tensor.stack(ax, vs), g -> {
            for (int i = 0; i < xs.length; i++) {
                if (xs[i].needsGrad()) {
                    xs[i].accumulateGrad(g.slice(ax, i, i + 1).reshape(in));
                }
            }
        }, xs);
    }

    // y = x padded with `value`: dx = the interior of g
    public static Var pad(Var x, int[] before, int[] after, float value) {
        int[] in = x.shape();
        return Var.result("pad", x.value().pad(before, after, value), g -> {
            Tensor d = g;
            for (int a = 0; a < in.length; a++) {
                if (before[a] != 0 || after[a] != 0) {
                    d = d.slice(a, before[a], before[a] + in[a]);
                }
            }
            x.accumulateGrad(d);
        }, x);
    }

    // y = x broadcast to shape: dx = g summed back to x's shape
    public static Var broadcastTo(Var x, int... shape) {
        int[] in = x.shape();
        return Var.result("broadcastTo", x.value().broadcastTo(shape),
                g -> x.accumulateGrad(Arithmetic.unbroadcast(g, in)), x);
    }
}
