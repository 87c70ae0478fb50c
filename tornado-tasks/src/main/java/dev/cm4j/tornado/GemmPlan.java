package dev.cm4j.tornado;

import uk.ac.manchester.tornado.api.GridScheduler;
import uk.ac.manchester.tornado.api.KernelContext;
import uk.ac.manchester.tornado.api.TaskGraph;
import uk.ac.manchester.tornado.api.enums.DataTransferMode;

/**
 * The execution plan of one GEMM shape: {@code C = alpha op(A) op(B) + beta C} with {@link TiledGemm#gemm}.
 * Both operands and alpha, beta travel on every execution; C travels in only when the plan reads it (beta != 0).
 */
final class GemmPlan extends DevicePlan {

    /** What a compiled GEMM depends on; alpha and beta are per-call values in a device array. */
    record Key(boolean transA, boolean transB, int m, int n, int k, boolean readsC) {
    }

    private final Key key;
    private final float[] a;
    private final float[] b;
    private final float[] c;
    private final float[] alphaBeta = new float[2];

    GemmPlan(Key key) {
        super("gemm");
        this.key = key;
        int m = key.m();
        int n = key.n();
        int k = key.k();
        a = new float[m * k];
        b = new float[k * n];
        c = new float[m * n];
        TaskGraph g = new TaskGraph(prefix)
                .transferToDevice(DataTransferMode.EVERY_EXECUTION, a, b, alphaBeta);
        if (key.readsC()) {
            g.transferToDevice(DataTransferMode.EVERY_EXECUTION, c);
        }
        g.task("t", TiledGemm::gemm, new KernelContext(), a, b, c, alphaBeta, m, n, k,
                        key.transA() ? 1 : 0, key.transB() ? 1 : 0)
                .transferToHost(DataTransferMode.EVERY_EXECUTION, c);
        build(new GridScheduler(prefix + ".t", TiledGemm.grid(m, n)), g.snapshot());
    }

    /** Runs the GEMM on the caller's strided slices (BLAS conventions, as {@link dev.cm4j.tensor.kernels.Gemm}). */
    void sgemm(float alpha, float[] aSrc, int aOff, int lda, float[] bSrc, int bOff, int ldb,
               float beta, float[] cDst, int cOff, int ldc) {
        int m = key.m();
        int n = key.n();
        int k = key.k();
        // op(A) m x k is stored k x m when transposed; likewise op(B)
        if (key.transA()) {
            Staging.in(aSrc, aOff, lda, k, m, a);
        } else {
            Staging.in(aSrc, aOff, lda, m, k, a);
        }
        if (key.transB()) {
            Staging.in(bSrc, bOff, ldb, n, k, b);
        } else {
            Staging.in(bSrc, bOff, ldb, k, n, b);
        }
        if (key.readsC()) {
            Staging.in(cDst, cOff, ldc, m, n, c);
        }
        alphaBeta[0] = alpha;
        alphaBeta[1] = beta;
        run();
        Staging.out(c, m, n, cDst, cOff, ldc);
    }
}
