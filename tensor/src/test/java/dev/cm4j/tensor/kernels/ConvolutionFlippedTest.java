package dev.cm4j.tensor.kernels;

import static dev.cm4j.tensor.kernels.NNReference.toDouble;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.cm4j.tensor.Rng;
import dev.cm4j.tensor.Simd;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * The input gradient of a same convolution as a forward convolution of dy with the flipped, transposed kernel
 * ({@link Convolution#backwardDataFlipped}) against the double reference, {@link ConvolutionReference} and the
 * GEMM + col2im route, over odd sizes, remainders, kernels 1/3/5 and planes on both sides of a vector; which shapes
 * take it ({@link Convolution#flipsData}); and its errors. Its bits on 1 and 2 threads: {@link ConvolutionPackedTest}.
 */
class ConvolutionFlippedTest {
    private static final double TOL = 2e-5;

    /** Same convolutions: U-Net-like channel ratios, several images per GEMM, K above and below C, planes under L. */
    static final List<ConvolutionShape> SHAPES = List.of(
            new ConvolutionShape(3, 32, 28, 28, 32, 3, 3, 1, 1),   // a 28x28 U-Net layer, one image per GEMM
            new ConvolutionShape(5, 24, 14, 14, 16, 3, 3, 1, 1),   // plane 196: one image per GEMM
            new ConvolutionShape(5, 9, 13, 15, 20, 3, 3, 1, 1),    // plane 195: two images per GEMM, K > C
            new ConvolutionShape(9, 17, 7, 7, 13, 3, 3, 1, 1),     // four images per GEMM, then one
            new ConvolutionShape(2, 33, 9, 9, 30, 3, 3, 1, 1),     // 270 flipped patch rows: two k blocks
            new ConvolutionShape(4, 7, 10, 10, 6, 5, 5, 1, 2),     // 5x5, padding 2
            new ConvolutionShape(6, 13, 7, 7, 21, 1, 1, 1, 0),     // 1x1, four images per GEMM
            new ConvolutionShape(3, 19, 16, 17, 11, 1, 1, 1, 0),   // 1x1, one image per GEMM
            new ConvolutionShape(4, 32, 28, 28, 1, 3, 3, 1, 1),    // one output channel (the U-Net's last layer)
            new ConvolutionShape(5, 8, 3, 3, 6, 3, 3, 1, 1),       // 9-pixel planes: the flipped forward keeps im2col
            new ConvolutionShape(3, 3, 9, 9, 4, 3, 3, 1, 1));      // C = 3 rows: the vector GEMM does not pack

    @Test
    void flippedRouteMatchesReferencesAndTheCol2imRoute() {
        Rng rng = new Rng(41);
        List<ConvolutionShape> shapes = new ArrayList<>(SHAPES);
        while (shapes.size() < SHAPES.size() + 80) {
            ConvolutionShape s = Im2colPanelsTest.randomShape(rng, 7);
            if (Im2col.isSame(s)) {
                shapes.add(s);
            }
        }
        double largest = 0;
        ConvolutionShape where = null;
        for (ConvolutionShape s : shapes) {
            float[] x = Close.randn(1, (int) s.inputSize());
            float[] w = Close.randn(2, (int) s.weightSize() + 3);
            float[] dy = Close.randn(3, (int) s.outputSize() + 2);
            double[] expected = NNReference.conv2dBackward(s, toDouble(Arrays.copyOfRange(dy, 2, dy.length)),
                    toDouble(x), toDouble(Arrays.copyOfRange(w, 3, w.length)))[0];
            // NaN around and in dx: every element is overwritten, the float before it left alone
            float[] flipped = new float[(int) s.inputSize() + 1];
            float[] col2im = new float[flipped.length];
            float[] direct = new float[flipped.length];
            Arrays.fill(flipped, Float.NaN);
            Arrays.fill(col2im, Float.NaN);
            Arrays.fill(direct, Float.NaN);
            Convolution.backwardDataFlipped(s, dy, 2, w, 3, flipped, 1);
            Convolution.backwardData(s, dy, 2, w, 3, col2im, 1, false);
            ConvolutionReference.backwardData(s, dy, 2, w, 3, direct, 1);
            assertTrue(Float.isNaN(flipped[0]), "the float before dx is left alone, " + s);
            Close.assertClose("flipped route vs double reference " + s, expected, flipped, 1, TOL);
            Close.assertClose("col2im route vs double reference " + s, expected, col2im, 1, TOL);
            Close.assertClose("direct reference vs double reference " + s, expected, direct, 1, TOL);
            double scale = 0;
            double diff = 0;
            for (int i = 1; i < flipped.length; i++) {
                scale = Math.max(scale, Math.abs(expected[i - 1]));
                diff = Math.max(diff, Math.abs(flipped[i] - col2im[i]));
            }
            if (diff / (1 + scale) > largest) {
                largest = diff / (1 + scale);
                where = s;
            }
        }
        // float reassociation only: a few units in the last place of the largest values
        System.out.println("flipped vs col2im input gradient: largest difference " + largest
                + " of (1 + max |dx|), at " + where);
        assertTrue(largest < 1e-5, "flipped vs col2im route: " + largest + " at " + where);
    }

    @Test
    void theDefaultRouteGivesTheFlippedBitsWhereTheShapeTakesIt() {
        for (ConvolutionShape s : SHAPES) {
            float[] w = Close.randn(5, (int) s.weightSize());
            float[] dy = Close.randn(6, (int) s.outputSize());
            float[] byDefault = new float[(int) s.inputSize()];
            float[] expected = new float[byDefault.length];
            Convolution.backwardData(s, dy, 0, w, 0, byDefault, 0);
            if (Convolution.flipsData(s)) {
                Convolution.backwardDataFlipped(s, dy, 0, w, 0, expected, 0);
            } else {
                Convolution.backwardData(s, dy, 0, w, 0, expected, 0, false);
            }
            assertEquals(Arrays.toString(expected), Arrays.toString(byDefault), "default route for " + s);
        }
    }

    /** The shapes of UNet.Config.small28 at batch 32 that take the flipped route, and those that keep col2im. */
    @Test
    void routeIsChosenByTheShape() {
        List<ConvolutionShape> flipped = List.of(
                new ConvolutionShape(32, 32, 28, 28, 32, 3, 3, 1, 1),
                new ConvolutionShape(32, 96, 28, 28, 32, 3, 3, 1, 1),
                new ConvolutionShape(32, 32, 28, 28, 1, 3, 3, 1, 1),
                new ConvolutionShape(32, 32, 14, 14, 64, 3, 3, 1, 1),   // K > C, but 14-pixel rows
                new ConvolutionShape(32, 128, 7, 7, 64, 3, 3, 1, 1),
                new ConvolutionShape(32, 32, 14, 14, 64, 1, 1, 1, 0),
                new ConvolutionShape(32, 32, 28, 28, 64, 1, 1, 1, 0));  // 1x1, K > C
        for (ConvolutionShape s : flipped) {
            assertEquals(Simd.ENABLED, Convolution.flipsData(s), "flipped route (with the Vector API) for " + s);
        }
        List<ConvolutionShape> col2im = List.of(
                new ConvolutionShape(32, 32, 28, 28, 64, 3, 3, 1, 1),   // K > C with 28-pixel rows
                new ConvolutionShape(32, 32, 28, 28, 32, 3, 3, 2, 1),   // stride 2
                new ConvolutionShape(32, 1, 28, 28, 32, 3, 3, 1, 1),    // one input channel: a 1-row product
                new ConvolutionShape(32, 32, 28, 28, 32, 3, 3, 1, 0));  // valid padding
        for (ConvolutionShape s : col2im) {
            assertFalse(Convolution.flipsData(s), "col2im route for " + s);
        }
    }

    @Test
    void flippedRouteRejectsOtherGeometriesAndShortWeights() {
        ConvolutionShape strided = new ConvolutionShape(2, 3, 8, 8, 4, 3, 3, 2, 1);
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () ->
                Convolution.backwardDataFlipped(strided, new float[(int) strided.outputSize()], 0,
                        new float[(int) strided.weightSize()], 0, new float[(int) strided.inputSize()], 0));
        assertTrue(e.getMessage().contains("backward data") && e.getMessage().contains("stride 2"), e.getMessage());
        ConvolutionShape same = new ConvolutionShape(2, 3, 8, 8, 4, 3, 3, 1, 1);
        e = assertThrows(IllegalArgumentException.class, () ->
                Convolution.backwardDataFlipped(same, new float[(int) same.outputSize()], 0,
                        new float[(int) same.weightSize() - 1], 0, new float[(int) same.inputSize()], 0));
        assertTrue(e.getMessage().contains("(4, 3, 3, 3)") && e.getMessage().contains("107"), e.getMessage());
    }
}
