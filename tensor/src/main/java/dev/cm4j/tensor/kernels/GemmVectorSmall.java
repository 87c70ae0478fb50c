package dev.cm4j.tensor.kernels;

import static dev.cm4j.tensor.kernels.FloatSpecies.L;
import static dev.cm4j.tensor.kernels.FloatSpecies.S;

import dev.cm4j.tensor.Parallel;
import jdk.incubator.vector.FloatVector;

/**
 * GEMM for a handful of rows (m <= {@link #MAX_ROWS}) with the Vector API, without packing B.
 *
 * <p>The blocked path copies every element of B into panels once per call, which pays off when each element then
 * serves many rows of A; with m = 1 (a convolution with one output channel, a batch of one) the copy costs ten times
 * the arithmetic. Here B is streamed once, in place:
 * <ul>
 *   <li>B not transposed: C rows accumulate {@code A[i, p] * B[p, :]} over p in a buffer of {@link #ACC} floats,
 *       reading B row by row (sequential, prefetched);</li>
 *   <li>B transposed: each C element is a dot product of an A row and a row of B^T, both contiguous in k.</li>
 * </ul>
 * Columns are split over threads in fixed chunks, and each element's arithmetic does not depend on its chunk (column
 * tails use {@link Math#fma}, which rounds exactly like a vector lane), so results do not depend on the thread count.
 *
 * <p>Only referenced behind {@code Simd.ENABLED}.
 */
final class GemmVectorSmall {
    /** Largest m this path takes. */
    static final int MAX_ROWS = 4;
    /**
     * Floats of C accumulated at once when B is not transposed (16 KiB, L1-resident): ACC / m columns, so one row
     * of B is read in pieces of 4 KiB (m = 4) to 16 KiB (m = 1), long enough for the prefetcher.
     */
    private static final int ACC = 4096;

    /**
     * Per-thread scratch, reused so steady-state calls allocate nothing: [0] the row accumulators (B not transposed)
     * or A rows copied contiguous (A and B transposed), [1] the lanes of up to 16 running sums.
     */
    private static final ThreadLocal<float[][]> BUFFER = ThreadLocal.withInitial(() -> new float[][] {
        new float[0], new float[Math.max(L, 16)]});

    private GemmVectorSmall() {
    }

    /** C = alpha * op(A) * op(B) + beta * C for m <= MAX_ROWS; arguments as in {@link Gemm}. */
    static void sgemm(int maxThreads, boolean transA, boolean transB, int m, int n, int k, float alpha,
                      float[] a, int aOff, int lda, float[] b, int bOff, int ldb,
                      float beta, float[] c, int cOff, int ldc) {
        int threads = (long) m * n * k < Gemm.PARALLEL_MIN_WORK ? 1 : Math.min(maxThreads, Parallel.threads());
        int grain = Math.max(1, n / Math.max(1, threads));
        Parallel.forRange(n, grain, (j0, j1) -> {
            if (transB) {
                dotRows(transA, m, j0, j1, k, alpha, a, aOff, lda, b, bOff, ldb, beta, c, cOff, ldc);
            } else {
                axpyRows(transA, m, j0, j1, k, alpha, a, aOff, lda, b, bOff, ldb, beta, c, cOff, ldc);
            }
        });
    }

    /** Most columns of C the thin-B path takes (B transposed, A not). */
    static final int MAX_COLS = 16;
    /** Least depth k the thin-B path takes; shallower products stay on the blocked kernel, where packing is cheap. */
    static final int THIN_B_MIN_DEPTH = 256;

    /**
     * Partial sums of each element of the thin-B product: k is summed as {@code PARTS} running sums by index mod
     * {@code PARTS}, added in order, whatever the vector width, so the bits do not depend on the machine (8 lanes
     * with AVX2 hold half of them, 16 with AVX-512 all).
     */
    static final int PARTS = 16;

    /**
     * C = alpha * A * B^T + beta * C for n <= {@link #MAX_COLS} columns (A (m, k) and B^T (n, k) both contiguous in
     * k): each C element is the dot product of an A row and a B^T row, four columns per pass over the A row, so the A
     * row is read from memory once and the few B^T rows stay in cache. Rows are split over threads. Each element is
     * summed as {@link #thinDotModel} defines it ({@link #PARTS} running sums of fused multiply-adds by index mod 16,
     * added in order, then the k % 16 tail in k order), so the result depends neither on the split nor on the
     * vector width. This is the weight gradient of a convolution with few input channels (n = C kh kw, e.g. 9), where
     * packing B for the blocked kernel would fill a fraction of its lanes, and a linear layer with few outputs.
     */
    static void sgemmThinB(int maxThreads, int m, int n, int k, float alpha, float[] a, int aOff, int lda,
                           float[] b, int bOff, int ldb, float beta, float[] c, int cOff, int ldc) {
        int threads = (long) m * n * k < Gemm.PARALLEL_MIN_WORK ? 1 : Math.min(maxThreads, Parallel.threads());
        int grain = Math.max(1, m / Math.max(1, threads));
        Parallel.forRange(m, grain, (i0, i1) -> {
            if (L == PARTS) {
                thinRowsOneVector(i0, i1, n, k, alpha, a, aOff, lda, b, bOff, ldb, beta, c, cOff, ldc);
            } else if (2 * L == PARTS) {
                thinRowsTwoVectors(i0, i1, n, k, alpha, a, aOff, lda, b, bOff, ldb, beta, c, cOff, ldc);
            } else {
                for (int i = i0; i < i1; i++) {
                    for (int j = 0; j < n; j++) {
                        store(thinDotModel(a, aOff + i * lda, b, bOff + j * ldb, k), alpha, beta, c,
                                cOff + i * ldc + j);
                    }
                }
            }
        });
    }

    /**
     * The thin-B dot product's definition, and its path for vectors of fewer than 8 lanes: {@link #PARTS} running sums
     * {@code part[l] = fma(a[p], b[p], part[l])} over p = l, l + 16, ... below k - k % 16, added in order from
     * part[0], then the tail p >= k - k % 16 added in k order with fused multiply-adds.
     */
    static float thinDotModel(float[] a, int ai, float[] b, int bi, int k) {
        float[] part = new float[PARTS];
        int kv = k - k % PARTS;
        for (int p = 0; p < kv; p += PARTS) {
            for (int l = 0; l < PARTS; l++) {
                part[l] = Math.fma(a[ai + p + l], b[bi + p + l], part[l]);
            }
        }
        float s = 0f;
        for (int l = 0; l < PARTS; l++) {
            s += part[l];
        }
        return tail(s, a, ai, b, bi, kv, k);
    }

    // 16 lanes: each column's running sums in one vector
    private static void thinRowsOneVector(int i0, int i1, int n, int k, float alpha, float[] a, int aOff, int lda,
                                          float[] b, int bOff, int ldb, float beta, float[] c, int cOff, int ldc) {
        float[] lanes = BUFFER.get()[1];
        int kv = k - k % PARTS;
        for (int i = i0; i < i1; i++) {
            int ai = aOff + i * lda;
            int j = 0;
            for (; j + 3 < n; j += 4) {
                int b0 = bOff + j * ldb;
                int b1 = b0 + ldb;
                int b2 = b1 + ldb;
                int b3 = b2 + ldb;
                FloatVector s0 = FloatVector.zero(S);
                FloatVector s1 = FloatVector.zero(S);
                FloatVector s2 = FloatVector.zero(S);
                FloatVector s3 = FloatVector.zero(S);
                for (int p = 0; p < kv; p += PARTS) {
                    FloatVector va = FloatVector.fromArray(S, a, ai + p);
                    s0 = va.fma(FloatVector.fromArray(S, b, b0 + p), s0);
                    s1 = va.fma(FloatVector.fromArray(S, b, b1 + p), s1);
                    s2 = va.fma(FloatVector.fromArray(S, b, b2 + p), s2);
                    s3 = va.fma(FloatVector.fromArray(S, b, b3 + p), s3);
                }
                int ci = cOff + i * ldc + j;
                store(tail(sum(s0, lanes), a, ai, b, b0, kv, k), alpha, beta, c, ci);
                store(tail(sum(s1, lanes), a, ai, b, b1, kv, k), alpha, beta, c, ci + 1);
                store(tail(sum(s2, lanes), a, ai, b, b2, kv, k), alpha, beta, c, ci + 2);
                store(tail(sum(s3, lanes), a, ai, b, b3, kv, k), alpha, beta, c, ci + 3);
            }
            for (; j < n; j++) {
                int b0 = bOff + j * ldb;
                FloatVector s0 = FloatVector.zero(S);
                for (int p = 0; p < kv; p += PARTS) {
                    s0 = FloatVector.fromArray(S, a, ai + p).fma(FloatVector.fromArray(S, b, b0 + p), s0);
                }
                store(tail(sum(s0, lanes), a, ai, b, b0, kv, k), alpha, beta, c, cOff + i * ldc + j);
            }
        }
    }

    // 8 lanes: each column's running sums in two vectors, indices mod 16 below 8 and from 8
    private static void thinRowsTwoVectors(int i0, int i1, int n, int k, float alpha, float[] a, int aOff, int lda,
                                           float[] b, int bOff, int ldb, float beta, float[] c, int cOff, int ldc) {
        float[] lanes = BUFFER.get()[1];
        int kv = k - k % PARTS;
        for (int i = i0; i < i1; i++) {
            int ai = aOff + i * lda;
            int j = 0;
            for (; j + 3 < n; j += 4) {
                int b0 = bOff + j * ldb;
                int b1 = b0 + ldb;
                int b2 = b1 + ldb;
                int b3 = b2 + ldb;
                FloatVector s0 = FloatVector.zero(S);
                FloatVector t0 = FloatVector.zero(S);
                FloatVector s1 = FloatVector.zero(S);
                FloatVector t1 = FloatVector.zero(S);
                FloatVector s2 = FloatVector.zero(S);
                FloatVector t2 = FloatVector.zero(S);
                FloatVector s3 = FloatVector.zero(S);
                FloatVector t3 = FloatVector.zero(S);
                for (int p = 0; p < kv; p += PARTS) {
                    FloatVector va = FloatVector.fromArray(S, a, ai + p);
                    FloatVector wa = FloatVector.fromArray(S, a, ai + p + L);
                    s0 = va.fma(FloatVector.fromArray(S, b, b0 + p), s0);
                    t0 = wa.fma(FloatVector.fromArray(S, b, b0 + p + L), t0);
                    s1 = va.fma(FloatVector.fromArray(S, b, b1 + p), s1);
                    t1 = wa.fma(FloatVector.fromArray(S, b, b1 + p + L), t1);
                    s2 = va.fma(FloatVector.fromArray(S, b, b2 + p), s2);
                    t2 = wa.fma(FloatVector.fromArray(S, b, b2 + p + L), t2);
                    s3 = va.fma(FloatVector.fromArray(S, b, b3 + p), s3);
                    t3 = wa.fma(FloatVector.fromArray(S, b, b3 + p + L), t3);
                }
                int ci = cOff + i * ldc + j;
                store(tail(sum(s0, t0, lanes), a, ai, b, b0, kv, k), alpha, beta, c, ci);
                store(tail(sum(s1, t1, lanes), a, ai, b, b1, kv, k), alpha, beta, c, ci + 1);
                store(tail(sum(s2, t2, lanes), a, ai, b, b2, kv, k), alpha, beta, c, ci + 2);
                store(tail(sum(s3, t3, lanes), a, ai, b, b3, kv, k), alpha, beta, c, ci + 3);
            }
            for (; j < n; j++) {
                int b0 = bOff + j * ldb;
                FloatVector s0 = FloatVector.zero(S);
                FloatVector t0 = FloatVector.zero(S);
                for (int p = 0; p < kv; p += PARTS) {
                    s0 = FloatVector.fromArray(S, a, ai + p).fma(FloatVector.fromArray(S, b, b0 + p), s0);
                    t0 = FloatVector.fromArray(S, a, ai + p + L).fma(FloatVector.fromArray(S, b, b0 + p + L), t0);
                }
                store(tail(sum(s0, t0, lanes), a, ai, b, b0, kv, k), alpha, beta, c, cOff + i * ldc + j);
            }
        }
    }

    private static float[] buffer(int size) {
        float[][] holder = BUFFER.get();
        if (holder[0].length < size) {
            holder[0] = new float[size];
        }
        return holder[0];
    }

    // A (m, k) [transA: (k, m)], B (k, n) -> C columns [j0, j1): acc[i] += A[i, p] * B[p, :] for p in order
    private static void axpyRows(boolean transA, int m, int j0, int j1, int k, float alpha,
                                 float[] a, int aOff, int lda, float[] b, int bOff, int ldb,
                                 float beta, float[] c, int cOff, int ldc) {
        int jbMax = ACC / m;
        float[] acc = buffer(ACC);
        for (int jb = j0; jb < j1; jb += jbMax) {
            int w = Math.min(jbMax, j1 - jb);
            int wv = w - w % L;
            java.util.Arrays.fill(acc, 0, m * jbMax, 0f);
            for (int p = 0; p < k; p++) {
                int row = bOff + p * ldb + jb;
                for (int i = 0; i < m; i++) {
                    float av = transA ? a[aOff + p * lda + i] : a[aOff + i * lda + p];
                    FloatVector va = FloatVector.broadcast(S, av);
                    int o = i * jbMax;
                    for (int j = 0; j < wv; j += L) {
                        va.fma(FloatVector.fromArray(S, b, row + j), FloatVector.fromArray(S, acc, o + j))
                                .intoArray(acc, o + j);
                    }
                    for (int j = wv; j < w; j++) {
                        acc[o + j] = Math.fma(av, b[row + j], acc[o + j]);
                    }
                }
            }
            GemmMicroKernel.storeScalar(acc, jbMax, m, w, alpha, beta, c, cOff + jb, ldc);
        }
    }

    // A (m, k) [transA: (k, m)], B^T (n, k) -> C columns [j0, j1): C[i, j] = dot(A[i, :], B^T[j, :])
    private static void dotRows(boolean transA, int m, int j0, int j1, int k, float alpha,
                                float[] a, int aOff, int lda, float[] b, int bOff, int ldb,
                                float beta, float[] c, int cOff, int ldc) {
        // rows of A contiguous in k: in place, or copied when A is transposed
        float[] ar = a;
        int a0 = aOff;
        int ra = lda;
        if (transA) {
            ar = buffer(m * k);
            for (int p = 0; p < k; p++) {
                for (int i = 0; i < m; i++) {
                    ar[i * k + p] = a[aOff + p * lda + i];
                }
            }
            a0 = 0;
            ra = k;
        }
        int kv = k - k % L;
        float[] lanes = BUFFER.get()[1];
        int j = j0;
        // two columns at a time, each pair of B^T rows read once (then from L1) for all m rows of A
        for (; j + 1 < j1; j += 2) {
            int b0 = bOff + j * ldb;
            int b1 = b0 + ldb;
            for (int i = 0; i < m; i++) {
                int ai = a0 + i * ra;
                FloatVector s0 = FloatVector.zero(S);
                FloatVector s1 = FloatVector.zero(S);
                for (int p = 0; p < kv; p += L) {
                    FloatVector va = FloatVector.fromArray(S, ar, ai + p);
                    s0 = va.fma(FloatVector.fromArray(S, b, b0 + p), s0);
                    s1 = va.fma(FloatVector.fromArray(S, b, b1 + p), s1);
                }
                float d0 = tail(sum(s0, lanes), ar, ai, b, b0, kv, k);
                float d1 = tail(sum(s1, lanes), ar, ai, b, b1, kv, k);
                store(d0, alpha, beta, c, cOff + i * ldc + j);
                store(d1, alpha, beta, c, cOff + i * ldc + j + 1);
            }
        }
        for (; j < j1; j++) {
            int b0 = bOff + j * ldb;
            for (int i = 0; i < m; i++) {
                int ai = a0 + i * ra;
                FloatVector s0 = FloatVector.zero(S);
                for (int p = 0; p < kv; p += L) {
                    s0 = FloatVector.fromArray(S, ar, ai + p).fma(FloatVector.fromArray(S, b, b0 + p), s0);
                }
                store(tail(sum(s0, lanes), ar, ai, b, b0, kv, k), alpha, beta, c,
                        cOff + i * ldc + j);
            }
        }
    }

    /**
     * The lanes summed in lane order. Not {@code reduceLanes(ADD)}: its float order is unspecified and differs
     * between the interpreter and compiled code, which would make results depend on JIT timing.
     */
    private static float sum(FloatVector v, float[] lanes) {
        v.intoArray(lanes, 0);
        float s = 0f;
        for (int l = 0; l < L; l++) {
            s += lanes[l];
        }
        return s;
    }

    /** The lanes of {@code lo} then of {@code hi} summed in order: 16 running sums held in two 8-lane vectors. */
    private static float sum(FloatVector lo, FloatVector hi, float[] lanes) {
        lo.intoArray(lanes, 0);
        hi.intoArray(lanes, L);
        float s = 0f;
        for (int l = 0; l < 2 * L; l++) {
            s += lanes[l];
        }
        return s;
    }

    /** Adds the k % L products past the last full vector, in k order. */
    private static float tail(float sum, float[] a, int ai, float[] b, int bi, int kv, int k) {
        for (int p = kv; p < k; p++) {
            sum = Math.fma(a[ai + p], b[bi + p], sum);
        }
        return sum;
    }

    private static void store(float acc, float alpha, float beta, float[] c, int o) {
        c[o] = beta == 0f ? alpha * acc : alpha * acc + beta * c[o];
    }
}
