package dev.cm4j.tornado;

import uk.ac.manchester.tornado.api.KernelContext;
import uk.ac.manchester.tornado.api.WorkerGrid;
import uk.ac.manchester.tornado.api.WorkerGrid2D;

/**
 * GEMM tiled through local memory: {@code C = alpha op(A) op(B) + beta C} on compact row-major matrices, op(A) m x k,
 * op(B) k x n, C m x n. A work-group of {@link #TS} x {@link #TS} work-items owns one TS x TS tile of C; for each
 * step of TS along k it stages a tile of op(A) and of op(B) in local memory, so every element fetched from global
 * memory is reused TS times (the classic "tiled matrix multiply" of the OpenCL/CUDA guides).
 *
 * <p>Compact means leading dimensions equal to the row length: A is stored m x k (or k x m with {@code transA}),
 * B k x n (or n x k with {@code transB}). Per-call scalars sit in {@code alphaBeta = {alpha, beta}}, a device array,
 * because TornadoVM compiles scalar task arguments into the kernel as constants. As in BLAS, {@code beta == 0} means
 * the old C is not read.
 *
 * <p>A {@link KernelContext} kernel run on the plain JVM computes only work-item 0, so {@link #reference} is its twin
 * for checks and fall-back.
 */
public final class TiledGemm {
    /** Tile edge: work-group size TS x TS, local memory 2 TS^2 floats. */
    public static final int TS = 16;

    private TiledGemm() {
    }

    // a (m,k) or (k,m), b (k,n) or (n,k), alphaBeta (2) -> c (m,n); one work-item per element of C
    public static void gemm(KernelContext ctx, float[] a, float[] b, float[] c, float[] alphaBeta,
                            int m, int n, int k, int transA, int transB) {
        int tx = ctx.localIdx;                      // column inside the tile
        int ty = ctx.localIdy;                      // row inside the tile
        int j = ctx.groupIdx * TS + tx;
        int i = ctx.groupIdy * TS + ty;
        float[] aTile = ctx.allocateFloatLocalArray(TS * TS);
        float[] bTile = ctx.allocateFloatLocalArray(TS * TS);
        float acc = 0f;
        for (int p0 = 0; p0 < k; p0 += TS) {
            // work-item (ty, tx) loads op(A)[i, p0 + tx] and op(B)[p0 + ty, j]; zeros pad the edges
            int pa = p0 + tx;
            float av = 0f;
            if (i < m && pa < k) {
                av = transA == 0 ? a[i * k + pa] : a[pa * m + i];
            }
            aTile[ty * TS + tx] = av;
            int pb = p0 + ty;
            float bv = 0f;
            if (pb < k && j < n) {
                bv = transB == 0 ? b[pb * n + j] : b[j * k + pb];
            }
            bTile[ty * TS + tx] = bv;
            ctx.localBarrier();
            for (int q = 0; q < TS; q++) {
                acc += aTile[ty * TS + q] * bTile[q * TS + tx];
            }
            ctx.localBarrier();             // the tile is overwritten by the next step
        }
        if (i < m && j < n) {
            float alpha = alphaBeta[0];
            float beta = alphaBeta[1];
            int ci = i * n + j;
            if (beta == 0f) {
                c[ci] = alpha * acc;
            } else {
                c[ci] = alpha * acc + beta * c[ci];
            }
        }
    }

    /** The launch geometry of {@link #gemm}: one work-item per element of C, rounded up to whole tiles. */
    public static WorkerGrid grid(int m, int n) {
        WorkerGrid2D grid = new WorkerGrid2D(roundUp(n, TS), roundUp(m, TS));
        grid.setLocalWork(TS, TS, 1);
        return grid;
    }

    // the JVM twin of gemm: same compact layouts, same alphaBeta, same float accumulation along k
    public static void reference(float[] a, float[] b, float[] c, float[] alphaBeta,
                                 int m, int n, int k, int transA, int transB) {
        float alpha = alphaBeta[0];
        float beta = alphaBeta[1];
        for (int i = 0; i < m; i++) {
            for (int j = 0; j < n; j++) {
                float acc = 0f;
                for (int p = 0; p < k; p++) {
                    float av = transA == 0 ? a[i * k + p] : a[p * m + i];
                    float bv = transB == 0 ? b[p * n + j] : b[j * k + p];
                    acc += av * bv;
                }
                int ci = i * n + j;
                c[ci] = beta == 0f ? alpha * acc : alpha * acc + beta * c[ci];
            }
        }
    }

    static int roundUp(int x, int multiple) {
        return (x + multiple - 1) / multiple * multiple;
    }
}
