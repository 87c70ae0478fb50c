package dev.cm4j.tensor.kernels;

import static dev.cm4j.tensor.kernels.NNReference.toDouble;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;

import dev.cm4j.tensor.Rng;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * The convolution with its patches packed straight into the GEMM's panels against the column-matrix route
 * ({@code packed = false}: im2col + the matrix GEMM), bit for bit, and against the double reference; and the packed
 * route's bits, and the input gradient's (flipped-kernel route included, {@link ConvolutionFlippedTest}), on 1 and 2
 * threads, with and without the Vector API (one JVM each).
 */
class ConvolutionPackedTest {
    private static final double TOL = 2e-5;

    /**
     * Planes around {@link Convolution#MIN_GEMM_COLUMNS} (196), several images per GEMM, the shapes the vector GEMM
     * multiplies unpacked, and geometries whose forward pass keeps the column matrix.
     */
    static final List<ConvolutionShape> SHAPES = List.of(
            new ConvolutionShape(5, 3, 14, 14, 8, 3, 3, 1, 1),     // plane 196: one image per GEMM
            new ConvolutionShape(5, 3, 13, 15, 8, 3, 3, 1, 1),     // plane 195: two images per GEMM
            new ConvolutionShape(7, 5, 14, 13, 9, 3, 3, 1, 1),     // plane 182: two, the last unit one
            new ConvolutionShape(3, 3, 28, 27, 7, 3, 3, 2, 1),     // stride 2 down to 14x14
            new ConvolutionShape(4, 7, 10, 10, 6, 5, 5, 1, 2),     // 5x5, padding 2
            new ConvolutionShape(6, 5, 7, 7, 12, 1, 1, 1, 0),      // pointwise, four images per GEMM
            new ConvolutionShape(2, 33, 9, 9, 20, 3, 3, 1, 1),     // 297 patch rows: two k blocks
            new ConvolutionShape(3, 3, 9, 9, 4, 3, 3, 1, 1),       // K = 4: the vector GEMM does not pack
            new ConvolutionShape(2, 1, 28, 28, 16, 3, 3, 1, 1),    // weight gradient with 9 columns: not packed either
            new ConvolutionShape(9, 3, 5, 5, 8, 3, 3, 1, 1),       // 25-pixel planes: 8 images, one per vector or two
            new ConvolutionShape(5, 4, 3, 3, 8, 3, 3, 1, 1),       // 9-pixel planes: forward keeps the columns
            new ConvolutionShape(3, 5, 17, 16, 9, 3, 3, 2, 1),     // stride 2: forward keeps the columns
            new ConvolutionShape(3, 5, 15, 15, 9, 3, 3, 1, 0));    // valid 3x3: forward keeps the columns

    @Test
    void packedRouteMatchesColumnRouteBitForBit() {
        Rng rng = new Rng(31);
        List<ConvolutionShape> shapes = new ArrayList<>(SHAPES);
        for (int i = 0; i < 60; i++) {
            shapes.add(Im2colPanelsTest.randomShape(rng, 7));
        }
        for (ConvolutionShape s : shapes) {
            float[] x = Close.randn(1, (int) s.inputSize() + 3);
            float[] w = Close.randn(2, (int) s.weightSize());
            float[] bias = Close.randn(3, s.k());
            float[] dy = Close.randn(4, (int) s.outputSize());
            float[] columns = new float[(int) s.outputSize() + 1];
            float[] packed = new float[(int) s.outputSize() + 1];
            // NaN in both: the output is fully overwritten and the float before it left alone
            Arrays.fill(columns, Float.NaN);
            Arrays.fill(packed, Float.NaN);
            Convolution.forward(s, x, 3, w, 0, bias, 0, columns, 1, false);
            Convolution.forward(s, x, 3, w, 0, bias, 0, packed, 1, true);
            assertArrayEquals(columns, packed, "forward " + s);
            double[] xd = toDouble(Arrays.copyOfRange(x, 3, x.length));
            Close.assertClose("packed forward vs double reference " + s,
                    NNReference.conv2d(s, xd, toDouble(w), toDouble(bias)), packed, 1, TOL);

            float[] dwColumns = new float[(int) s.weightSize()];
            float[] dwPacked = new float[(int) s.weightSize()];
            Arrays.fill(dwColumns, Float.NaN);
            Arrays.fill(dwPacked, Float.NaN);
            Convolution.backwardWeight(s, dy, 0, x, 3, dwColumns, 0, false);
            Convolution.backwardWeight(s, dy, 0, x, 3, dwPacked, 0, true);
            assertArrayEquals(dwColumns, dwPacked, "weight gradient " + s);
            Close.assertClose("packed weight gradient vs double reference " + s,
                    NNReference.conv2dBackward(s, toDouble(dy), xd, toDouble(w))[1], dwPacked, TOL);
        }
    }

    /**
     * Geometries that share a plane but not their packing tables (channels, kernel, padding), called in turn: each
     * thread keeps the last geometry's tables ({@code Im2colPanels}) and rebuilds them when the geometry changes, so
     * every call must give the bits of the column route however the calls interleave.
     */
    static final List<ConvolutionShape> INTERLEAVED = List.of(
            new ConvolutionShape(6, 3, 14, 14, 8, 3, 3, 1, 1),
            new ConvolutionShape(6, 5, 14, 14, 8, 3, 3, 1, 1),
            new ConvolutionShape(6, 5, 14, 14, 8, 5, 5, 1, 2),
            new ConvolutionShape(2, 5, 14, 14, 8, 3, 3, 1, 1));

    @Test
    void tablesKeptBetweenCallsGiveTheSameBitsInAnyOrder() {
        for (int round = 0; round < 3; round++) {
            for (int i = 0; i < INTERLEAVED.size(); i++) {
                // forwards, reversed order in odd rounds, so each call follows another geometry's
                ConvolutionShape s = INTERLEAVED.get(round % 2 == 0 ? i : INTERLEAVED.size() - 1 - i);
                float[] x = Close.randn(11, (int) s.inputSize());
                float[] w = Close.randn(12, (int) s.weightSize());
                float[] dy = Close.randn(13, (int) s.outputSize());
                float[] columns = new float[(int) s.outputSize()];
                float[] packed = new float[columns.length];
                Convolution.forward(s, x, 0, w, 0, null, 0, columns, 0, false);
                Convolution.forward(s, x, 0, w, 0, null, 0, packed, 0, true);
                assertArrayEquals(columns, packed, "forward, round " + round + ", " + s);
                float[] dwColumns = new float[(int) s.weightSize()];
                float[] dwPacked = new float[dwColumns.length];
                Convolution.backwardWeight(s, dy, 0, x, 0, dwColumns, 0, false);
                Convolution.backwardWeight(s, dy, 0, x, 0, dwPacked, 0, true);
                assertArrayEquals(dwColumns, dwPacked, "weight gradient, round " + round + ", " + s);
            }
        }
    }

    /** Runs the packed and column routes on fixed seeded inputs; prints "shape y|dw hash same|differs" lines. */
    public static final class Main {
        public static void main(String[] args) {
            // a batch split over the threads (and 8 weight groups); single images whose GEMMs split by columns, and
            // (scalar weight gradient, K > C*kh*kw) by rows; several images per GEMM with stride 2; 5x5; and for the
            // input gradient's flipped-kernel route, one image whose flipped GEMM splits by columns and a 1x1 with
            // several images per GEMM
            ConvolutionShape[] shapes = {
                new ConvolutionShape(32, 8, 14, 14, 16, 3, 3, 1, 1),
                new ConvolutionShape(1, 16, 28, 28, 32, 3, 3, 1, 1),
                new ConvolutionShape(1, 1, 50, 50, 96, 3, 3, 1, 1),
                new ConvolutionShape(5, 7, 9, 9, 10, 3, 3, 2, 1),
                new ConvolutionShape(3, 5, 12, 12, 64, 5, 5, 1, 2),
                new ConvolutionShape(1, 40, 28, 28, 24, 3, 3, 1, 1),
                new ConvolutionShape(6, 12, 7, 7, 20, 1, 1, 1, 0)};
            for (ConvolutionShape s : shapes) {
                float[] x = Close.randn(5, (int) s.inputSize());
                float[] w = Close.randn(6, (int) s.weightSize());
                float[] dy = Close.randn(7, (int) s.outputSize());
                float[] y = new float[(int) s.outputSize()];
                float[] yColumns = new float[y.length];
                Convolution.forward(s, x, 0, w, 0, null, 0, y, 0, true);
                Convolution.forward(s, x, 0, w, 0, null, 0, yColumns, 0, false);
                float[] dw = new float[(int) s.weightSize()];
                float[] dwColumns = new float[dw.length];
                Convolution.backwardWeight(s, dy, 0, x, 0, dw, 0, true);
                Convolution.backwardWeight(s, dy, 0, x, 0, dwColumns, 0, false);
                float[] dx = new float[(int) s.inputSize()];
                Convolution.backwardData(s, dy, 0, w, 0, dx, 0);
                System.out.println(s + " y " + hash(y) + " " + (Arrays.equals(y, yColumns) ? "same" : "differs"));
                System.out.println(s + " dw " + hash(dw) + " " + (Arrays.equals(dw, dwColumns) ? "same" : "differs"));
                System.out.println(s + " dx " + hash(dx) + " flipped " + Convolution.flipsData(s));
            }
            // two batches split over the threads, their geometries alternating: tables rebuilt on every call
            ConvolutionShape[] pair = {
                new ConvolutionShape(32, 8, 14, 14, 16, 3, 3, 1, 1),
                new ConvolutionShape(32, 12, 14, 14, 16, 3, 3, 1, 1)};
            for (int round = 0; round < 2; round++) {
                for (ConvolutionShape s : pair) {
                    float[] x = Close.randn(8, (int) s.inputSize());
                    float[] w = Close.randn(9, (int) s.weightSize());
                    float[] dy = Close.randn(10, (int) s.outputSize());
                    float[] y = new float[(int) s.outputSize()];
                    float[] dw = new float[(int) s.weightSize()];
                    Convolution.forward(s, x, 0, w, 0, null, 0, y, 0, true);
                    Convolution.backwardWeight(s, dy, 0, x, 0, dw, 0, true);
                    System.out.println("round " + round + " " + s + " y " + hash(y) + " dw " + hash(dw));
                }
            }
        }

        private static String hash(float[] a) {
            long h = 1125899906842597L;
            for (float v : a) {
                h = 31 * h + Float.floatToRawIntBits(v);
            }
            return Long.toHexString(h);
        }
    }

    private static String run(int threads, boolean simd) throws IOException, InterruptedException {
        String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        List<String> cmd = List.of(java, "--add-modules", "jdk.incubator.vector", "-Dcm4j.threads=" + threads,
                "-Dcm4j.simd=" + simd, "-cp", System.getProperty("java.class.path"), Main.class.getName());
        Process p = new ProcessBuilder(cmd).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        String err = new String(p.getErrorStream().readAllBytes(), StandardCharsets.UTF_8);
        assertEquals(0, p.waitFor(), "child JVM with " + threads + " threads, simd " + simd + " failed: " + err);
        return out;
    }

    @Test
    void packedRouteHasTheSameBitsOnOneAndTwoThreads() throws Exception {
        for (boolean simd : new boolean[] {true, false}) {
            String one = run(1, simd);
            assertEquals(25, one.lines().count(), "three lines per shape and four interleaved:\n" + one);
            assertEquals(simd, one.contains("flipped true"), "flipped-kernel route, simd " + simd + ":\n" + one);
            List<String> rounds = one.lines().filter(l -> l.startsWith("round ")).map(l -> l.substring(8)).toList();
            assertEquals(rounds.subList(0, 2), rounds.subList(2, 4), "the same calls in two rounds:\n" + one);
            assertFalse(one.contains("differs"), "packed vs column route, simd " + simd + ":\n" + one);
            assertEquals(one, run(2, simd), "1 vs 2 threads, simd " + simd);
        }
    }
}
