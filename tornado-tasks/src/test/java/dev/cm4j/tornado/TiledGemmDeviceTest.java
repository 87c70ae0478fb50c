package dev.cm4j.tornado;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.cm4j.tensor.Rng;
import dev.cm4j.tensor.kernels.GemmReference;
import org.junit.jupiter.api.Test;

/** {@link TiledGemm} on the device and its JVM twin against the tensor module's reference GEMM. */
class TiledGemmDeviceTest {

    // m, n, k: single elements, exact tiles, and sizes that leave partial tiles on every edge
    private static final int[][] SHAPES = {{1, 1, 1}, {16, 16, 16}, {37, 53, 29}, {5, 300, 7}, {130, 70, 250}};

    @Test
    void deviceMatchesReferenceOnRandomShapes() {
        Rng rng = new Rng(11);
        int planIndex = 0;
        for (int[] s : SHAPES) {
            for (int variant = 0; variant < 4; variant++) {
                boolean transA = (variant & 1) != 0;
                boolean transB = (variant & 2) != 0;
                boolean readsC = planIndex++ % 2 == 1;
                check(rng, s[0], s[1], s[2], transA, transB, readsC);
            }
        }
    }

    private static void check(Rng rng, int m, int n, int k, boolean transA, boolean transB, boolean readsC) {
        // strided slices with offsets: leading dimensions larger than the rows, as the backend receives them
        int aRows = transA ? k : m;
        int aCols = transA ? m : k;
        int bRows = transB ? n : k;
        int bCols = transB ? k : n;
        int lda = aCols + 3;
        int ldb = bCols + 1;
        int ldc = n + 2;
        float[] a = DeviceCheck.normal(rng, 5 + aRows * lda);
        float[] b = DeviceCheck.normal(rng, 2 + bRows * ldb);
        float[] c0 = DeviceCheck.normal(rng, 7 + m * ldc);
        float alpha = 0.75f;
        float beta = readsC ? -0.5f : 0f;
        if (!readsC) {
            c0[7] = Float.NaN;               // beta == 0: the old C must not be read
        }
        float[] want = c0.clone();
        GemmReference.sgemm(transA, transB, m, n, k, alpha, a, 5, lda, b, 2, ldb, beta, want, 7, ldc);
        float[] got = c0.clone();
        try (GemmPlan plan = new GemmPlan(new GemmPlan.Key(transA, transB, m, n, k, readsC))) {
            plan.sgemm(alpha, a, 5, lda, b, 2, ldb, beta, got, 7, ldc);
            // a second call with other inputs reuses the compiled plan
            a[5] += 1f;
            GemmReference.sgemm(transA, transB, m, n, k, alpha, a, 5, lda, b, 2, ldb, beta, want = c0.clone(), 7, ldc);
            got = c0.clone();
            plan.sgemm(alpha, a, 5, lda, b, 2, ldb, beta, got, 7, ldc);
            assertEquals(2, plan.executions());
        }
        String name = String.format("gemm %dx%dx%d %s%s beta=%s", m, n, k, transA ? "T" : "N", transB ? "T" : "N", beta);
        DeviceCheck.assertClose(name, want, 7, got, 7, m * ldc - 2);
        for (int i = 0; i < 7; i++) {
            assertEquals(c0[i], got[i], "gemm: element " + i + " before C's offset was written");
        }
    }

    @Test
    void jvmTwinMatchesReference() {
        Rng rng = new Rng(12);
        for (int[] s : SHAPES) {
            int m = s[0];
            int n = s[1];
            int k = s[2];
            for (int variant = 0; variant < 4; variant++) {
                int transA = variant & 1;
                int transB = variant >> 1;
                float[] a = DeviceCheck.normal(rng, m * k);
                float[] b = DeviceCheck.normal(rng, k * n);
                float[] c = DeviceCheck.normal(rng, m * n);
                float[] want = c.clone();
                GemmReference.sgemm(transA == 1, transB == 1, m, n, k, 2f, a, 0, transA == 1 ? m : k,
                        b, 0, transB == 1 ? k : n, 0.5f, want, 0, n);
                TiledGemm.reference(a, b, c, new float[] {2f, 0.5f}, m, n, k, transA, transB);
                DeviceCheck.assertClose("gemm twin " + m + "x" + n + "x" + k + " v" + variant, want, c);
            }
        }
    }
}
