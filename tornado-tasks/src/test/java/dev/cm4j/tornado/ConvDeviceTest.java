package dev.cm4j.tornado;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.cm4j.tensor.Rng;
import dev.cm4j.tensor.backend.Backend;
import dev.cm4j.tensor.backend.Backends;
import dev.cm4j.tensor.kernels.ConvolutionReference;
import dev.cm4j.tensor.kernels.ConvolutionShape;
import org.junit.jupiter.api.Test;

/** Every convolution pass of the TornadoVM backend, both kernel families, against the CPU backend. */
class ConvDeviceTest extends BothKernelFamilies {
    // n, c, h, w, k, kh, kw, stride, padding: 3x3 "same", odd sizes, stride 2, 1x1, non-square kernels, no padding
    private static final ConvolutionShape[] SHAPES = {
        new ConvolutionShape(2, 3, 8, 8, 4, 3, 3, 1, 1),
        new ConvolutionShape(1, 5, 7, 9, 6, 3, 3, 2, 1),
        new ConvolutionShape(3, 17, 6, 5, 19, 1, 1, 1, 0),
        new ConvolutionShape(2, 4, 11, 10, 3, 5, 3, 1, 2),
        new ConvolutionShape(2, 8, 9, 9, 16, 3, 3, 1, 0),
        new ConvolutionShape(4, 32, 14, 14, 32, 3, 3, 1, 1),
    };
    private static final int OFF = 3;   // every operand sits at an offset inside a larger array


    @Test
    void forwardMatchesCpu() {
        Rng rng = new Rng(21);
        Backend cpu = Backends.cpu();
        for (ConvolutionShape s : SHAPES) {
            float[] x = DeviceCheck.normal(rng, OFF + (int) s.inputSize());
            float[] w = DeviceCheck.normal(rng, OFF + (int) s.weightSize());
            float[] bias = DeviceCheck.normal(rng, OFF + s.k());
            float[] want = new float[OFF + (int) s.outputSize()];
            cpu.conv2d(s, x, OFF, w, OFF, bias, OFF, want, OFF);
            for (TornadoBackend b : both()) {
                float[] got = new float[want.length];
                b.conv2d(s, x, OFF, w, OFF, bias, OFF, got, OFF);
                DeviceCheck.assertClose(label("conv2d", b, s), want, got);
            }
        }
    }

    @Test
    void changedWeightsReachTheDeviceAndNullBiasIsZero() {
        Rng rng = new Rng(22);
        ConvolutionShape s = SHAPES[0];
        float[] x = DeviceCheck.normal(rng, (int) s.inputSize());
        float[] w = DeviceCheck.normal(rng, (int) s.weightSize());
        for (TornadoBackend b : both()) {
            for (int step = 0; step < 3; step++) {
                if (step == 2) {
                    w[5] += 0.25f;                   // an optimizer step changes one weight in place
                }
                float[] want = new float[(int) s.outputSize()];
                Backends.cpu().conv2d(s, x, 0, w, 0, null, 0, want, 0);
                float[] got = new float[want.length];
                b.conv2d(s, x, 0, w, 0, null, 0, got, 0);
                DeviceCheck.assertClose(label("conv2d step " + step, b, s), want, got);
            }
        }
    }

    @Test
    void backwardDataMatchesCpu() {
        Rng rng = new Rng(23);
        for (ConvolutionShape s : SHAPES) {
            float[] dy = DeviceCheck.normal(rng, OFF + (int) s.outputSize());
            float[] w = DeviceCheck.normal(rng, OFF + (int) s.weightSize());
            float[] want = new float[OFF + (int) s.inputSize()];
            Backends.cpu().conv2dBackwardData(s, dy, OFF, w, OFF, want, OFF);
            float[] got = new float[want.length];
            parallel.conv2dBackwardData(s, dy, OFF, w, OFF, got, OFF);
            DeviceCheck.assertClose(label("conv2dBackwardData", parallel, s), want, got);
        }
    }

    @Test
    void backwardWeightMatchesCpu() {
        Rng rng = new Rng(24);
        for (ConvolutionShape s : SHAPES) {
            float[] dy = DeviceCheck.normal(rng, OFF + (int) s.outputSize());
            float[] x = DeviceCheck.normal(rng, OFF + (int) s.inputSize());
            float[] want = new float[OFF + (int) s.weightSize()];
            Backends.cpu().conv2dBackwardWeight(s, dy, OFF, x, OFF, want, OFF);
            float[] got = new float[want.length];
            parallel.conv2dBackwardWeight(s, dy, OFF, x, OFF, got, OFF);
            DeviceCheck.assertClose(label("conv2dBackwardWeight", parallel, s), want, got);
        }
    }

    @Test
    void plansAreCachedPerShape() {
        TornadoBackend b = TornadoBackend.open(false, 0);
        try {
            ConvolutionShape s = SHAPES[2];
            float[] x = new float[(int) s.inputSize()];
            float[] w = new float[(int) s.weightSize()];
            float[] y = new float[(int) s.outputSize()];
            b.conv2d(s, x, 0, w, 0, null, 0, y, 0);
            b.conv2d(s, x, 0, w, 0, null, 0, y, 0);
            assertEquals(1, b.planCount());
            b.conv2dBackwardWeight(s, y, 0, x, 0, w, 0);
            assertEquals(2, b.planCount());
        } finally {
            b.close();
        }
        assertEquals(0, b.planCount());
    }

    @Test
    void tiledTwinMatchesReference() {
        Rng rng = new Rng(25);
        for (ConvolutionShape s : SHAPES) {
            float[] x = DeviceCheck.normal(rng, (int) s.inputSize());
            float[] wb = DeviceCheck.normal(rng, (int) s.weightSize() + s.k());
            float[] want = new float[(int) s.outputSize()];
            ConvolutionReference.forward(s, x, 0, wb, 0, wb, (int) s.weightSize(), want, 0);
            float[] got = new float[want.length];
            TiledConv.reference(s, x, wb, got);
            DeviceCheck.assertClose("conv2d tiled twin " + s, want, got);
        }
    }

    private static String label(String op, TornadoBackend b, ConvolutionShape s) {
        return op + (b.tiled() ? " tiled " : " parallel ") + s;
    }
}
