package dev.cm4j.tensor.kernels;

import dev.cm4j.tensor.Parallel;

/**
 * The GotoBLAS / BLIS loop nest around a {@link GemmMicroKernel}: C (m, n) = alpha * op(A) (m, k) * op(B) (k, n) +
 * beta * C, row-major.
 *
 * <p>Loops, outermost first: columns in NC blocks (jc); k in KC blocks (pc), packing a KC x NC block of op(B) into
 * NR-column panels; rows in MC blocks (ic); then NR column panels (jr) and MR row panels (ir) of that block, one
 * micro-kernel call each. A packed B panel (KC x NR, 16 KiB with AVX2) stays in L1 while the MC x KC block of A
 * (144 KiB, copied row-major) streams from L2; the KC x NC block of B lives in L3. The blocks are packed from
 * matrices or, through {@link GemmASource} and {@link GemmBSource}, straight from what the operands are computed
 * from (a convolution's images).
 *
 * <p>Threads split C into contiguous column (or row) ranges, each computed by one thread with its own packing buffers.
 * Every element of C is summed over k in the same order (KC blocks in order, each accumulated from zero in k order)
 * however C is partitioned, so results are bit-identical for any thread count.
 */
final class GemmBlocked {
    /** Depth of a packed block (k direction). */
    static final int KC = Integer.getInteger("cm4j.gemm.kc", 256);
    /** Rows of a packed A block; rounded down to a multiple of the kernel's MR. */
    static final int MC = Integer.getInteger("cm4j.gemm.mc", 144);
    /** Columns of a packed B block; rounded down to a multiple of the kernel's NR. */
    static final int NC = Integer.getInteger("cm4j.gemm.nc", 4080);

    /** Per-thread packing buffers, grown on demand and reused so steady-state calls allocate nothing. */
    private static final class Buffers {
        float[] a = new float[0];
        float[] b = new float[0];
        float[] tile = new float[0];
    }

    private static final ThreadLocal<Buffers> BUFFERS = ThreadLocal.withInitial(Buffers::new);

    private GemmBlocked() {
    }

    /** Runs the GEMM with the kernel, on up to {@code maxThreads} threads of {@link Parallel}. */
    static void sgemm(GemmMicroKernel kernel, int maxThreads, boolean transA, boolean transB,
                      int m, int n, int k, float alpha, float[] a, int aOff, int lda, float[] b, int bOff, int ldb,
                      float beta, float[] c, int cOff, int ldc) {
        sgemm(kernel, maxThreads, m, n, k, alpha, GemmPack.matrixA(transA, a, aOff, lda),
                GemmPack.matrixB(transB, b, bOff, ldb), beta, c, cOff, ldc);
    }

    /**
     * As above with op(A) (m, k) and op(B) (k, n) delivered by packers: the same blocking, thread split and summation
     * order, so the bits are those of the matrices the packers write.
     */
    static void sgemm(GemmMicroKernel kernel, int maxThreads, int m, int n, int k, float alpha,
                      GemmASource a, GemmBSource b, float beta, float[] c, int cOff, int ldc) {
        if (m <= 0 || n <= 0) {
            return;
        }
        if (k <= 0) {
            scale(m, n, beta, c, cOff, ldc);
            return;
        }
        int parts = (long) m * n * k < Gemm.PARALLEL_MIN_WORK ? 1 : Math.min(maxThreads, Parallel.threads());
        int colPanels = (n + kernel.nr - 1) / kernel.nr;
        int rowPanels = (m + kernel.mr - 1) / kernel.mr;
        if (parts <= 1) {
            block(kernel, 0, m, 0, n, k, alpha, a, b, beta, c, cOff, ldc);
        } else if (n >= m && colPanels >= parts || rowPanels < parts) {
            // Whole NR panels of columns per thread: each thread packs all of A but only its share of B.
            int nr = kernel.nr;
            Parallel.forRange(colPanels, Math.max(1, colPanels / parts), (s0, s1) ->
                    block(kernel, 0, m, s0 * nr, Math.min(n, s1 * nr), k, alpha, a, b, beta, c, cOff, ldc));
        } else {
            // Whole MR panels of rows per thread: each thread packs its rows of A and all of B.
            int mr = kernel.mr;
            Parallel.forRange(rowPanels, Math.max(1, rowPanels / parts), (r0, r1) ->
                    block(kernel, r0 * mr, Math.min(m, r1 * mr), 0, n, k, alpha, a, b, beta, c, cOff, ldc));
        }
    }

    /** C = beta * C, the whole product when k = 0 (beta = 0 clears C, NaNs included). */
    private static void scale(int m, int n, float beta, float[] c, int cOff, int ldc) {
        for (int i = 0; i < m; i++) {
            int o = cOff + i * ldc;
            for (int j = 0; j < n; j++) {
                c[o + j] = beta == 0f ? 0f : beta * c[o + j];
            }
        }
    }

    /**
     * Computes rows [i0, i1) and columns [j0, j1) of C on the calling thread. Any partition of C into such blocks
     * gives the same bits as the whole, which the determinism tests use.
     */
    static void block(GemmMicroKernel kernel, boolean transA, boolean transB, int i0, int i1, int j0, int j1, int k,
                      float alpha, float[] a, int aOff, int lda, float[] b, int bOff, int ldb,
                      float beta, float[] c, int cOff, int ldc) {
        block(kernel, i0, i1, j0, j1, k, alpha, GemmPack.matrixA(transA, a, aOff, lda),
                GemmPack.matrixB(transB, b, bOff, ldb), beta, c, cOff, ldc);
    }

    /** As above with op(A) and op(B) from packers. */
    static void block(GemmMicroKernel kernel, int i0, int i1, int j0, int j1, int k, float alpha,
                      GemmASource a, GemmBSource b, float beta, float[] c, int cOff, int ldc) {
        int mr = kernel.mr;
        int nr = kernel.nr;
        int mcMax = Math.max(mr, MC / mr * mr);
        int ncMax = Math.max(nr, NC / nr * nr);
        int kcMax = Math.max(1, KC);
        Buffers buf = BUFFERS.get();
        float[] pa = buf.a = grow(buf.a, Math.min(mcMax, i1 - i0) * Math.min(kcMax, k));
        float[] pb = buf.b = grow(buf.b, roundUp(Math.min(ncMax, j1 - j0), nr) * Math.min(kcMax, k));
        float[] tile = buf.tile = grow(buf.tile, mr * nr);
        for (int jc = j0; jc < j1; jc += ncMax) {
            int nc = Math.min(ncMax, j1 - jc);
            for (int pc = 0; pc < k; pc += kcMax) {
                int kc = Math.min(kcMax, k - pc);
                // Only the first k block sees the caller's beta; later blocks accumulate onto it.
                float betaBlock = pc == 0 ? beta : 1f;
                b.pack(pc, kc, jc, nc, nr, pb);
                for (int ic = i0; ic < i1; ic += mcMax) {
                    int mc = Math.min(mcMax, i1 - ic);
                    a.pack(ic, mc, pc, kc, pa);
                    for (int jr = 0; jr < nc; jr += nr) {
                        int cols = Math.min(nr, nc - jr);
                        int cCol = cOff + jc + jr;
                        for (int ir = 0; ir < mc; ir += mr) {
                            kernel.tile(kc, pa, ir * kc, kc, pb, jr * kc, alpha, betaBlock,
                                    c, cCol + (ic + ir) * ldc, ldc, Math.min(mr, mc - ir), cols, tile);
                        }
                    }
                }
            }
        }
    }

    private static int roundUp(int x, int multiple) {
        return (x + multiple - 1) / multiple * multiple;
    }

    private static float[] grow(float[] buf, int size) {
        return buf.length >= size ? buf : new float[size];
    }
}
