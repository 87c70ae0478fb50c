package dev.cm4j.tensor;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.fail;

import org.junit.jupiter.api.Test;

class MatMulTest {
    /** Element-by-element reference with double sums and explicit broadcasting of the batch axes. */
    private static Tensor reference(Tensor a, Tensor b, boolean transA, boolean transB) {
        int[] as = a.shape();
        int[] bs = b.shape();
        int ra = as.length;
        int rb = bs.length;
        int m = transA ? as[ra - 1] : as[ra - 2];
        int k = transA ? as[ra - 2] : as[ra - 1];
        int n = transB ? bs[rb - 2] : bs[rb - 1];
        int rank = Math.max(ra, rb) - 2;
        int[] outShape = new int[rank + 2];
        for (int d = 0; d < rank; d++) {
            int da = d - (rank - (ra - 2)) >= 0 ? as[d - (rank - (ra - 2))] : 1;
            int db = d - (rank - (rb - 2)) >= 0 ? bs[d - (rank - (rb - 2))] : 1;
            outShape[d] = da == 1 ? db : da;
        }
        outShape[rank] = m;
        outShape[rank + 1] = n;
        Tensor out = Tensor.zeros(outShape);
        int[] idx = new int[rank + 2];
        int[] ia = new int[ra];
        int[] ib = new int[rb];
        for (int flat = 0; flat < out.size(); flat++) {
            int rest = flat;
            for (int d = rank + 1; d >= 0; d--) {
                idx[d] = rest % outShape[d];
                rest /= outShape[d];
            }
            for (int d = 0; d < ra - 2; d++) {
                ia[d] = as[d] == 1 ? 0 : idx[d + rank - (ra - 2)];
            }
            for (int d = 0; d < rb - 2; d++) {
                ib[d] = bs[d] == 1 ? 0 : idx[d + rank - (rb - 2)];
            }
            double acc = 0;
            for (int p = 0; p < k; p++) {
                ia[ra - 2] = transA ? p : idx[rank];
                ia[ra - 1] = transA ? idx[rank] : p;
                ib[rb - 2] = transB ? idx[rank + 1] : p;
                ib[rb - 1] = transB ? p : idx[rank + 1];
                acc += (double) a.get(ia) * b.get(ib);
            }
            out.data()[flat] = (float) acc;
        }
        return out;
    }

    private static void check(int[] aShape, int[] bShape, boolean transA, boolean transB, int[] expectedShape) {
        Rng rng = new Rng(11);
        Tensor a = rng.uniform(-1f, 1f, aShape);
        Tensor b = rng.uniform(-1f, 1f, bShape);
        Tensor c = MatMul.matmul(a, b, transA, transB);
        assertArrayEquals(expectedShape, c.shape());
        Tensor ref = reference(a, b, transA, transB);
        int k = transA ? aShape[aShape.length - 2] : aShape[aShape.length - 1];
        double maxDiff = 0;
        for (int i = 0; i < c.size(); i++) {
            maxDiff = Math.max(maxDiff, Math.abs(c.data()[i] - ref.data()[i]));
        }
        if (maxDiff > 1e-6 * (k + 3)) {
            fail("matmul " + Shapes.str(aShape) + " x " + Shapes.str(bShape) + " transA=" + transA + " transB="
                    + transB + ": max diff " + maxDiff);
        }
    }

    @Test
    void matricesInAllTransposes() {
        check(new int[] {7, 5}, new int[] {5, 9}, false, false, new int[] {7, 9});
        check(new int[] {5, 7}, new int[] {5, 9}, true, false, new int[] {7, 9});
        check(new int[] {7, 5}, new int[] {9, 5}, false, true, new int[] {7, 9});
        check(new int[] {5, 7}, new int[] {9, 5}, true, true, new int[] {7, 9});
        check(new int[] {1, 1}, new int[] {1, 1}, false, false, new int[] {1, 1});
    }

    @Test
    void batchedAndBroadcast() {
        // equal batches, as in attention: (B, h, T, d) x (B, h, T, d)^T
        check(new int[] {2, 3, 13, 8}, new int[] {2, 3, 13, 8}, false, true, new int[] {2, 3, 13, 13});
        check(new int[] {2, 3, 8, 13}, new int[] {2, 3, 8, 13}, true, false, new int[] {2, 3, 13, 13});
        // a batch of inputs times one weight matrix (folded into a single GEMM), with and without transB
        check(new int[] {4, 6, 10}, new int[] {10, 3}, false, false, new int[] {4, 6, 3});
        check(new int[] {4, 6, 10}, new int[] {3, 10}, false, true, new int[] {4, 6, 3});
        check(new int[] {4, 10, 6}, new int[] {10, 3}, true, false, new int[] {4, 6, 3});
        // one matrix times a batch, and size-1 batch axes broadcast both ways
        check(new int[] {6, 10}, new int[] {5, 10, 3}, false, false, new int[] {5, 6, 3});
        check(new int[] {3, 1, 6, 4}, new int[] {1, 2, 4, 5}, false, false, new int[] {3, 2, 6, 5});
        check(new int[] {1, 6, 4}, new int[] {2, 1, 4, 5}, false, false, new int[] {2, 1, 6, 5});
    }

    @Test
    void largeBatchesRunOverThreadsWithTheSameBits() {
        // enough work to be split over the batch; each entry must equal its own 2-D product bit for bit
        Rng rng = new Rng(12);
        Tensor a = rng.uniform(-1f, 1f, 8, 96, 64);
        Tensor b = rng.uniform(-1f, 1f, 8, 96, 64);
        Tensor c = MatMul.matmul(a, b, false, true);
        for (int e = 0; e < 8; e++) {
            Tensor ae = Tensor.wrap(a.data(), e * 96 * 64, new int[] {96, 64});
            Tensor be = Tensor.wrap(b.data(), e * 96 * 64, new int[] {96, 64});
            Tensor ce = MatMul.matmul(ae, be, false, true);
            float[] slice = java.util.Arrays.copyOfRange(c.data(), e * 96 * 96, (e + 1) * 96 * 96);
            assertArrayEquals(ce.data(), slice, "batch entry " + e);
        }
    }

    @Test
    void emptyDimensionsGiveEmptyOrZeroResults() {
        assertArrayEquals(new int[] {0, 4, 5}, MatMul.matmul(Tensor.zeros(0, 4, 3), Tensor.ones(3, 5), false, false)
                .shape());
        Tensor z = MatMul.matmul(Tensor.ones(4, 0), Tensor.ones(0, 5), false, false);
        assertArrayEquals(new float[20], z.data());
    }

    @Test
    void shapeErrorsNameTheOpAndBothShapes() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> MatMul.matmul(Tensor.zeros(2, 3), Tensor.zeros(4, 5), false, false));
        assertEquals("matmul: inner sizes differ (3 vs 4): a [2, 3] and b [4, 5]", e.getMessage());
        e = assertThrows(IllegalArgumentException.class,
                () -> MatMul.matmul(Tensor.zeros(3, 2), Tensor.zeros(5, 4), true, true));
        assertEquals("matmul: inner sizes differ (3 vs 4): a [3, 2] (transposed) and b [5, 4] (transposed)",
                e.getMessage());
        e = assertThrows(IllegalArgumentException.class,
                () -> MatMul.matmul(Tensor.zeros(2, 3, 4), Tensor.zeros(3, 4, 5), false, false));
        assertEquals("matmul: batch axes cannot be broadcast (2 vs 3): a [2, 3, 4] and b [3, 4, 5]", e.getMessage());
        e = assertThrows(IllegalArgumentException.class,
                () -> MatMul.matmul(Tensor.zeros(4), Tensor.zeros(4, 5), false, false));
        assertEquals("matmul: operands need rank >= 2: a [4] and b [4, 5]", e.getMessage());
    }
}
