package dev.cm4j.autodiff;

import dev.cm4j.tensor.MatMul;
import dev.cm4j.tensor.Shapes;
import dev.cm4j.tensor.Tensor;
import dev.cm4j.tensor.kernels.Gemm;

/**
 * Matrix products: matmul with transposed operands and broadcast batch axes (on {@link MatMul}), and the affine layer
 * {@code x W^T + b} (on the GEMM kernel). Transposes are never materialised: GEMM reads either operand transposed.
 */
public final class LinearOps {
    private LinearOps() {
    }

    /**
     * C = op(A) op(B), where op transposes the last two axes when asked: a (..., m, k), b (..., k, n) -> c (batch...,
     * m, n) (before transposition), the leading axes broadcast as in NumPy (a rank-2 operand is one matrix shared by
     * every batch entry). The gradient of a broadcast operand is summed back to its shape.
     */
    public static Var matmul(Var a, Var b, boolean transA, boolean transB) {
        Tensor av = a.value(), bv = b.value();
        Tensor c = MatMul.matmul(av, bv, transA, transB);
        int[] sa = a.shape(), sb = b.shape();
        return Var.result("matmul", c, g -> {
            // dOp(A) = dC op(B)^T and dOp(B) = op(A)^T dC, transposed back when the operand was stored transposed
            if (a.needsGrad()) {
                Tensor da = transA ? MatMul.matmul(bv, g, transB, true) : MatMul.matmul(g, bv, false, !transB);
                a.accumulateGrad(Arithmetic.unbroadcast(da, sa));
            }
            if (b.needsGrad()) {
                b.accumulateGrad(Arithmetic.unbroadcast(gradB(av, bv, g, transA, transB), sb));
            }
        }, a, b);
    }

    /** The gradient of op(B), over the broadcast batch (summed to B's shape by the caller). */
    private static Tensor gradB(Tensor av, Tensor bv, Tensor g, boolean transA, boolean transB) {
        if (bv.rank() == 2 && !transA && av.rank() > 2) {
            // one B shared by a batch of A's consecutive rows: a single GEMM over all rows instead of a
            // (batch, k, n) stack of products summed afterwards
            int k = av.dim(-1), n = g.dim(-1);
            Tensor a2 = av.reshape(-1, k), g2 = g.reshape(-1, n);
            return transB ? MatMul.matmul(g2, a2, true, false) : MatMul.matmul(a2, g2, true, false);
        }
        return transB ? MatMul.matmul(g, av, true, transA) : MatMul.matmul(av, g, !transA, false);
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
        Tensor y = Tensor.output(ys);
        if (b != null) {
            // start from the bias on every row, then accumulate x W^T into it (beta = 1)
            broadcastRows(y, b.value());
        }
        // x (rows, in), w (out, in) -> y (rows, out); each row the same bits whatever the number of rows, so a
        // sample's output does not depend on its batch
        Gemm.sgemmRowStable(false, true, rows, out, in, 1f, xv.data(), xv.offset(), in, wv.data(), wv.offset(), in,
                b == null ? 0f : 1f, y.data(), 0, out);
        Backward rule = g -> {
            if (x.needsGrad()) {
                // dx (rows, in) = g (rows, out) W (out, in)
                Tensor dx = Tensor.output(xs);
                Gemm.sgemm(false, false, rows, in, out, 1f, g.data(), g.offset(), out, wv.data(), wv.offset(), in,
                        0f, dx.data(), 0, in);
                x.accumulateGrad(dx);
            }
            if (w.needsGrad()) {
                // dW (out, in) = g^T (out, rows) x (rows, in)
                Tensor dw = Tensor.output(ws);
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
