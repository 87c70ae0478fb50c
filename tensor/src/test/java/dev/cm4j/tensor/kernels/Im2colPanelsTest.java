package dev.cm4j.tensor.kernels;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.cm4j.tensor.Rng;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * {@link Im2colPanels} against {@link GemmPack#packB} of the explicit {@link Im2col} matrix, panel by panel, and the
 * products it feeds against im2col + the matrix GEMM, bit for bit, with both micro-kernels.
 */
class Im2colPanelsTest {
    /** Random geometry: odd channel counts, kernels 1/3/5 (sometimes non-square), stride 1/2, padding 0-2. */
    static Conv2dShape randomShape(Rng rng, int maxImages) {
        int[] kernels = {1, 3, 5};
        int kh = kernels[rng.nextInt(3)];
        int kw = rng.nextInt(4) == 0 ? kernels[rng.nextInt(3)] : kh;
        int stride = 1 + rng.nextInt(2);
        int padding = rng.nextInt(3);
        int h = Math.max(kh - 2 * padding, 3 + rng.nextInt(16));
        int w = Math.max(kw - 2 * padding, 3 + rng.nextInt(16));
        int c = 1 + 2 * rng.nextInt(6);
        int k = 1 + rng.nextInt(24);
        return new Conv2dShape(1 + rng.nextInt(maxImages), c, h, w, k, kh, kw, stride, padding);
    }

    /** The column matrix (C*kh*kw, count*Ho*Wo) of the first count images of x. */
    static float[] columns(Conv2dShape s, float[] x, int xOff, int count) {
        int plane = s.outPlane();
        float[] col = new float[s.patch() * count * plane];
        for (int i = 0; i < count; i++) {
            Im2col.im2col(s, x, xOff + i * s.c() * s.inPlane(), col, i * plane, count * plane);
        }
        return col;
    }

    @Test
    void panelsEqualPackBOfTheColumnMatrix() {
        Rng rng = new Rng(21);
        int[] widths = {GemmScalarKernel.NR, 16, 32};
        for (int trial = 0; trial < 300; trial++) {
            Conv2dShape s = randomShape(rng, 3);
            int count = s.n();
            int xOff = rng.nextInt(4);
            float[] x = new float[xOff + (int) s.inputSize() + 2];
            rng.fillUniform(x, 0, x.length, -1f, 1f);
            float[] col = columns(s, x, xOff, count);
            int patch = s.patch();
            int cols = count * s.outPlane();
            int nr = widths[rng.nextInt(widths.length)];
            boolean transposed = rng.nextInt(2) == 1;
            // op(B) is (patch, cols), or (cols, patch) transposed: a random block of it, edges included
            int kDim = transposed ? cols : patch;
            int nDim = transposed ? patch : cols;
            int p0 = rng.nextInt(kDim);
            int kc = 1 + rng.nextInt(kDim - p0);
            int j0 = rng.nextInt(3) == 0 ? nDim - 1 - rng.nextInt(Math.min(nDim, nr)) : rng.nextInt(nDim);
            int nc = rng.nextInt(2) == 0 ? nDim - j0 : 1 + rng.nextInt(nDim - j0);
            int size = (nc + nr - 1) / nr * nr * kc;
            float[] expected = new float[size + 5];
            float[] actual = new float[size + 5];
            Arrays.fill(expected, Float.NaN);
            Arrays.fill(actual, Float.NaN);
            GemmPack.packB(transposed, col, 0, cols, p0, kc, j0, nc, nr, expected);
            GemmBSource panels = transposed ? Im2colPanels.transposed(s, x, xOff, count)
                    : Im2colPanels.forward(s, x, xOff, count);
            panels.pack(p0, kc, j0, nc, nr, actual);
            assertArrayEquals(expected, actual, () -> "panels differ from packB for " + s + ", transposed "
                    + transposed + ", block p0=" + p0 + " kc=" + kc + " j0=" + j0 + " nc=" + nc + " nr=" + nr
                    + ": first difference at " + Arrays.mismatch(expected, actual));
        }
    }

    @Test
    void productsThroughPanelsAreBitIdenticalToTheMatrixGemm() {
        Rng rng = new Rng(22);
        List<Conv2dShape> shapes = new ArrayList<>();
        for (int i = 0; i < 40; i++) {
            shapes.add(randomShape(rng, 3));
        }
        shapes.add(new Conv2dShape(1, 33, 9, 9, 20, 3, 3, 1, 1));   // patch 297 > KC: several k blocks (forward)
        shapes.add(new Conv2dShape(2, 3, 23, 23, 7, 3, 3, 1, 1));   // 2 x 529 pixels > KC (weight gradient)
        shapes.add(new Conv2dShape(1, 2, 66, 66, 8, 3, 3, 1, 1));   // 4356 columns > NC: two column blocks
        // large enough to split over 2 threads: by columns, and (weight gradient, K > C*kh*kw) by rows
        shapes.add(new Conv2dShape(1, 16, 30, 30, 32, 3, 3, 1, 1));
        shapes.add(new Conv2dShape(2, 1, 40, 40, 96, 3, 3, 1, 1));
        for (Conv2dShape s : shapes) {
            int count = s.n();
            int patch = s.patch();
            int cols = count * s.outPlane();
            float[] x = new float[(int) s.inputSize()];
            rng.fillUniform(x, 0, x.length, -1f, 1f);
            float[] col = columns(s, x, 0, count);
            float[] a = new float[s.k() * Math.max(patch, cols)];
            rng.fillUniform(a, 0, a.length, -1f, 1f);
            for (GemmMicroKernel kernel : new GemmMicroKernel[] {GemmVectorKernel.INSTANCE, GemmScalarKernel.INSTANCE}) {
                for (int threads = 1; threads <= 2; threads++) {
                    float beta = threads == 1 ? 0f : 1f;
                    // forward: (K, cols) = A (K, patch) * col
                    float[] c0 = new float[s.k() * cols];
                    rng.fillUniform(c0, 0, c0.length, -1f, 1f);
                    float[] viaMatrix = c0.clone();
                    float[] viaPanels = c0.clone();
                    GemmBlocked.sgemm(kernel, threads, false, false, s.k(), cols, patch, 1f, a, 0, patch,
                            col, 0, cols, beta, viaMatrix, 0, cols);
                    GemmBlocked.sgemm(kernel, threads, false, s.k(), cols, patch, 1f, a, 0, patch,
                            Im2colPanels.forward(s, x, 0, count), beta, viaPanels, 0, cols);
                    assertArrayEquals(viaMatrix, viaPanels, "forward product " + s + " kernel NR " + kernel.nr
                            + ", " + threads + " threads");
                    // weight gradient: (K, patch) = A (K, cols) * col^T
                    float[] w0 = new float[s.k() * patch];
                    rng.fillUniform(w0, 0, w0.length, -1f, 1f);
                    viaMatrix = w0.clone();
                    viaPanels = w0.clone();
                    GemmBlocked.sgemm(kernel, threads, false, true, s.k(), patch, cols, 1f, a, 0, cols,
                            col, 0, cols, beta, viaMatrix, 0, patch);
                    GemmBlocked.sgemm(kernel, threads, false, s.k(), patch, cols, 1f, a, 0, cols,
                            Im2colPanels.transposed(s, x, 0, count), beta, viaPanels, 0, patch);
                    assertArrayEquals(viaMatrix, viaPanels, "weight-gradient product " + s + " kernel NR "
                            + kernel.nr + ", " + threads + " threads");
                }
            }
        }
    }

    @Test
    void dispatchSaysWhichShapesPack() {
        // the vector path multiplies m <= 4 rows, and thin transposed B (n <= 16, k >= 256), without packing
        assertTrue(GemmVector.packsB(false, false, 5, 100, 9));
        assertEquals(false, GemmVector.packsB(false, false, 4, 100, 9));
        assertEquals(false, GemmVector.packsB(false, true, 64, 9, 784));
        assertTrue(GemmVector.packsB(false, true, 64, 9, 255));
        assertTrue(GemmVector.packsB(false, true, 64, 17, 784));
    }

    @Test
    void rejectsAnInputTooShortForTheUnit() {
        Conv2dShape s = new Conv2dShape(2, 3, 5, 5, 4, 3, 3, 1, 1);
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> Im2colPanels.forward(s, new float[100], 0, 2));
        assertEquals("im2col panels: 2 images of (3, 5, 5) from offset 0 need 150 floats but x has 100",
                e.getMessage());
    }
}
