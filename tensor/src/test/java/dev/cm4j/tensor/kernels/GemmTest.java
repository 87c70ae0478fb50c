package dev.cm4j.tensor.kernels;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import dev.cm4j.tensor.Rng;
import java.util.Arrays;
import org.junit.jupiter.api.Test;

/** The blocked GEMMs (vector and scalar micro-kernel, and the dispatcher) against {@link GemmReference}. */
class GemmTest {
    /** One implementation under test; maxThreads as in {@link Gemm#sgemm(int, boolean, boolean, int, int, int,
     * float, float[], int, int, float[], int, int, float, float[], int, int)}. */
    interface Impl {
        void sgemm(int maxThreads, boolean transA, boolean transB, int m, int n, int k, float alpha,
                   float[] a, int aOff, int lda, float[] b, int bOff, int ldb, float beta, float[] c, int cOff, int ldc);
    }

    /** The Vector API entry: the blocked kernel, or the unpacked path for m <= 4. */
    private static final Impl VECTOR = GemmVector::sgemm;
    /** The blocked loop nest with the vector micro-kernel for every m. */
    private static final Impl VECTOR_BLOCKED = (t, ta, tb, m, n, k, alpha, a, aOff, lda, b, bOff, ldb, beta, c, cOff,
                                                ldc) -> GemmBlocked.sgemm(GemmMicroKernelVector.INSTANCE, t, ta, tb,
            m, n, k, alpha, a, aOff, lda, b, bOff, ldb, beta, c, cOff, ldc);
    private static final Impl SCALAR = Gemm::sgemmScalar;
    private static final Impl DISPATCH = Gemm::sgemm;

    /** Sizes around the tile sizes (MR 4/6, NR 4/16/32) and KC (256), plus 1 and odd ones. */
    private static final int[] SIZES = {1, 2, 3, 5, 6, 7, 12, 13, 16, 17, 31, 32, 33, 47, 64, 97};
    private static final int[] DEPTHS = {1, 2, 7, 16, 33, 100, 255, 256, 257, 300, 513};

    /** A GEMM problem with random operands embedded in larger arrays (offsets, padded leading dimensions). */
    private record Problem(boolean transA, boolean transB, int m, int n, int k, float alpha, float beta,
                           float[] a, int aOff, int lda, float[] b, int bOff, int ldb, float[] c, int cOff, int ldc) {

        static Problem random(Rng rng, boolean transA, boolean transB, int m, int n, int k, float alpha, float beta) {
            int lda = (transA ? m : k) + rng.nextInt(3);
            int ldb = (transB ? k : n) + rng.nextInt(3);
            int ldc = n + rng.nextInt(3);
            int aOff = rng.nextInt(5);
            int bOff = rng.nextInt(5);
            int cOff = rng.nextInt(5);
            float[] a = new float[aOff + (transA ? k : m) * lda + 3];
            float[] b = new float[bOff + (transB ? n : k) * ldb + 3];
            float[] c = new float[cOff + m * ldc + 3];
            rng.fillUniform(a, 0, a.length, -1f, 1f);
            rng.fillUniform(b, 0, b.length, -1f, 1f);
            rng.fillUniform(c, 0, c.length, -1f, 1f);
            return new Problem(transA, transB, m, n, k, alpha, beta, a, aOff, lda, b, bOff, ldb, c, cOff, ldc);
        }

        float[] run(Impl impl, int maxThreads) {
            float[] out = c.clone();
            impl.sgemm(maxThreads, transA, transB, m, n, k, alpha, a, aOff, lda, b, bOff, ldb, beta, out, cOff, ldc);
            return out;
        }

        float[] reference() {
            float[] out = c.clone();
            GemmReference.sgemm(transA, transB, m, n, k, alpha, a, aOff, lda, b, bOff, ldb, beta, out, cOff, ldc);
            return out;
        }

        /** Bound on the float error of element (i, j): k-term sums of |a||b| rounding at most k times. */
        double tolerance(int i, int j) {
            double abs = 0;
            for (int p = 0; p < k; p++) {
                float av = transA ? a[aOff + p * lda + i] : a[aOff + i * lda + p];
                float bv = transB ? b[bOff + j * ldb + p] : b[bOff + p * ldb + j];
                abs += Math.abs((double) av * bv);
            }
            double scale = Math.abs(alpha) * abs + (beta == 0 ? 0 : Math.abs(beta * c[cOff + i * ldc + j]));
            return (k + 3) * 0x1p-23 * scale + 1e-30;
        }

        @Override
        public String toString() {
            return "sgemm(transA=" + transA + ", transB=" + transB + ", m=" + m + ", n=" + n + ", k=" + k + ", alpha="
                    + alpha + ", beta=" + beta + ", aOff=" + aOff + ", lda=" + lda + ", bOff=" + bOff + ", ldb=" + ldb
                    + ", cOff=" + cOff + ", ldc=" + ldc + ")";
        }
    }

    /** Checks the m x n window against the reference and every element outside it for being untouched. */
    private static void assertClose(Problem p, float[] expected, float[] actual, String impl) {
        double maxDiff = 0;
        for (int idx = 0; idx < actual.length; idx++) {
            int rel = idx - p.cOff;
            int i = rel >= 0 ? rel / p.ldc : -1;
            int j = rel >= 0 ? rel % p.ldc : -1;
            boolean inside = rel >= 0 && i < p.m && j < p.n;
            if (!inside) {
                if (Float.floatToRawIntBits(actual[idx]) != Float.floatToRawIntBits(p.c[idx])) {
                    fail(impl + " " + p + " wrote outside C at array index " + idx);
                }
                continue;
            }
            double diff = Math.abs((double) actual[idx] - expected[idx]);
            maxDiff = Math.max(maxDiff, diff);
            if (!(diff <= p.tolerance(i, j))) {
                fail(impl + " " + p + " differs at (" + i + ", " + j + "): " + actual[idx] + " vs reference "
                        + expected[idx] + ", max diff so far " + maxDiff);
            }
        }
    }

    private static void checkAll(Problem p) {
        float[] ref = p.reference();
        assertClose(p, ref, p.run(VECTOR, 1), "vector");
        assertClose(p, ref, p.run(VECTOR_BLOCKED, 1), "vector blocked");
        assertClose(p, ref, p.run(SCALAR, 1), "scalar");
        assertClose(p, ref, p.run(DISPATCH, Integer.MAX_VALUE), "dispatch");
    }

    @Test
    void randomShapesAllTransposesMatchReference() {
        Rng rng = new Rng(2);
        float[][] alphaBeta = {{1f, 0f}, {1f, 1f}, {0.5f, -1.25f}, {-2f, 0f}, {1f, 0.5f}};
        for (int trial = 0; trial < 240; trial++) {
            boolean transA = (trial & 1) != 0;
            boolean transB = (trial & 2) != 0;
            int m = SIZES[rng.nextInt(SIZES.length)];
            int n = SIZES[rng.nextInt(SIZES.length)];
            int k = DEPTHS[rng.nextInt(DEPTHS.length)];
            float[] ab = alphaBeta[(trial >> 2) % alphaBeta.length];
            checkAll(Problem.random(rng, transA, transB, m, n, k, ab[0], ab[1]));
        }
    }

    @Test
    void blockRemaindersMatchReference() {
        // m and n past MC (144) and NC blocks, with tile remainders, for every transpose combination
        Rng rng = new Rng(3);
        int[][] shapes = {{151, 70, 260}, {6, 200, 1}, {145, 33, 512}, {13, 4097, 3}, {300, 17, 40}};
        for (int[] s : shapes) {
            for (int t = 0; t < 4; t++) {
                checkAll(Problem.random(rng, (t & 1) != 0, (t & 2) != 0, s[0], s[1], s[2], 1f, t == 3 ? 0.75f : 0f));
            }
        }
    }

    @Test
    void fewRowsMatchReference() {
        // m <= 4 takes the unpacked path: column blocks past 1024, k tails past the vector length
        Rng rng = new Rng(8);
        int[] ns = {1, 2, 7, 33, 1500};
        int[] ks = {1, 5, 17, 300};
        for (int m = 1; m <= 4; m++) {
            for (int t = 0; t < 4; t++) {
                for (int n : ns) {
                    int k = ks[rng.nextInt(ks.length)];
                    float beta = (n + t) % 3 == 0 ? 0f : (n + t) % 3 == 1 ? 1f : -0.5f;
                    checkAll(Problem.random(rng, (t & 1) != 0, (t & 2) != 0, m, n, k, 0.75f, beta));
                }
            }
        }
    }

    @Test
    void rowStableRowsAreTheBitsOfALargerProduct() {
        // Gemm.sgemmRowStable: rows 1..4 at a time (which sgemm would run on the few-row path) give exactly the rows
        // of a 9-row product, for every transpose, odd widths, k remainders around KC and the thin-B shapes
        Rng rng = new Rng(12);
        int[] ns = {1, 3, 16, 17, 70, 513};
        int[] ks = {1, 7, 255, 256, 257, 700};
        int[][] rows = {{0, 1}, {3, 5}, {5, 9}, {1, 4}};
        for (int t = 0; t < 4; t++) {
            boolean transA = (t & 1) != 0;
            boolean transB = (t & 2) != 0;
            for (int n : ns) {
                for (int k : ks) {
                    float beta = (n + k + t) % 3 == 0 ? 0f : (n + k + t) % 3 == 1 ? 1f : -0.5f;
                    Problem p = Problem.random(rng, transA, transB, 9, n, k, 0.75f, beta);
                    float[] whole = p.c.clone();
                    Gemm.sgemmRowStable(transA, transB, 9, n, k, p.alpha, p.a, p.aOff, p.lda, p.b, p.bOff, p.ldb,
                            p.beta, whole, p.cOff, p.ldc);
                    assertArrayEquals(p.run(DISPATCH, Integer.MAX_VALUE), whole, p + ": sgemm's bits for 9 rows");
                    for (int[] r : rows) {
                        float[] part = p.c.clone();
                        int aRow = transA ? p.aOff + r[0] : p.aOff + r[0] * p.lda;
                        Gemm.sgemmRowStable(transA, transB, r[1] - r[0], n, k, p.alpha, p.a, aRow, p.lda, p.b,
                                p.bOff, p.ldb, p.beta, part, p.cOff + r[0] * p.ldc, p.ldc);
                        for (int i = r[0]; i < r[1]; i++) {
                            int o = p.cOff + i * p.ldc;
                            assertArrayEquals(Arrays.copyOfRange(whole, o, o + n), Arrays.copyOfRange(part, o, o + n),
                                    p + ": row " + i + " computed with rows " + r[0] + ".." + (r[1] - 1));
                        }
                    }
                }
            }
        }
    }

    @Test
    void thinProductsHaveTheSameBitsAtEveryVectorWidth() {
        // the thin-B path (B transposed, n <= 16, k >= 256) sums each element as GemmVectorSmall.thinDotModel
        // defines it, whatever the lane count: run with cm4j.simd.bits 128, 256 and 512, the bits are the model's
        Rng rng = new Rng(13);
        int[] ns = {1, 2, 3, 4, 5, 9, 16};
        int[] ks = {256, 257, 271, 784, 1001};
        for (int m : new int[] {1, 5, 64}) {
            for (int n : ns) {
                for (int k : ks) {
                    float beta = (m + n + k) % 3 == 0 ? 0f : (m + n + k) % 3 == 1 ? 1f : -0.5f;
                    Problem p = Problem.random(rng, false, true, m, n, k, 0.75f, beta);
                    float[] model = p.c.clone();
                    for (int i = 0; i < m; i++) {
                        for (int j = 0; j < n; j++) {
                            float acc = GemmVectorSmall.thinDotModel(p.a, p.aOff + i * p.lda, p.b, p.bOff + j * p.ldb, k);
                            int o = p.cOff + i * p.ldc + j;
                            model[o] = beta == 0f ? p.alpha * acc : p.alpha * acc + beta * model[o];
                        }
                    }
                    for (int threads : new int[] {1, 2}) {
                        float[] got = p.run((t, ta, tb, mm, nn, kk, al, a, ao, la, b, bo, lb, be, c, co, lc) ->
                                GemmVector.sgemmRowStable(t, ta, tb, mm, nn, kk, al, a, ao, la, b, bo, lb, be, c, co,
                                        lc), threads);
                        assertArrayEquals(model, got, p + " on " + threads + " threads");
                    }
                }
            }
        }
    }

    @Test
    void fewTransposedColumnsMatchReference() {
        // B transposed with n <= 16 and k >= 256 takes the thin-B path (four-column groups, single columns, k tails);
        // the shallower depths check the blocked path on the same shapes
        Rng rng = new Rng(11);
        int[] ms = {5, 64, 151};
        int[] ns = {1, 3, 4, 5, 9, 16, 17};
        int[] ks = {1, 17, 255, 256, 784, 1001};
        for (int m : ms) {
            for (int n : ns) {
                for (int k : ks) {
                    float beta = (m + n + k) % 3 == 0 ? 0f : (m + n + k) % 3 == 1 ? 1f : -0.5f;
                    checkAll(Problem.random(rng, false, true, m, n, k, 0.75f, beta));
                }
            }
        }
    }

    @Test
    void betaZeroIgnoresNaNInC() {
        Rng rng = new Rng(4);
        for (Impl impl : new Impl[] {VECTOR, VECTOR_BLOCKED, SCALAR, DISPATCH}) {
            for (int m : new int[] {19, 3}) {
            Problem p = Problem.random(rng, false, (m & 1) != 0, m, 37, 21, 1f, 0f);
            for (int i = 0; i < p.m; i++) {
                Arrays.fill(p.c, p.cOff + i * p.ldc, p.cOff + i * p.ldc + p.n, Float.NaN);
            }
            float[] out = p.run(impl, 1);
            for (int i = 0; i < p.m; i++) {
                for (int j = 0; j < p.n; j++) {
                    assertTrue(Float.isFinite(out[p.cOff + i * p.ldc + j]), "NaN leaked at (" + i + ", " + j + ")");
                }
            }
            assertClose(p, p.reference(), out, "NaN C");
            }
        }
    }

    @Test
    void zeroDepthScalesC() {
        Rng rng = new Rng(5);
        for (float beta : new float[] {0f, 1f, -0.5f}) {
            Problem p = Problem.random(rng, false, false, 7, 9, 0, 1f, beta);
            float[] ref = p.reference();
            assertArrayEquals(ref, p.run(VECTOR, 1));
            assertArrayEquals(ref, p.run(SCALAR, 1));
        }
        // empty m or n: nothing is written
        Problem p = Problem.random(rng, false, false, 0, 9, 4, 1f, 0f);
        assertArrayEquals(p.c, p.run(VECTOR, 2));
    }

    /** Any partition of C into blocks gives the bits of the whole, so the thread count cannot change a result. */
    @Test
    void partitionsAreBitIdentical() {
        Rng rng = new Rng(6);
        for (GemmMicroKernel kernel : new GemmMicroKernel[] {
                GemmMicroKernelVector.INSTANCE, GemmMicroKernelReference.INSTANCE}) {
            for (int t = 0; t < 4; t++) {
                Problem p = Problem.random(rng, (t & 1) != 0, (t & 2) != 0, 53, 71, 300, 1.5f, t == 0 ? 0f : 0.5f);
                float[] whole = p.c.clone();
                blockOf(kernel, p, whole, 0, p.m, 0, p.n);
                float[] parts = p.c.clone();
                // columns split at a non-multiple of NR, then the left part's rows split at a non-multiple of MR
                blockOf(kernel, p, parts, 0, 29, 0, 23);
                blockOf(kernel, p, parts, 29, p.m, 0, 23);
                blockOf(kernel, p, parts, 0, p.m, 23, p.n);
                assertArrayEquals(whole, parts, "partition changed bits: " + p);
            }
        }
    }

    private static void blockOf(GemmMicroKernel kernel, Problem p, float[] c, int i0, int i1, int j0, int j1) {
        GemmBlocked.block(kernel, p.transA, p.transB, i0, i1, j0, j1, p.k, p.alpha, p.a, p.aOff, p.lda,
                p.b, p.bOff, p.ldb, p.beta, c, p.cOff, p.ldc);
    }

    @Test
    void oneAndTwoThreadsAreBitIdentical() {
        // large enough to be split over the pool (m*n*k >= PARALLEL_MIN_WORK), both split directions
        Rng rng = new Rng(7);
        int[][] shapes = {{150, 260, 90}, {270, 100, 95}, {3, 3001, 700}, {200, 9, 1200}};
        for (int[] s : shapes) {
            assertTrue((long) s[0] * s[1] * s[2] >= Gemm.PARALLEL_MIN_WORK);
            for (Impl impl : new Impl[] {VECTOR, SCALAR}) {
                for (boolean transB : new boolean[] {false, true}) {
                Problem p = Problem.random(rng, false, transB, s[0], s[1], s[2], 1f, 0f);
                float[] one = p.run(impl, 1);
                float[] two = p.run(impl, 2);
                assertArrayEquals(one, two, "thread count changed bits: " + p);
                assertClose(p, p.reference(), two, "2 threads");
                }
            }
        }
    }

    @Test
    void badArgumentsAreRejected() {
        float[] a = new float[12];
        float[] b = new float[12];
        float[] c = new float[12];
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> Gemm.sgemm(false, false, 3, 3, 4, 1f, a, 0, 4, b, 1, 3, 0f, c, 0, 3));
        assertEquals("sgemm: B (4 x 3, offset 1, leading dimension 3) needs elements up to 13 but the array has 12",
                e.getMessage());
        e = assertThrows(IllegalArgumentException.class,
                () -> Gemm.sgemm(true, false, 3, 2, 4, 1f, a, 0, 2, b, 0, 2, 0f, c, 0, 2));
        assertEquals("sgemm: leading dimension of A is 2 but its rows hold 3 elements (4 x 3)", e.getMessage());
        e = assertThrows(IllegalArgumentException.class,
                () -> GemmVector.sgemm(1, false, false, -1, 2, 2, 1f, a, 0, 2, b, 0, 2, 0f, c, 0, 2));
        assertEquals("sgemm: negative size m=-1, n=2, k=2", e.getMessage());
    }
}
