package dev.cm4j.tensor.kernels;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorSpecies;

/**
 * The Vector API micro-kernel: a 6 x (2 vectors) tile of C in 12 vector accumulators (6 x 16 with AVX2, 6 x 32 with
 * AVX-512), updated with one broadcast of A and two FMAs per row and k step: the register budget of the BLIS
 * Haswell/Zen kernel (12 accumulators + 2 B vectors + 1 broadcast of 16 registers).
 *
 * <p>Only referenced behind {@code Simd.ENABLED}: loading it needs {@code --add-modules jdk.incubator.vector}.
 */
final class GemmVectorKernel extends GemmMicroKernel {
    private static final VectorSpecies<Float> S = FloatVector.SPECIES_PREFERRED;
    private static final int L = S.length();
    static final int MR = 6;
    static final int NR = 2 * L;
    static final GemmVectorKernel INSTANCE = new GemmVectorKernel();

    private GemmVectorKernel() {
        super(MR, NR);
    }

    // pa (kc, 6) panel, pb (kc, 2L) panel -> C tile (rows, cols) at c[ic], row stride ldc
    @Override
    void tile(int kc, float[] pa, int ia, float[] pb, int ib, float alpha, float beta,
                     float[] c, int ic, int ldc, int rows, int cols, float[] scratch) {
        FloatVector c00 = FloatVector.zero(S), c01 = FloatVector.zero(S);
        FloatVector c10 = FloatVector.zero(S), c11 = FloatVector.zero(S);
        FloatVector c20 = FloatVector.zero(S), c21 = FloatVector.zero(S);
        FloatVector c30 = FloatVector.zero(S), c31 = FloatVector.zero(S);
        FloatVector c40 = FloatVector.zero(S), c41 = FloatVector.zero(S);
        FloatVector c50 = FloatVector.zero(S), c51 = FloatVector.zero(S);
        for (int p = 0; p < kc; p++) {
            int oa = ia + p * MR;
            int ob = ib + p * NR;
            FloatVector b0 = FloatVector.fromArray(S, pb, ob);
            FloatVector b1 = FloatVector.fromArray(S, pb, ob + L);
            FloatVector a0 = FloatVector.broadcast(S, pa[oa]);
            c00 = a0.fma(b0, c00);
            c01 = a0.fma(b1, c01);
            FloatVector a1 = FloatVector.broadcast(S, pa[oa + 1]);
            c10 = a1.fma(b0, c10);
            c11 = a1.fma(b1, c11);
            FloatVector a2 = FloatVector.broadcast(S, pa[oa + 2]);
            c20 = a2.fma(b0, c20);
            c21 = a2.fma(b1, c21);
            FloatVector a3 = FloatVector.broadcast(S, pa[oa + 3]);
            c30 = a3.fma(b0, c30);
            c31 = a3.fma(b1, c31);
            FloatVector a4 = FloatVector.broadcast(S, pa[oa + 4]);
            c40 = a4.fma(b0, c40);
            c41 = a4.fma(b1, c41);
            FloatVector a5 = FloatVector.broadcast(S, pa[oa + 5]);
            c50 = a5.fma(b0, c50);
            c51 = a5.fma(b1, c51);
        }
        // The accumulators go through the scratch tile (L1-resident, 12 stores) instead of straight to C: C2 boxes
        // vectors that flow through helper-method arguments or conditionally reassigned locals, and a box per
        // k step costs 10x the whole kernel.
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
        if (cols == NR) {
            storeRows(t, rows, alpha, beta, c, ic, ldc);
        } else {
            GemmMicroKernel.storeScalar(t, NR, rows, cols, alpha, beta, c, ic, ldc);
        }
    }

    /** Full-width rows: C = alpha * acc + beta * C with the float operations of {@link GemmMicroKernel#storeScalar}. */
    private static void storeRows(float[] t, int rows, float alpha, float beta, float[] c, int ic, int ldc) {
        for (int r = 0; r < rows; r++) {
            int o = ic + r * ldc;
            for (int j = 0; j < NR; j += L) {
                FloatVector v = FloatVector.fromArray(S, t, r * NR + j).mul(alpha);
                if (beta == 0f) {
                    v.intoArray(c, o + j);
                } else if (beta == 1f) {
                    v.add(FloatVector.fromArray(S, c, o + j)).intoArray(c, o + j);
                } else {
                    v.add(FloatVector.fromArray(S, c, o + j).mul(beta)).intoArray(c, o + j);
                }
            }
        }
    }
}
