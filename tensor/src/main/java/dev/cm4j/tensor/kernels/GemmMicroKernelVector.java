package dev.cm4j.tensor.kernels;

import static dev.cm4j.tensor.kernels.FloatSpecies.L;
import static dev.cm4j.tensor.kernels.FloatSpecies.S;

import jdk.incubator.vector.FloatVector;

/**
 * The Vector API micro-kernel: a 6 x (2 vectors) tile of C in 12 vector accumulators (6 x 16 with AVX2, 6 x 32 with
 * AVX-512), updated with one broadcast of A and two FMAs per row and k step: the register budget of the BLIS
 * Haswell/Zen kernel (12 accumulators + 2 B vectors + 1 broadcast of 16 registers). AVX-512 has 32 registers, but
 * a 12-row variant ran at a third of this speed under C2, so one shape serves both widths.
 *
 * <p>Only referenced behind {@code Simd.ENABLED}: loading it needs {@code --add-modules jdk.incubator.vector}.
 */
final class GemmMicroKernelVector extends GemmMicroKernel {
    static final int MR = 6;
    static final int NR = 2 * L;
    static final GemmMicroKernelVector INSTANCE = new GemmMicroKernelVector();

    private GemmMicroKernelVector() {
        super(MR, NR);
    }

    // A rows (6, kc) at a[a0 + i*rs + p], pb (kc, 2L) panel -> C tile (rows, cols) at c[ic], row stride ldc
    @Override
    void tile(int kc, float[] a, int a0, int rs, float[] pb, int ib, float alpha, float beta,
              float[] c, int ic, int ldc, int rows, int cols, float[] scratch) {
        // Start of each A row; rows past the edge re-read the last one (their results are never stored), so edge
        // tiles need no padded copy of A. Each index is (invariant + p): C2 hoists the bounds checks out of the loop.
        int r0 = a0;
        int r1 = a0 + Math.min(1, rows - 1) * rs;
        int r2 = a0 + Math.min(2, rows - 1) * rs;
        int r3 = a0 + Math.min(3, rows - 1) * rs;
        int r4 = a0 + Math.min(4, rows - 1) * rs;
        int r5 = a0 + Math.min(5, rows - 1) * rs;
        FloatVector c00 = FloatVector.zero(S), c01 = FloatVector.zero(S);
        FloatVector c10 = FloatVector.zero(S), c11 = FloatVector.zero(S);
        FloatVector c20 = FloatVector.zero(S), c21 = FloatVector.zero(S);
        FloatVector c30 = FloatVector.zero(S), c31 = FloatVector.zero(S);
        FloatVector c40 = FloatVector.zero(S), c41 = FloatVector.zero(S);
        FloatVector c50 = FloatVector.zero(S), c51 = FloatVector.zero(S);
        for (int p = 0; p < kc; p++) {
            int ob = ib + p * NR;
            FloatVector b0 = FloatVector.fromArray(S, pb, ob);
            FloatVector b1 = FloatVector.fromArray(S, pb, ob + L);
            FloatVector a0v = FloatVector.broadcast(S, a[r0 + p]);
            c00 = a0v.fma(b0, c00);
            c01 = a0v.fma(b1, c01);
            FloatVector a1v = FloatVector.broadcast(S, a[r1 + p]);
            c10 = a1v.fma(b0, c10);
            c11 = a1v.fma(b1, c11);
            FloatVector a2v = FloatVector.broadcast(S, a[r2 + p]);
            c20 = a2v.fma(b0, c20);
            c21 = a2v.fma(b1, c21);
            FloatVector a3v = FloatVector.broadcast(S, a[r3 + p]);
            c30 = a3v.fma(b0, c30);
            c31 = a3v.fma(b1, c31);
            FloatVector a4v = FloatVector.broadcast(S, a[r4 + p]);
            c40 = a4v.fma(b0, c40);
            c41 = a4v.fma(b1, c41);
            FloatVector a5v = FloatVector.broadcast(S, a[r5 + p]);
            c50 = a5v.fma(b0, c50);
            c51 = a5v.fma(b1, c51);
        }
        if (rows == MR && cols == NR && beta == 0f) {
            // The common full tiles straight to C: the first k block (beta = 0) ...
            c00.mul(alpha).intoArray(c, ic);
            c01.mul(alpha).intoArray(c, ic + L);
            c10.mul(alpha).intoArray(c, ic + ldc);
            c11.mul(alpha).intoArray(c, ic + ldc + L);
            c20.mul(alpha).intoArray(c, ic + 2 * ldc);
            c21.mul(alpha).intoArray(c, ic + 2 * ldc + L);
            c30.mul(alpha).intoArray(c, ic + 3 * ldc);
            c31.mul(alpha).intoArray(c, ic + 3 * ldc + L);
            c40.mul(alpha).intoArray(c, ic + 4 * ldc);
            c41.mul(alpha).intoArray(c, ic + 4 * ldc + L);
            c50.mul(alpha).intoArray(c, ic + 5 * ldc);
            c51.mul(alpha).intoArray(c, ic + 5 * ldc + L);
        } else if (rows == MR && cols == NR && beta == 1f) {
            // ... and the later ones, which add onto it.
            c00.mul(alpha).add(FloatVector.fromArray(S, c, ic)).intoArray(c, ic);
            c01.mul(alpha).add(FloatVector.fromArray(S, c, ic + L)).intoArray(c, ic + L);
            c10.mul(alpha).add(FloatVector.fromArray(S, c, ic + ldc)).intoArray(c, ic + ldc);
            c11.mul(alpha).add(FloatVector.fromArray(S, c, ic + ldc + L)).intoArray(c, ic + ldc + L);
            c20.mul(alpha).add(FloatVector.fromArray(S, c, ic + 2 * ldc)).intoArray(c, ic + 2 * ldc);
            c21.mul(alpha).add(FloatVector.fromArray(S, c, ic + 2 * ldc + L)).intoArray(c, ic + 2 * ldc + L);
            c30.mul(alpha).add(FloatVector.fromArray(S, c, ic + 3 * ldc)).intoArray(c, ic + 3 * ldc);
            c31.mul(alpha).add(FloatVector.fromArray(S, c, ic + 3 * ldc + L)).intoArray(c, ic + 3 * ldc + L);
            c40.mul(alpha).add(FloatVector.fromArray(S, c, ic + 4 * ldc)).intoArray(c, ic + 4 * ldc);
            c41.mul(alpha).add(FloatVector.fromArray(S, c, ic + 4 * ldc + L)).intoArray(c, ic + 4 * ldc + L);
            c50.mul(alpha).add(FloatVector.fromArray(S, c, ic + 5 * ldc)).intoArray(c, ic + 5 * ldc);
            c51.mul(alpha).add(FloatVector.fromArray(S, c, ic + 5 * ldc + L)).intoArray(c, ic + 5 * ldc + L);
        } else {
            // Edge tiles and other betas go through the scratch tile to the scalar store (same float operations).
            // Vectors must not flow into helper methods or conditionally reassigned locals: C2 then boxes them,
            // and a box per k step costs 10x the whole kernel.
            float[] t = scratch;
            c00.intoArray(t, 0);
            c01.intoArray(t, L);
            c10.intoArray(t, NR);
            c11.intoArray(t, NR + L);
            c20.intoArray(t, 2 * NR);
            c21.intoArray(t, 2 * NR + L);
            c30.intoArray(t, 3 * NR);
            c31.intoArray(t, 3 * NR + L);
            c40.intoArray(t, 4 * NR);
            c41.intoArray(t, 4 * NR + L);
            c50.intoArray(t, 5 * NR);
            c51.intoArray(t, 5 * NR + L);
            GemmMicroKernel.storeScalar(t, NR, rows, cols, alpha, beta, c, ic, ldc);
        }
    }
}
