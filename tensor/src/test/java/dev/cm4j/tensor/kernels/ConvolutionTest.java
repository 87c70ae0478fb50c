package dev.cm4j.tensor.kernels;

import static dev.cm4j.tensor.kernels.NNReference.toDouble;
import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * The im2col + GEMM convolution ({@link Convolution}) and the direct one ({@link ConvolutionReference}) against the
 * double reference, forward and both backward passes, over odd sizes, strides, paddings and kernel shapes.
 */
class ConvolutionTest {
    private static final double TOL = 2e-5;

    /** (n, c, h, w, k, kh, kw, stride, padding) */
    static final List<ConvolutionShape> SHAPES = List.of(
            new ConvolutionShape(2, 3, 5, 5, 5, 3, 3, 1, 1),
            new ConvolutionShape(3, 3, 7, 7, 5, 3, 3, 2, 1),
            new ConvolutionShape(2, 3, 7, 5, 4, 3, 3, 1, 0),
            new ConvolutionShape(1, 2, 5, 7, 3, 3, 3, 2, 2),
            new ConvolutionShape(2, 4, 6, 6, 5, 1, 1, 1, 0),      // pointwise: no im2col
            new ConvolutionShape(2, 4, 7, 6, 3, 1, 1, 2, 0),      // 1x1 with stride
            new ConvolutionShape(2, 3, 5, 5, 2, 1, 1, 1, 1),      // 1x1 with padding
            new ConvolutionShape(3, 1, 9, 9, 8, 3, 3, 1, 1),      // one input channel, as a U-Net stem
            new ConvolutionShape(2, 5, 8, 9, 3, 2, 3, 1, 1),      // non-square kernel
            new ConvolutionShape(1, 2, 4, 4, 3, 4, 4, 1, 0),      // kernel as large as the image
            new ConvolutionShape(2, 16, 6, 6, 17, 3, 3, 1, 1),
            new ConvolutionShape(5, 3, 6, 5, 2, 5, 5, 2, 2),
            new ConvolutionShape(9, 2, 5, 5, 3, 3, 3, 1, 1),      // more images than weight groups
            new ConvolutionShape(5, 3, 7, 7, 4, 3, 3, 1, 1),      // 4 images per GEMM, then a unit of one
            new ConvolutionShape(2, 2, 15, 14, 3, 3, 3, 1, 1),    // planes >= 196: one image per GEMM
            new ConvolutionShape(3, 4, 14, 14, 4, 1, 1, 1, 0),    // pointwise, one image per GEMM, no im2col
            new ConvolutionShape(2, 2, 5, 5, 8, 3, 3, 1, 1),
            new ConvolutionShape(2, 3, 6, 6, 4, 3, 3, 1, 3),      // padding > kh - 1
            new ConvolutionShape(3, 3, 9, 20, 4, 3, 3, 1, 1),     // rows >= Im2col.VECTOR_ROW: vector col2im
            new ConvolutionShape(1, 2, 10, 24, 3, 3, 3, 1, 2),
            // fewer patch rows than output channels (a 1- or 2-channel stem)
            new ConvolutionShape(9, 1, 9, 9, 24, 3, 3, 1, 1),     // several groups of several images
            new ConvolutionShape(2, 1, 15, 14, 40, 3, 3, 1, 1),   // one image per GEMM
            new ConvolutionShape(3, 2, 6, 6, 33, 2, 2, 2, 1),     // stride 2, even kernel
            new ConvolutionShape(5, 3, 7, 7, 20, 1, 1, 1, 0));    // pointwise

    @Test
    void forwardMatchesDoubleReference() {
        for (ConvolutionShape s : SHAPES) {
            float[] x = Close.randn(1, (int) s.inputSize());
            float[] w = Close.randn(2, (int) s.weightSize());
            float[] bias = Close.randn(3, s.k() + 1);
            double[] expected = NNReference.conv2d(s, toDouble(x), toDouble(w),
                    toDouble(java.util.Arrays.copyOfRange(bias, 1, s.k() + 1)));
            float[] y = new float[(int) s.outputSize() + 3];
            Convolution.forward(s, x, 0, w, 0, bias, 1, y, 3);
            Close.assertClose("Convolution.forward " + s, expected, y, 3, TOL);
            java.util.Arrays.fill(y, Float.NaN);
            ConvolutionReference.forward(s, x, 0, w, 0, bias, 1, y, 3);
            Close.assertClose("ConvolutionReference.forward " + s, expected, y, 3, TOL);
        }
    }

    /**
     * The bias gradient against the scalar reference (its sum in double) on planes of every remainder of the vector
     * width and of the four-vector loop, one to many images, with offsets on both arrays.
     */
    @Test
    void backwardBiasMatchesReference() {
        int[][] cases = {{1, 1, 1}, {2, 3, 5}, {3, 4, 49}, {2, 5, 63}, {4, 2, 64}, {1, 3, 65}, {5, 7, 196}, {2, 3, 784},
            {9, 17, 13}, {16, 64, 49}, {2, 1, 1001}};
        for (int[] c : cases) {
            int n = c[0], k = c[1], plane = c[2];
            float[] dy = Close.randn(11, n * k * plane + 7);
            double[] expected = new double[k];
            for (int kk = 0; kk < k; kk++) {
                for (int b = 0; b < n; b++) {
                    for (int p = 0; p < plane; p++) {
                        expected[kk] += dy[7 + (b * k + kk) * plane + p];
                    }
                }
            }
            float[] db = new float[k + 2];
            java.util.Arrays.fill(db, Float.NaN);
            Convolution.backwardBias(n, k, plane, dy, 7, db, 2);
            Close.assertClose("Convolution.backwardBias n " + n + " k " + k + " plane " + plane, expected, db, 2,
                    1e-5);
            float[] ref = new float[k + 2];
            ConvolutionReference.backwardBias(n, k, plane, dy, 7, ref, 2);
            Close.assertClose("ConvolutionReference.backwardBias", expected, ref, 2, 1e-6);
        }
    }

    @Test
    void forwardReadsOffsetsAndIgnoresOldOutput() {
        ConvolutionShape s = new ConvolutionShape(2, 3, 5, 5, 4, 3, 3, 1, 1);
        float[] x = Close.randn(4, (int) s.inputSize() + 5);
        float[] w = Close.randn(5, (int) s.weightSize() + 2);
        double[] expected = NNReference.conv2d(s, toDouble(java.util.Arrays.copyOfRange(x, 5, x.length)),
                toDouble(java.util.Arrays.copyOfRange(w, 2, w.length)), null);
        float[] y = new float[(int) s.outputSize()];
        java.util.Arrays.fill(y, Float.NaN);
        Convolution.forward(s, x, 5, w, 2, null, 0, y, 0);
        Close.assertClose("forward with offsets", expected, y, TOL);
    }

    @Test
    void backwardMatchesDoubleReference() {
        for (ConvolutionShape s : SHAPES) {
            float[] x = Close.randn(6, (int) s.inputSize());
            float[] w = Close.randn(7, (int) s.weightSize());
            float[] dy = Close.randn(8, (int) s.outputSize());
            double[][] expected = NNReference.conv2dBackward(s, toDouble(dy), toDouble(x), toDouble(w));
            float[] dx = new float[(int) s.inputSize() + 1];
            float[] dw = new float[(int) s.weightSize() + 2];
            java.util.Arrays.fill(dx, Float.NaN);
            java.util.Arrays.fill(dw, Float.NaN);
            Convolution.backwardData(s, dy, 0, w, 0, dx, 1);
            Convolution.backwardWeight(s, dy, 0, x, 0, dw, 2);
            Close.assertClose("Convolution.backwardData " + s, expected[0], dx, 1, TOL);
            Close.assertClose("Convolution.backwardWeight " + s, expected[1], dw, 2, TOL);
            java.util.Arrays.fill(dx, Float.NaN);
            java.util.Arrays.fill(dw, Float.NaN);
            ConvolutionReference.backwardData(s, dy, 0, w, 0, dx, 1);
            ConvolutionReference.backwardWeight(s, dy, 0, x, 0, dw, 2);
            Close.assertClose("ConvolutionReference.backwardData " + s, expected[0], dx, 1, TOL);
            Close.assertClose("ConvolutionReference.backwardWeight " + s, expected[1], dw, 2, TOL);
        }
    }

    @Test
    void backwardBiasSumsBatchAndPixels() {
        int n = 3;
        int k = 4;
        int plane = 7;
        float[] dy = Close.randn(9, n * k * plane);
        double[] expected = new double[k];
        for (int b = 0; b < n; b++) {
            for (int kk = 0; kk < k; kk++) {
                for (int p = 0; p < plane; p++) {
                    expected[kk] += dy[(b * k + kk) * plane + p];
                }
            }
        }
        float[] db = new float[k];
        ConvolutionReference.backwardBias(n, k, plane, dy, 0, db, 0);
        Close.assertClose("backwardBias", expected, db, 1e-6);
    }

    /** The adjoint identities <conv(x, w), dy> = <x, dataGrad(dy, w)> = <w, weightGrad(dy, x)> for the fast path. */
    @Test
    void backwardPassesAreAdjoints() {
        for (ConvolutionShape s : SHAPES) {
            float[] x = Close.randn(10, (int) s.inputSize());
            float[] w = Close.randn(11, (int) s.weightSize());
            float[] dy = Close.randn(12, (int) s.outputSize());
            float[] y = new float[(int) s.outputSize()];
            float[] dx = new float[(int) s.inputSize()];
            float[] dw = new float[(int) s.weightSize()];
            Convolution.forward(s, x, 0, w, 0, null, 0, y, 0);
            Convolution.backwardData(s, dy, 0, w, 0, dx, 0);
            Convolution.backwardWeight(s, dy, 0, x, 0, dw, 0);
            double lhs = Close.dot(y, dy);
            double scale = 1e-5 * (1 + Math.sqrt(s.outputSize() * s.patch()));
            assertEquals(lhs, Close.dot(x, dx), scale, "<conv(x), dy> vs <x, dx> for " + s);
            assertEquals(lhs, Close.dot(w, dw), scale, "<conv(x), dy> vs <w, dw> for " + s);
        }
    }

    @Test
    void col2imIsTheAdjointOfIm2col() {
        for (ConvolutionShape s : SHAPES) {
            float[] x = Close.randn(13, s.c() * s.inPlane());
            float[] col = Close.randn(14, s.patch() * s.outPlane());
            float[] xCol = new float[col.length];
            float[] colX = new float[x.length];
            Im2col.im2col(s, x, 0, xCol, 0, s.outPlane());
            Im2col.col2im(s, col, 0, s.outPlane(), colX, 0);
            assertEquals(Close.dot(xCol, col), Close.dot(x, colX), 1e-6 * (1 + col.length), "im2col adjoint " + s);
        }
    }

    @Test
    void smallPlanesShareAGemm() {
        assertEquals(4, Convolution.imagesPerGemm(new ConvolutionShape(64, 8, 7, 7, 8, 3, 3, 1, 1)));
        assertEquals(1, Convolution.imagesPerGemm(new ConvolutionShape(64, 8, 14, 14, 8, 3, 3, 1, 1)));
    }

    @Test
    void weightGroupsDependOnlyOnTheShape() {
        assertEquals(1, Convolution.weightGroups(new ConvolutionShape(1, 3, 5, 5, 4, 3, 3, 1, 1)));
        assertEquals(Convolution.MAX_WEIGHT_GROUPS, Convolution.weightGroups(new ConvolutionShape(64, 64, 28, 28, 64,
                3, 3, 1, 1)));
        // 1024 x 9216 floats per partial: the memory cap leaves one group
        assertEquals(1, Convolution.weightGroups(new ConvolutionShape(64, 1024, 4, 4, 2048, 3, 3, 1, 1)));
    }
}
