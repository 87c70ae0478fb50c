package dev.cm4j.tensor;

import java.util.Arrays;

/** Operations that move elements without arithmetic: permute, slice, concat, stack, pad, broadcast. */
final class ShapeOps {
    private ShapeOps() {
    }

    // x (d0..dn-1), axes p -> y (d_p0..d_pn-1), copied
    static Tensor permute(Tensor x, int[] axes) {
        int[] shape = x.shape();
        int rank = shape.length;
        if (axes.length != rank) {
            throw new IllegalArgumentException("permute: axes " + Arrays.toString(axes) + " do not match shape "
                    + Shapes.str(shape));
        }
        int[] p = new int[rank];
        boolean[] seen = new boolean[rank];
        for (int d = 0; d < rank; d++) {
            p[d] = Shapes.axis("permute", axes[d], rank);
            if (seen[p[d]]) {
                throw new IllegalArgumentException("permute: axes " + Arrays.toString(axes)
                        + " are not a permutation for shape " + Shapes.str(shape));
            }
            seen[p[d]] = true;
        }
        int[] inStrides = Shapes.strides(shape);
        int[] outShape = new int[rank];
        int[] st = new int[rank];
        for (int d = 0; d < rank; d++) {
            outShape[d] = shape[p[d]];
            st[d] = inStrides[p[d]];
        }
        Tensor out = Tensor.zeros(outShape);
        int n = out.size();
        if (n == 0) {
            return out;
        }
        int len = rank == 0 ? 1 : outShape[rank - 1];
        int step = rank == 0 ? 1 : st[rank - 1];
        int rows = n / len;
        float[] xd = x.data(), od = out.data();
        int xo = x.offset();
        Parallel.forRange(rows, Math.max(1, ElementwiseOps.GRAIN / len), (r0, r1) -> {
            for (int r = r0; r < r1; r++) {
                int src = xo, rem = r;
                for (int d = rank - 2; d >= 0; d--) {
                    src += (rem % outShape[d]) * st[d];
                    rem /= outShape[d];
                }
                int dst = r * len;
                for (int j = 0; j < len; j++) {
                    od[dst + j] = xd[src + j * step];
                }
            }
        });
        return out;
    }

    // x (.., d, ..) -> (.., end - start, ..): a view when the kept elements are contiguous
    static Tensor slice(Tensor x, int axis, int start, int end) {
        int[] shape = x.shape();
        int ax = Shapes.axis("slice", axis, shape.length);
        if (start < 0 || end < start || end > shape[ax]) {
            throw new IllegalArgumentException("slice: range [" + start + ", " + end + ") out of bounds for axis "
                    + axis + " of shape " + Shapes.str(shape));
        }
        int outer = 1, inner = 1;
        for (int d = 0; d < ax; d++) {
            outer *= shape[d];
        }
        for (int d = ax + 1; d < shape.length; d++) {
            inner *= shape[d];
        }
        int[] outShape = shape.clone();
        outShape[ax] = end - start;
        if (outer == 1 || (start == 0 && end == shape[ax])) {
            return Tensor.wrap(x.data(), x.offset() + start * inner, outShape);
        }
        Tensor out = Tensor.zeros(outShape);
        int run = (end - start) * inner;
        for (int o = 0; o < outer; o++) {
            System.arraycopy(x.data(), x.offset() + (o * shape[ax] + start) * inner, out.data(), o * run, run);
        }
        return out;
    }

    // ts[k] (.., d_k, ..) -> (.., sum d_k, ..)
    static Tensor concat(int axis, Tensor[] ts) {
        if (ts.length == 0) {
            throw new IllegalArgumentException("concat: no tensors");
        }
        int[] first = ts[0].shape();
        int ax = Shapes.axis("concat", axis, first.length);
        int total = 0;
        for (Tensor t : ts) {
            int[] s = t.shape();
            boolean ok = s.length == first.length;
            for (int d = 0; d < s.length && ok; d++) {
                ok = d == ax || s[d] == first[d];
            }
            if (!ok) {
                throw new IllegalArgumentException("concat: shape " + Shapes.str(s) + " does not match "
                        + Shapes.str(first) + " outside axis " + axis);
            }
            total += s[ax];
        }
        int outer = 1, inner = 1;
        for (int d = 0; d < ax; d++) {
            outer *= first[d];
        }
        for (int d = ax + 1; d < first.length; d++) {
            inner *= first[d];
        }
        int[] outShape = first.clone();
        outShape[ax] = total;
        Tensor out = Tensor.zeros(outShape);
        int outRun = total * inner;
        int at = 0;
        for (Tensor t : ts) {
            int run = t.dim(ax) * inner;
            for (int o = 0; o < outer; o++) {
                System.arraycopy(t.data(), t.offset() + o * run, out.data(), o * outRun + at, run);
            }
            at += run;
        }
        return out;
    }

    // ts[k] (s) -> (.., K, ..) with the new axis at `axis`
    static Tensor stack(int axis, Tensor[] ts) {
        if (ts.length == 0) {
            throw new IllegalArgumentException("stack: no tensors");
        }
        int[] first = ts[0].shape();
        int ax = Shapes.axis("stack", axis, first.length + 1);
        Tensor[] us = new Tensor[ts.length];
        for (int k = 0; k < ts.length; k++) {
            if (!ts[k].sameShape(ts[0])) {
                throw new IllegalArgumentException("stack: shape " + Shapes.str(ts[k].shape()) + " differs from "
                        + Shapes.str(first));
            }
            us[k] = ts[k].unsqueeze(ax);
        }
        return concat(ax, us);
    }

    // x (d) -> (before + d + after), new cells set to value
    static Tensor pad(Tensor x, int[] before, int[] after, float value) {
        int[] shape = x.shape();
        int rank = shape.length;
        if (before.length != rank || after.length != rank) {
            throw new IllegalArgumentException("pad: before " + Arrays.toString(before) + " and after "
                    + Arrays.toString(after) + " need one entry per axis of shape " + Shapes.str(shape));
        }
        int[] outShape = new int[rank];
        for (int d = 0; d < rank; d++) {
            if (before[d] < 0 || after[d] < 0) {
                throw new IllegalArgumentException("pad: negative padding " + Arrays.toString(before) + ", "
                        + Arrays.toString(after) + " for shape " + Shapes.str(shape));
            }
            outShape[d] = before[d] + shape[d] + after[d];
        }
        Tensor out = Tensor.full(value, outShape);
        if (x.size() == 0) {
            return out;
        }
        int len = rank == 0 ? 1 : shape[rank - 1];
        int rows = x.size() / len;
        int[] outStrides = Shapes.strides(outShape);
        int base = 0;
        for (int d = 0; d < rank; d++) {
            base += before[d] * outStrides[d];
        }
        for (int r = 0; r < rows; r++) {
            int dst = base, rem = r;
            for (int d = rank - 2; d >= 0; d--) {
                dst += (rem % shape[d]) * outStrides[d];
                rem /= shape[d];
            }
            System.arraycopy(x.data(), x.offset() + r * len, out.data(), dst, len);
        }
        return out;
    }

    // x (s) -> (shape), repeating along broadcast dimensions
    static Tensor broadcastTo(Tensor x, int[] shape) {
        int[] s = x.shape();
        int[] b = Shapes.broadcast("broadcastTo", s, shape);
        if (!Arrays.equals(b, shape)) {
            throw new IllegalArgumentException("broadcastTo: shape " + Shapes.str(s) + " cannot be broadcast to "
                    + Shapes.str(shape));
        }
        Tensor out = Tensor.zeros(shape);
        if (out.size() == 0) {
            return out;
        }
        Broadcast plan = Broadcast.to(shape.clone(), s);
        int len = plan.inner();
        boolean contiguous = plan.innerStride(0) == 1;
        float[] xd = x.data(), od = out.data();
        for (int r = 0, rows = plan.rows(); r < rows; r++) {
            int src = x.offset() + plan.rowOffset(0, r);
            if (contiguous) {
                System.arraycopy(xd, src, od, r * len, len);
            } else {
                Arrays.fill(od, r * len, (r + 1) * len, xd[src]);
            }
        }
        return out;
    }

    // x (s) -> (shape): sums x over the dimensions that broadcasting (shape) -> (s) would repeat
    static Tensor sumTo(Tensor x, int[] shape) {
        int[] s = x.shape();
        boolean ok = shape.length <= s.length;
        boolean[] red = new boolean[s.length];
        int lead = s.length - shape.length;
        for (int d = 0; d < s.length && ok; d++) {
            if (d < lead) {
                red[d] = true;
            } else if (shape[d - lead] == 1) {
                red[d] = s[d] != 1;
            } else {
                ok = shape[d - lead] == s[d];
            }
        }
        if (!ok) {
            throw new IllegalArgumentException("sumTo: shape " + Shapes.str(s) + " is not a broadcast of "
                    + Shapes.str(shape));
        }
        return Reductions.reduce("sumTo", dev.cm4j.tensor.kernels.Reduce.Op.SUM, x, red, true).reshape(shape);
    }
}
