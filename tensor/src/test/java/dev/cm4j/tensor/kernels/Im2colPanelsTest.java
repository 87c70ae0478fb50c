package dev.cm4j.tensor.kernels;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.cm4j.tensor.Rng;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * The packers that write a convolution's patches straight into the GEMM's blocks ({@link Im2colPanels} with the Vector
 * API, {@link Im2colRows} scalar) against {@link GemmPack} on the explicit {@link Im2col} matrix, block by block, and
 * the products they feed against im2col + the matrix GEMM, bit for bit, with both micro-kernels.
 */
class Im2colPanelsTest {
    private static final int NR = GemmMicroKernelVector.NR;
    private static final GemmMicroKernel[] KERNELS = {
        GemmMicroKernelVector.INSTANCE, GemmMicroKernelReference.INSTANCE};

    /**
     * Random geometry: odd channel counts, kernels 1/3/5 (sometimes non-square), stride 1/2, padding 0-2; half of them
     * same convolutions (stride 1, kernel 2 padding + 1), the only ones the panels take.
     */
    static ConvolutionShape randomShape(Rng rng, int maxImages) {
        int[] kernels = {1, 3, 5};
        int c = 1 + 2 * rng.nextInt(6);
        int k = 1 + rng.nextInt(24);
        int n = 1 + rng.nextInt(maxImages);
        if (rng.nextInt(2) == 0) {
            int padding = rng.nextInt(3);
            int h = Math.max(2 * padding + 1, 3 + rng.nextInt(16));
            int w = Math.max(2 * padding + 1, 3 + rng.nextInt(16));
            return new ConvolutionShape(n, c, h, w, k, 2 * padding + 1, 2 * padding + 1, 1, padding);
        }
        int kh = kernels[rng.nextInt(3)];
        int kw = rng.nextInt(4) == 0 ? kernels[rng.nextInt(3)] : kh;
        int stride = 1 + rng.nextInt(2);
        int padding = rng.nextInt(3);
        int h = Math.max(kh - 2 * padding, 3 + rng.nextInt(16));
        int w = Math.max(kw - 2 * padding, 3 + rng.nextInt(16));
        return new ConvolutionShape(n, c, h, w, k, kh, kw, stride, padding);
    }

    /** The column matrix (C*kh*kw, count*Ho*Wo) of count images of x from xOff on. */
    static float[] columns(ConvolutionShape s, float[] x, int xOff, int count) {
        int plane = s.outPlane();
        float[] col = new float[s.patch() * count * plane];
        for (int i = 0; i < count; i++) {
            Im2col.im2col(s, x, xOff + i * s.c() * s.inPlane(), col, i * plane, count * plane);
        }
        return col;
    }

    /** All n images of a shape at a random offset in x, and their column matrix (C*kh*kw, cols). */
    private record Unit(float[] x, int xOff, float[] col, int cols) {
        static Unit random(Rng rng, ConvolutionShape s) {
            int xOff = rng.nextInt(4);
            float[] x = new float[xOff + (int) s.inputSize() + 2];
            rng.fillUniform(x, 0, x.length, -1f, 1f);
            return new Unit(x, xOff, columns(s, x, xOff, s.n()), s.n() * s.outPlane());
        }
    }

    /** A random start and length inside [0, size): often the whole rest, sometimes the last few. */
    private static int[] randomRange(Rng rng, int size, int edge) {
        int start = rng.nextInt(3) == 0 ? size - 1 - rng.nextInt(Math.min(size, edge)) : rng.nextInt(size);
        int length = rng.nextInt(2) == 0 ? size - start : 1 + rng.nextInt(size - start);
        return new int[] {start, length};
    }

    @Test
    void panelsEqualPackBOfTheColumnMatrix() {
        Rng rng = new Rng(21);
        int tried = 0;
        while (tried < 300) {
            ConvolutionShape s = randomShape(rng, 3);
            if (!Im2colPanels.fits(s)) {
                continue;
            }
            tried++;
            Unit u = Unit.random(rng, s);
            int cols = u.cols();
            // a block of op(B) = col (patch, cols): GEMM blocks start on panel boundaries, but any start must work
            int[] k = randomRange(rng, s.patch(), 4);
            int[] j = randomRange(rng, cols, NR);
            if (rng.nextInt(2) == 0) {
                j[0] = j[0] / NR * NR;
                j[1] = rng.nextInt(2) == 0 ? cols - j[0] : Math.max(1, Math.min(cols - j[0], j[1] / NR * NR));
            }
            int size = (j[1] + NR - 1) / NR * NR * k[1];
            float[] expected = new float[size + 5];
            float[] actual = new float[size + 5];
            Arrays.fill(expected, Float.NaN);
            Arrays.fill(actual, Float.NaN);
            GemmPack.packB(false, u.col(), 0, cols, k[0], k[1], j[0], j[1], NR, expected);
            Im2colPanels.panels(s, u.x(), u.xOff(), s.n()).pack(k[0], k[1], j[0], j[1], NR, actual);
            assertArrayEquals(expected, actual, () -> "panels differ from packB for " + s + ", block p0=" + k[0]
                    + " kc=" + k[1] + " j0=" + j[0] + " nc=" + j[1] + ": first difference at "
                    + Arrays.mismatch(expected, actual));
        }
    }

    @Test
    void rowsEqualPackAOfTheColumnMatrix() {
        Rng rng = new Rng(23);
        for (int trial = 0; trial < 400; trial++) {
            ConvolutionShape s = randomShape(rng, 3);
            Unit u = Unit.random(rng, s);
            int cols = u.cols();
            // a block of op(A) = col (patch, cols)
            int[] i = randomRange(rng, s.patch(), 6);
            int[] p = randomRange(rng, cols, 20);
            int size = i[1] * p[1];
            float[] expected = new float[size + 5];
            Arrays.fill(expected, Float.NaN);
            GemmPack.packA(false, u.col(), 0, cols, i[0], i[1], p[0], p[1], expected);
            List<GemmASource> packers = new ArrayList<>(List.of(new Im2colRows(s, u.x(), u.xOff(), s.n())));
            if (Im2colPanels.fits(s)) {
                packers.add(Im2colPanels.rows(s, u.x(), u.xOff(), s.n()));
            }
            for (int v = 0; v < packers.size(); v++) {
                float[] actual = new float[size + 5];
                Arrays.fill(actual, Float.NaN);
                packers.get(v).pack(i[0], i[1], p[0], p[1], actual);
                String name = v == 0 ? "scalar rows" : "vector rows";
                assertArrayEquals(expected, actual, () -> name + " differ from packA for " + s + ", block i0=" + i[0]
                        + " mc=" + i[1] + " p0=" + p[0] + " kc=" + p[1] + ": first difference at "
                        + Arrays.mismatch(expected, actual));
            }
        }
    }

    @Test
    void productsThroughPackersAreBitIdenticalToTheMatrixGemm() {
        Rng rng = new Rng(22);
        List<ConvolutionShape> shapes = new ArrayList<>();
        for (int i = 0; i < 40; i++) {
            shapes.add(randomShape(rng, 3));
        }
        shapes.add(new ConvolutionShape(1, 33, 9, 9, 20, 3, 3, 1, 1));   // patch 297 > KC: two k blocks (forward)
        shapes.add(new ConvolutionShape(2, 3, 23, 23, 7, 3, 3, 1, 1));   // 2 x 529 pixels > KC (weight gradient)
        shapes.add(new ConvolutionShape(1, 2, 66, 66, 8, 3, 3, 1, 1));   // 4356 columns > NC: two column blocks
        // large enough to split over 2 threads: by columns, and (weight gradient, K > C*kh*kw) by rows
        shapes.add(new ConvolutionShape(1, 16, 30, 30, 32, 3, 3, 1, 1));
        shapes.add(new ConvolutionShape(2, 1, 40, 40, 96, 3, 3, 1, 1));
        shapes.add(new ConvolutionShape(3, 5, 7, 7, 40, 3, 3, 2, 1));    // stride 2: rows only
        for (ConvolutionShape s : shapes) {
            int count = s.n();
            int patch = s.patch();
            int cols = count * s.outPlane();
            float[] x = new float[(int) s.inputSize()];
            rng.fillUniform(x, 0, x.length, -1f, 1f);
            float[] col = columns(s, x, 0, count);
            float[] a = new float[s.k() * Math.max(patch, cols)];
            rng.fillUniform(a, 0, a.length, -1f, 1f);
            for (GemmMicroKernel kernel : KERNELS) {
                boolean vector = kernel == GemmMicroKernelVector.INSTANCE;
                for (int threads = 1; threads <= 2; threads++) {
                    float beta = threads == 1 ? 0f : 1f;
                    String what = s + " kernel NR " + kernel.nr + ", " + threads + " threads";
                    if (vector && Im2colPanels.fits(s)) {
                        // forward: (K, cols) = A (K, patch) * col
                        float[] c0 = new float[s.k() * cols];
                        rng.fillUniform(c0, 0, c0.length, -1f, 1f);
                        float[] viaMatrix = c0.clone();
                        float[] viaPanels = c0.clone();
                        GemmBlocked.sgemm(kernel, threads, false, false, s.k(), cols, patch, 1f, a, 0, patch,
                                col, 0, cols, beta, viaMatrix, 0, cols);
                        GemmBlocked.sgemm(kernel, threads, s.k(), cols, patch, 1f, GemmPack.matrixA(false, a, 0, patch),
                                Im2colPanels.panels(s, x, 0, count), beta, viaPanels, 0, cols);
                        assertArrayEquals(viaMatrix, viaPanels, "forward product " + what);
                    }
                    // transposed weight gradient: (patch, K) = col (patch, cols) * A^T, A (K, cols)
                    float[] w0 = new float[patch * s.k()];
                    rng.fillUniform(w0, 0, w0.length, -1f, 1f);
                    float[] viaMatrix = w0.clone();
                    float[] viaRows = w0.clone();
                    GemmBlocked.sgemm(kernel, threads, false, true, patch, s.k(), cols, 1f, col, 0, cols,
                            a, 0, cols, beta, viaMatrix, 0, s.k());
                    GemmASource rows = vector && Im2colPanels.fits(s) ? Im2colPanels.rows(s, x, 0, count)
                            : new Im2colRows(s, x, 0, count);
                    GemmBlocked.sgemm(kernel, threads, patch, s.k(), cols, 1f, rows,
                            GemmPack.matrixB(true, a, 0, cols), beta, viaRows, 0, s.k());
                    assertArrayEquals(viaMatrix, viaRows, "weight-gradient product " + what);
                }
            }
        }
    }

    /**
     * The weight gradient's transposed product: col * dy^T gives, element by element, the bits of dy * col^T, also
     * when it adds onto an earlier sum (beta 1) and k spans several KC blocks.
     */
    @Test
    void transposedProductHasTheSameBits() {
        Rng rng = new Rng(24);
        int k = 17;
        int patch = 45;
        int cols = 700;
        float[] dy = new float[k * cols];
        float[] col = new float[patch * cols];
        float[] earlier = new float[k * patch];
        rng.fillUniform(dy, 0, dy.length, -1f, 1f);
        rng.fillUniform(col, 0, col.length, -1f, 1f);
        rng.fillUniform(earlier, 0, earlier.length, -1f, 1f);
        for (GemmMicroKernel kernel : KERNELS) {
            for (float beta : new float[] {0f, 1f}) {
                float[] dw = earlier.clone();
                GemmBlocked.sgemm(kernel, 1, false, true, k, patch, cols, 1f, dy, 0, cols, col, 0, cols,
                        beta, dw, 0, patch);
                float[] dwT = new float[patch * k];
                for (int i = 0; i < k; i++) {
                    for (int r = 0; r < patch; r++) {
                        dwT[r * k + i] = earlier[i * patch + r];
                    }
                }
                GemmBlocked.sgemm(kernel, 1, false, true, patch, k, cols, 1f, col, 0, cols, dy, 0, cols,
                        beta, dwT, 0, k);
                for (int i = 0; i < k; i++) {
                    for (int r = 0; r < patch; r++) {
                        assertEquals(Float.floatToRawIntBits(dw[i * patch + r]),
                                Float.floatToRawIntBits(dwT[r * k + i]), "element (" + i + ", " + r + "), kernel NR " + kernel.nr + ", beta " + beta);
                    }
                }
            }
        }
    }

    @Test
    void panelsTakeSameConvolutionsWithPlanesOfAVector() {
        assertTrue(Im2colPanels.fits(new ConvolutionShape(1, 3, 28, 28, 8, 3, 3, 1, 1)));
        assertTrue(Im2colPanels.fits(new ConvolutionShape(1, 3, 7, 7, 8, 5, 5, 1, 2)));
        assertTrue(Im2colPanels.fits(new ConvolutionShape(1, 3, 7, 7, 8, 1, 1, 1, 0)));
        assertFalse(Im2colPanels.fits(new ConvolutionShape(1, 3, 28, 28, 8, 3, 3, 2, 1)));   // stride 2
        assertFalse(Im2colPanels.fits(new ConvolutionShape(1, 3, 28, 28, 8, 3, 3, 1, 0)));   // valid, not same
        assertFalse(Im2colPanels.fits(new ConvolutionShape(1, 3, 28, 28, 8, 3, 1, 1, 1)));   // 3x1
        // planes of fewer pixels than a vector holds, whatever the width (-Dcm4j.simd.bits)
        assertFalse(Im2colPanels.fits(new ConvolutionShape(1, 3, 1, FloatSpecies.L - 1, 8, 3, 3, 1, 1)));
    }

    @Test
    void dispatchSaysWhichShapesRunBlocked() {
        // the vector path multiplies m <= 4 rows, and thin transposed B (n <= 16, k >= 256), without packing
        assertTrue(GemmVector.isBlocked(false, false, 5, 100, 9));
        assertFalse(GemmVector.isBlocked(false, false, 4, 100, 9));
        assertFalse(GemmVector.isBlocked(false, true, 64, 9, 784));
        assertTrue(GemmVector.isBlocked(false, true, 64, 9, 255));
        assertTrue(GemmVector.isBlocked(false, true, 64, 17, 784));
    }

    @Test
    void rejectsWhatTheyCannotPack() {
        ConvolutionShape s = new ConvolutionShape(2, 3, 5, 5, 4, 3, 3, 1, 1);
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> new Im2colRows(s, new float[100], 0, 2));
        assertEquals("im2col: 2 images of (3, 5, 5) from offset 0 need 150 floats but x has 100", e.getMessage());
        ConvolutionShape strided = new ConvolutionShape(2, 3, 8, 8, 4, 3, 3, 2, 1);
        e = assertThrows(IllegalArgumentException.class, () -> Im2colPanels.panels(strided, new float[384], 0, 2));
        assertTrue(e.getMessage().startsWith("im2col panels: 3x3 kernel, stride 2, padding 1, 8x8 planes: needs a "
                + "same convolution"), e.getMessage());
    }
}
