package dev.cm4j.tensor;

import java.util.Arrays;

/** Operations that move elements without arithmetic: permute, slice, concat, stack, pad, broadcast. */
final class ShapeOps {
    private ShapeOps() {
    }

    /** Side of the square tiles of a blocked transpose: 32 x 32 floats of input and output fit in L1 together. */
    private static final int TILE = 32;

    /** The shape {@code newShape} resolves to for a tensor of {@code shape}: one -1 is inferred from the size. */
    static int[] reshapeTarget(int[] shape, int[] newShape) {
        int size = Shapes.size(shape);
        int[] s = newShape.clone();
        int infer = -1;
        long known = 1;
        for (int i = 0; i < s.length; i++) {
            if (s[i] == -1) {
                if (infer >= 0) {
                    throw new IllegalArgumentException("Tensor.reshape: more than one -1 in " + Arrays.toString(newShape));
                }
                infer = i;
            } else if (s[i] < 0) {
                throw new IllegalArgumentException("Tensor.reshape: negative dimension in " + Arrays.toString(newShape)
                        + " for shape " + Shapes.str(shape));
            } else {
                known *= s[i];
            }
        }
        if (infer >= 0) {
            if (known == 0 || size % known != 0) {
                throw new IllegalArgumentException("Tensor.reshape: cannot reshape " + Shapes.str(shape) + " ("
                        + size + " elements) into " + Arrays.toString(newShape));
            }
            s[infer] = (int) (size / known);
            known *= s[infer];
        }
        if (known != size) {
            throw new IllegalArgumentException("Tensor.reshape: cannot reshape " + Shapes.str(shape) + " (" + size
                    + " elements) into " + Arrays.toString(newShape));
        }
        return s;
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
            p[d] = Shapes.axis("permute", axes[d], shape);
            if (seen[p[d]]) {
                throw new IllegalArgumentException("permute: axes " + Arrays.toString(axes)
                        + " are not a permutation for shape " + Shapes.str(shape));
            }
            seen[p[d]] = true;
        }
        int[] outShape = new int[rank];
        for (int d = 0; d < rank; d++) {
            outShape[d] = shape[p[d]];
        }
        Tensor out = Tensor.output(outShape);
        if (out.size() == 0) {
            return out;
        }
        // Collapse: input axes of size 1 carry no order, and input axes i, i+1 that stay adjacent in the output move
        // as one. NCHW -> NHWC becomes (N, C, HW) -> (N, HW, C), a batch of 2-D transposes.
        int[] newIndex = new int[rank];
        int kept = 0;
        for (int i = 0; i < rank; i++) {
            newIndex[i] = shape[i] == 1 ? -1 : kept++;
        }
        int[] cs = new int[kept];
        int[] cp = new int[kept];
        for (int i = 0, k = 0; i < rank; i++) {
            if (shape[i] != 1) {
                cs[k++] = shape[i];
            }
        }
        for (int d = 0, k = 0; d < rank; d++) {
            if (newIndex[p[d]] >= 0) {
                cp[k++] = newIndex[p[d]];
            }
        }
        int[][] merged = mergeAdjacent(cs, cp);
        cs = merged[0];
        cp = merged[1];
        int m = cs.length;
        float[] xd = x.data(), od = out.data();
        int xo = x.offset();
        if (isIdentity(cp)) {
            System.arraycopy(xd, xo, od, 0, out.size());
        } else if (isBatchedTranspose(cp)) {
            int rows = cs[m - 2], cols = cs[m - 1], batch = out.size() / (rows * cols);
            int tilesR = (rows + TILE - 1) / TILE;
            Parallel.forRange(batch * tilesR, Math.max(1, ElementwiseOps.GRAIN / (TILE * cols)), (t0, t1) -> {
                float[] buf = new float[TILE * TILE];
                for (int t = t0; t < t1; t++) {
                    int b = t / tilesR, r0 = (t % tilesR) * TILE;
                    transposeTiles(xd, xo + b * rows * cols, rows, cols, r0, Math.min(rows, r0 + TILE), od,
                            b * rows * cols, buf);
                }
            });
        } else {
            gather(xd, xo, cs, cp, od);
        }
        return out;
    }

    /** Merges input axes that are consecutive in the permutation; returns {shape, perm} over the merged axes. */
    private static int[][] mergeAdjacent(int[] shape, int[] perm) {
        int m = perm.length;
        // groups: maximal runs of the output whose input axes are consecutive, as [first input axis, length]
        int[] first = new int[m], length = new int[m];
        int groups = 0;
        for (int d = 0; d < m; d++) {
            if (d > 0 && perm[d] == perm[d - 1] + 1) {
                length[groups - 1]++;
            } else {
                first[groups] = perm[d];
                length[groups++] = 1;
            }
        }
        int[] newShape = new int[groups], newPerm = new int[groups];
        for (int g = 0; g < groups; g++) {
            int rank = 0; // position of group g in input order
            for (int h = 0; h < groups; h++) {
                rank += first[h] < first[g] ? 1 : 0;
            }
            newPerm[g] = rank;
            newShape[rank] = Shapes.outer(shape, first[g] + length[g]) / Shapes.outer(shape, first[g]);
        }
        return new int[][] {newShape, newPerm};
    }

    private static boolean isIdentity(int[] p) {
        for (int d = 0; d < p.length; d++) {
            if (p[d] != d) {
                return false;
            }
        }
        return true;
    }

    /** (0, 1, .., k-1, k+1, k): independent transposes of the last two axes. */
    private static boolean isBatchedTranspose(int[] p) {
        int m = p.length;
        for (int d = 0; d < m - 2; d++) {
            if (p[d] != d) {
                return false;
            }
        }
        return p[m - 2] == m - 1 && p[m - 1] == m - 2;
    }

    // x (rows, cols) -> y (cols, rows), input rows [r0, r1) only, through a TILE x TILE buffer: reads and writes are
    // then both runs of TILE contiguous floats, where a direct strided copy thrashes L1 sets when rows or cols is a
    // power of two (measured 15 ns/element for 4096 x 256 against ~1 with the buffer)
    private static void transposeTiles(float[] x, int xOff, int rows, int cols, int r0, int r1, float[] y, int yOff,
                                       float[] buf) {
        int h = r1 - r0;
        for (int c0 = 0; c0 < cols; c0 += TILE) {
            int w = Math.min(cols, c0 + TILE) - c0;
            for (int r = 0; r < h; r++) {
                System.arraycopy(x, xOff + (r0 + r) * cols + c0, buf, r * TILE, w);
            }
            for (int c = 0; c < w; c++) {
                int dst = yOff + (c0 + c) * rows + r0;
                for (int r = 0; r < h; r++) {
                    y[dst + r] = buf[r * TILE + c];
                }
            }
        }
    }

    // x (shape) permuted by p -> y, row by row of the output with a strided read
    private static void gather(float[] xd, int xo, int[] shape, int[] p, float[] od) {
        int rank = shape.length;
        int[] inStrides = Shapes.strides(shape);
        int[] outShape = new int[rank];
        int[] st = new int[rank];
        for (int d = 0; d < rank; d++) {
            outShape[d] = shape[p[d]];
            st[d] = inStrides[p[d]];
        }
        int len = outShape[rank - 1], step = st[rank - 1];
        int rows = Shapes.size(outShape) / len;
        Parallel.forRange(rows, Math.max(1, ElementwiseOps.GRAIN / len), (r0, r1) -> {
            for (int r = r0; r < r1; r++) {
                int src = xo, rem = r;
                for (int d = rank - 2; d >= 0; d--) {
                    src += (rem % outShape[d]) * st[d];
                    rem /= outShape[d];
                }
                int dst = r * len;
                if (step == 1) {
                    System.arraycopy(xd, src, od, dst, len);
                } else {
                    for (int j = 0; j < len; j++) {
                        od[dst + j] = xd[src + j * step];
                    }
                }
            }
        });
    }

    // x (.., d, ..) -> (.., end - start, ..): a view when the kept elements are contiguous
    static Tensor slice(Tensor x, int axis, int start, int end) {
        int[] shape = x.shape();
        int ax = Shapes.axis("slice", axis, shape);
        if (start < 0 || end < start || end > shape[ax]) {
            throw new IllegalArgumentException("slice: range [" + start + ", " + end + ") out of bounds for axis "
                    + axis + " of shape " + Shapes.str(shape));
        }
        int outer = Shapes.outer(shape, ax), inner = Shapes.inner(shape, ax);
        int[] outShape = shape.clone();
        outShape[ax] = end - start;
        if (outer == 1 || (start == 0 && end == shape[ax])) {
            return x.view(x.offset() + start * inner, outShape);
        }
        Tensor out = Tensor.outputOverwritten(outShape);
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
        int ax = Shapes.axis("concat", axis, first);
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
        int outer = Shapes.outer(first, ax), inner = Shapes.inner(first, ax);
        int[] outShape = first.clone();
        outShape[ax] = total;
        Tensor out = Tensor.outputOverwritten(outShape);
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
        Tensor out = Tensor.output(outShape).fill(value);
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
        Tensor out = Tensor.output(shape);
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
