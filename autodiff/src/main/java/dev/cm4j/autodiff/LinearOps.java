package dev.cm4j.autodiff;

import dev.cm4j.tensor.Shapes;
import dev.cm4j.tensor.Tensor;
import dev.cm4j.tensor.kernels.Gemm;

import java.util.Arrays;

/**
 * Matrix products on the GEMM kernel: matmul (with transposed operands, batched) and the affine layer
 * {@code x W^T + b}. Transposes are never materialised: GEMM reads either operand transposed.
 */
public final class LinearOps {
    private LinearOps() {
    }

    /**
     * C = op(A) op(B), where op transposes the last two axes when asked; rank 2, or rank >= 3 with equal batch
     * dimensions: a (..., m, k), b (..., k, n) -> c (..., m, n) (before transposition).
     */
    public static Var matmul(Var a, Var b, boolean transA, boolean transB) {
        Tensor av = a.value(), bv = b.value();
        Tensor c = product(av, bv, transA, transB);
        return Var.result("matmul", c, g -> {
            // dOp(A) = dC op(B)^T and dOp(B) = op(A)^T dC, transposed back when the operand was stored transposed
            if (a.needsGrad()) {
                a.accumulateGrad(transA ? product(bv, g, transB, true) : product(g, bv, false, !transB));
            }
            if (b.needsGrad()) {
                b.accumulateGrad(transB ? product(g, av, true, transA) : product(av, g, !transA, false));
            }
        }, a, b);
    }

    /** The batched product of two tensors: one GEMM per batch entry. */
    static Tensor product(Tensor a, Tensor b, boolean transA, boolean transB) {
        int[] as = a.shape(), bs = b.shape();
        int r = as.length;
        if (r < 2 || bs.length != r || !Arrays.equals(Arrays.copyOf(as, r - 2), Arrays.copyOf(bs, r - 2))) {
            throw new IllegalArgumentException("matmul: shapes " + Shapes.str(as) + " and " + Shapes.str(bs)
                    + " need rank >= 2 and equal batch dimensions");
        }
        int m = transA ? as[r - 1] : as[r - 2];
        int k = transA ? as[r - 2] : as[r - 1];
        int kb = transB ? bs[r - 1] : bs[r - 2];
        int n = transB ? bs[r - 2] : bs[r - 1];
        if (k != kb) {
            throw new IllegalArgumentException("matmul: " + (transA ? "A^T" : "A") + " of " + Shapes.str(as)
                    + " has " + k + " columns but " + (transB ? "B^T" : "B") + " of " + Shapes.str(bs) + " has "
                    + kb + " rows");
        }
        int[] cs = as.clone();
        cs[r - 2] = m;
        cs[r - 1] = n;
        Tensor c = Tensor.zeros(cs);
        int batch = c.size() / Math.max(1, m * n);
        for (int q = 0; q < batch; q++) {
            Gemm.sgemm(transA, transB, m, n, k, 1f, a.data(), a.offset() + q * m * k, as[r - 1],
                    b.data(), b.offset() + q * k * n, bs[r - 1], 0f, c.data(), q * m * n, n);
        }
        return c;
    }

    /**
     * The affine map of {@code torch.nn.Linear}: x (..., in), w (out, in), b (out) or null -> y (..., out).
     * Leading axes of x are flattened into one batch axis of {@code rows}.
     */
    public static Var linear(Var x, Var w, Var b) {
        int[] xs = x.shape();
        int[] ws = w.shape();
        if (ws.length != 2 || xs.length < 1 || xs[xs.length - 1] != ws[1]) {
            throw new IllegalArgumentException("linear: input " + Shapes.str(xs) + " does not match weight "
                    + Shapes.str(ws) + " (expected (..., " + (ws.length == 2 ? ws[1] : "in") + "))");
        }
        if (b != null && (b.rank() != 1 || b.dim(0) != ws[0])) {
            throw new IllegalArgumentException("linear: bias " + Shapes.str(b.shape()) + " does not match weight "
                    + Shapes.str(ws));
        }
        int in = ws[1], out = ws[0];
        int rows = x.size() / Math.max(1, in);
        int[] ys = xs.clone();
        ys[ys.length - 1] = out;
        Tensor xv = x.value(), wv = w.value();
        Tensor y = Tensor.zeros(ys);
        if (b != null) {
            // start from the bias on every row, then accumulate x W^T into it (beta = 1)
            broadcastRows(y, b.value());
        }
        // x (rows, in), w (out, in) -> y (rows, out)
        Gemm.sgemm(false, true, rows, out, in, 1f, xv.data(), xv.offset(), in, wv.data(), wv.offset(), in,
                b == null ? 0f : 1f, y.data(), 0, out);
        Backward rule = g -> {
            if (x.needsGrad()) {
                // dx (rows, in) = g (rows, out) W (out, in)
                Tensor dx = Tensor.zeros(xs);
                Gemm.sgemm(false, false, rows, in, out, 1f, g.data(), g.offset(), out, wv.data(), wv.offset(), in,
                        0f, dx.data(), 0, in);
                x.accumulateGrad(dx);
            }
            if (w.needsGrad()) {
                // dW (out, in) = g^T (out, rows) x (rows, in)
                Tensor dw = Tensor.zeros(ws);
                Gemm.sgemm(true, false, out, in, rows, 1f, g.data(), g.offset(), out, xv.data(), xv.offset(), in,
                        0f, dw.data(), 0, in);
                w.accumulateGrad(dw);
            }
            if (b != null && b.needsGrad()) {
                b.accumulateGrad(g.reshape(rows, out).sum(false, 0));                 // db = sum over rows
            }
        };
        return b == null ? Var.result("linear", y, rule, x, w) : Var.result("linear", y, rule, x, w, b);
    }

    /** y (rows, n) = b (n) on every row (the starting value of the bias GEMM). */
    public static void broadcastRows(Tensor y, Tensor b) {
        float[] yd = y.data(), bd = b.data();
        int n = b.size();
        for (int row = 0, rows = y.size() / Math.max(1, n); row < rows; row++) {
            System.arraycopy(bd, b.offset(), yd, y.offset() + row * n, n);
        }
    }
}
