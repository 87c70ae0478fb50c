package dev.cm4j.autodiff;

import dev.cm4j.tensor.Shapes;
import dev.cm4j.tensor.Tensor;

/**
 * Reductions over all elements or over chosen axes. Each backward reshapes the incoming gradient to the input's rank
 * (reduced axes of length 1) and broadcasts it back over the reduced axes.
 */
public final class Reductions {
    private Reductions() {
    }

    /** {@code shape} with the reduced {@code axes} set to 1 (all axes when none are given). */
    static int[] keptShape(String op, int[] shape, int[] axes) {
        int[] kept = shape.clone();
        if (axes.length == 0) {
            java.util.Arrays.fill(kept, 1);
            return kept;
        }
        for (int a : axes) {
            kept[Shapes.axis(op, a, shape)] = 1;
        }
        return kept;
    }

    /** All axes 0..rank-1 when {@code axes} is empty (the convention of these reductions). */
    static int[] allIfEmpty(int[] axes, int rank) {
        if (axes.length > 0) {
            return axes;
        }
        int[] all = new int[rank];
        for (int i = 0; i < rank; i++) {
            all[i] = i;
        }
        return all;
    }

    /** The gradient of a reduction's output, broadcast back over the input's shape. */
    static Tensor spread(Tensor g, int[] kept, int[] shape) {
        return g.reshape(kept).broadcastTo(shape);
    }

    // y = sum x (rank 0): dx = g everywhere
    public static Var sum(Var x) {
        int[] shape = x.shape();
        return Var.result("sum", x.value().sum(), g -> x.accumulateGrad(Tensor.output(shape).fill(g.item())), x);
    }

    // y = sum over axes: dx = g broadcast over the reduced axes
    public static Var sum(Var x, boolean keepDims, int... axes) {
        int[] shape = x.shape();
        int[] ax = allIfEmpty(axes, shape.length);
        int[] kept = keptShape("sum", shape, ax);
        return Var.result("sum", x.value().sum(keepDims, ax), g -> x.accumulateGrad(spread(g, kept, shape)), x);
    }

    // y = mean x (rank 0): dx = g / n
    public static Var mean(Var x) {
        int[] shape = x.shape();
        int n = x.size();
        return Var.result("mean", x.value().mean(), g -> x.accumulateGrad(Tensor.output(shape).fill(g.item() / n)), x);
    }

    // y = mean over axes: dx = g / n broadcast, n = number of reduced elements
    public static Var mean(Var x, boolean keepDims, int... axes) {
        int[] shape = x.shape();
        int[] ax = allIfEmpty(axes, shape.length);
        int[] kept = keptShape("mean", shape, ax);
        int n = x.size() / Math.max(1, Shapes.size(kept));
        return Var.result("mean", x.value().mean(keepDims, ax),
                g -> x.accumulateGrad(spread(g, kept, shape).div(n)), x);
    }

    // y = population variance over axes: dx = g 2 (x - mean) / n
    public static Var variance(Var x, boolean keepDims, int... axes) {
        Tensor xv = x.value();
        int[] shape = x.shape();
        int[] ax = allIfEmpty(axes, shape.length);
        int[] kept = keptShape("variance", shape, ax);
        int n = x.size() / Math.max(1, Shapes.size(kept));
        return Var.result("variance", xv.variance(keepDims, ax), g -> {
            Tensor centered = xv.sub(xv.mean(true, ax));
            x.accumulateGrad(spread(g, kept, shape).mul(centered).mul(2f / n));
        }, x);
    }

    // y = max over axes: the gradient goes to the maximal elements, split evenly among ties (as PyTorch's amax)
    public static Var max(Var x, boolean keepDims, int... axes) {
        return extremum("max", x, keepDims, axes, true);
    }

    // y = min over axes: as max
    public static Var min(Var x, boolean keepDims, int... axes) {
        return extremum("min", x, keepDims, axes, false);
    }

    private static Var extremum(String op, Var x, boolean keepDims, int[] axes, boolean isMax) {
        Tensor xv = x.value();
        int[] shape = x.shape();
        int[] ax = allIfEmpty(axes, shape.length);
        int[] kept = keptShape(op, shape, ax);
        Tensor y = isMax ? xv.max(keepDims, ax) : xv.min(keepDims, ax);
        return Var.result(op, y, g -> {
            Tensor m = y.reshape(kept);
            // 1 where x equals the extremum of its group
            Tensor hit = xv.greater(m).add(xv.less(m)).neg().add(1f);
            Tensor count = hit.sum(true, ax);
            x.accumulateGrad(hit.mul(g.reshape(kept).div(count)));
        }, x);
    }

    // y = log sum exp x over axes: dx = g softmax(x) = g exp(x - y)
    public static Var logsumexp(Var x, boolean keepDims, int... axes) {
        Tensor xv = x.value();
        int[] shape = x.shape();
        int[] ax = allIfEmpty(axes, shape.length);
        int[] kept = keptShape("logsumexp", shape, ax);
        Tensor y = xv.logsumexp(keepDims, ax);
        return Var.result("logsumexp", y, g -> {
            Tensor p = xv.sub(y.reshape(kept)).exp();
            x.accumulateGrad(p.mul(g.reshape(kept)));
        }, x);
    }
}
