package dev.cm4j.tensor;

/**
 * How operands of a broadcasting operation map onto its output, reduced to the fewest loops.
 *
 * <p>The output's dimensions of size 1 are dropped and adjacent dimensions merged wherever every operand walks them
 * contiguously, so {@code (N,C,H,W) + (1,C,1,1)} becomes dims {@code (N, C, H*W)} with strides {@code (C*H*W, H*W, 1)}
 * and {@code (0, 1, 0)}. After merging, each operand's innermost stride is 1 (contiguous) or 0 (one repeated value):
 * the inner loop is always one of the flat kernels, and only the outer loops walk strides.
 */
final class Broadcast {
    /** The broadcast output shape, uncollapsed. */
    final int[] outShape;
    /** Merged output dimensions; empty for a one-element output. */
    final int[] dims;
    /** strides[k][d]: element stride of operand k along merged dimension d (0 where broadcast). */
    final int[][] strides;

    private Broadcast(int[] outShape, int[] dims, int[][] strides) {
        this.outShape = outShape;
        this.dims = dims;
        this.strides = strides;
    }

    /** Plans operands of the given shapes; throws naming {@code op} and two shapes when they do not broadcast. */
    static Broadcast of(String op, int[]... shapes) {
        int[] out = shapes[0];
        for (int k = 1; k < shapes.length; k++) {
            out = Shapes.broadcast(op, out, shapes[k]);
        }
        return to(out, shapes);
    }

    /** Plans operands broadcast to {@code out}, which must already be their broadcast shape. */
    static Broadcast to(int[] out, int[]... shapes) {
        int rank = out.length;
        int m = shapes.length;
        // aligned strides (0 on broadcast and missing leading dimensions)
        int[][] st = new int[m][rank];
        for (int k = 0; k < m; k++) {
            int[] s = shapes[k];
            int lead = rank - s.length;
            int acc = 1;
            for (int d = rank - 1; d >= lead; d--) {
                st[k][d] = s[d - lead] == 1 ? 0 : acc;
                acc *= s[d - lead];
            }
        }
        // keep dimensions of size > 1, merging a dimension into the previous kept one when every operand continues
        int[] dims = new int[rank];
        int[][] mst = new int[m][rank];
        int nd = 0;
        for (int d = 0; d < rank; d++) {
            if (out[d] == 1) {
                continue;
            }
            boolean merge = nd > 0;
            for (int k = 0; k < m && merge; k++) {
                merge = mst[k][nd - 1] == st[k][d] * out[d];
            }
            if (merge) {
                dims[nd - 1] *= out[d];
                for (int k = 0; k < m; k++) {
                    mst[k][nd - 1] = st[k][d];
                }
            } else {
                dims[nd] = out[d];
                for (int k = 0; k < m; k++) {
                    mst[k][nd] = st[k][d];
                }
                nd++;
            }
        }
        int[][] strides = new int[m][];
        for (int k = 0; k < m; k++) {
            strides[k] = java.util.Arrays.copyOf(mst[k], nd);
        }
        return new Broadcast(out, java.util.Arrays.copyOf(dims, nd), strides);
    }

    /** Length of the innermost merged dimension (1 for a one-element output). */
    int inner() {
        return dims.length == 0 ? 1 : dims[dims.length - 1];
    }

    /** Number of inner runs: the product of all merged dimensions but the last. */
    int rows() {
        int r = 1;
        for (int d = 0; d < dims.length - 1; d++) {
            r *= dims[d];
        }
        return r;
    }

    /** Stride of operand k along the innermost merged dimension: 1 (contiguous) or 0 (repeated). */
    int innerStride(int k) {
        return dims.length == 0 ? 0 : strides[k][dims.length - 1];
    }

    /** Offset (relative to the operand's start) of operand k at the start of inner run {@code row}. */
    int rowOffset(int k, int row) {
        int off = 0;
        int[] s = strides[k];
        for (int d = dims.length - 2; d >= 0; d--) {
            int i = row % dims[d];
            row /= dims[d];
            off += i * s[d];
        }
        return off;
    }
}
