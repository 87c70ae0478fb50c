package dev.cm4j.tornado;

import dev.cm4j.tensor.kernels.ConvolutionShape;
import uk.ac.manchester.tornado.api.GridScheduler;
import uk.ac.manchester.tornado.api.KernelContext;
import uk.ac.manchester.tornado.api.TaskGraph;
import uk.ac.manchester.tornado.api.enums.DataTransferMode;

/**
 * Execution plans of the three convolution passes at one shape.
 *
 * <p>Weights live on the device: graph 0 uploads the host weights and packs them (with the bias) into one device
 * buffer that it persists; graph 1, the computation, consumes that buffer and moves only activations. Graph 0 runs
 * on the first call and afterwards only when the caller's weights differ from the last upload (an optimizer step),
 * so inference uploads weights once, as {@code FIRST_EXECUTION} does, and training stays correct. The shape itself
 * is a {@code FIRST_EXECUTION} argument.
 */
final class ConvPlans {
    private ConvPlans() {
    }

    /** Uploads w (and bias) into a persisted device buffer when they changed; the base of the two weighted passes. */
    abstract static class Weighted extends DevicePlan {
        final ConvolutionShape s;
        final float[] w;
        final float[] bias;
        final float[] wb;
        private boolean uploaded;

        Weighted(String op, ConvolutionShape s, int biasLength) {
            super(op);
            this.s = s;
            w = new float[(int) s.weightSize()];
            bias = new float[Math.max(1, biasLength)];
            wb = new float[w.length + biasLength];
        }

        /** Graph 0: host w, bias -> wb = [w | bias], kept on the device for the graphs that consume it. */
        final TaskGraph weightsGraph() {
            return new TaskGraph(prefix + "w")
                    .transferToDevice(DataTransferMode.EVERY_EXECUTION, w, bias)
                    .task("pack", ConvShells::pack, w, bias, wb, w.length, wb.length - w.length)
                    .persistOnDevice(wb);
        }

        /** A compute graph that reads wb from the device. */
        final TaskGraph computeGraph() {
            return new TaskGraph(prefix + "c")
                    .consumeFromDevice(prefix + "w", wb)
                    .transferToDevice(DataTransferMode.FIRST_EXECUTION, s);
        }

        /** Runs graph 0 if the caller's weights (and bias; null means zeros) differ from the device copy. */
        final void syncWeights(float[] wSrc, int wOff, float[] biasSrc, int biasOff) {
            int nb = wb.length - w.length;
            boolean same = uploaded && Staging.same(wSrc, wOff, w);
            if (nb > 0) {
                same &= biasSrc == null ? isZero(bias) : Staging.same(biasSrc, biasOff, bias);
            }
            if (!same) {
                System.arraycopy(wSrc, wOff, w, 0, w.length);
                if (nb > 0) {
                    if (biasSrc == null) {
                        java.util.Arrays.fill(bias, 0f);
                    } else {
                        System.arraycopy(biasSrc, biasOff, bias, 0, nb);
                    }
                }
                run(0);
                uploaded = true;
            }
        }

        private static boolean isZero(float[] a) {
            for (float v : a) {
                if (v != 0f) {
                    return false;
                }
            }
            return true;
        }
    }

    /** x (N,C,H,W), w (K,C,kh,kw), bias (K) -> y (N,K,Ho,Wo), tiled implicit GEMM or one work-item per output. */
    static final class Forward extends Weighted {
        private final float[] x;
        private final float[] y;

        Forward(ConvolutionShape s, boolean tiled) {
            super(tiled ? "convTiled" : "conv", s, s.k());
            x = new float[(int) s.inputSize()];
            y = new float[(int) s.outputSize()];
            TaskGraph compute = computeGraph().transferToDevice(DataTransferMode.EVERY_EXECUTION, x);
            GridScheduler grid = null;
            if (tiled) {
                compute.task("t", TiledConv::forward, new KernelContext(), s, x, wb, y);
                grid = new GridScheduler(prefix + "c.t", TiledConv.grid(s));
            } else {
                compute.task("t", ConvShells::forward, s, x, wb, y);
            }
            compute.transferToHost(DataTransferMode.EVERY_EXECUTION, y);
            build(grid, weightsGraph().snapshot(), compute.snapshot());
        }

        void run(float[] xSrc, int xOff, float[] wSrc, int wOff, float[] biasSrc, int biasOff, float[] yDst, int yOff) {
            syncWeights(wSrc, wOff, biasSrc, biasOff);
            System.arraycopy(xSrc, xOff, x, 0, x.length);
            run(1);
            System.arraycopy(y, 0, yDst, yOff, y.length);
        }
    }

    /** dy (N,K,Ho,Wo), w (K,C,kh,kw) -> dx (N,C,H,W), one work-item per input element. */
    static final class BackwardData extends Weighted {
        private final float[] dy;
        private final float[] dx;

        BackwardData(ConvolutionShape s) {
            super("convBwdData", s, 0);
            dy = new float[(int) s.outputSize()];
            dx = new float[(int) s.inputSize()];
            TaskGraph compute = computeGraph()
                    .transferToDevice(DataTransferMode.EVERY_EXECUTION, dy)
                    .task("t", ConvShells::backwardData, s, dy, wb, dx)
                    .transferToHost(DataTransferMode.EVERY_EXECUTION, dx);
            build(null, weightsGraph().snapshot(), compute.snapshot());
        }

        void run(float[] dySrc, int dyOff, float[] wSrc, int wOff, float[] dxDst, int dxOff) {
            syncWeights(wSrc, wOff, null, 0);
            System.arraycopy(dySrc, dyOff, dy, 0, dy.length);
            run(1);
            System.arraycopy(dx, 0, dxDst, dxOff, dx.length);
        }
    }

    /** dy (N,K,Ho,Wo), x (N,C,H,W) -> dw (K,C,kh,kw), one work-item per weight. Activations only: one graph. */
    static final class BackwardWeight extends DevicePlan {
        private final float[] dy;
        private final float[] x;
        private final float[] dw;

        BackwardWeight(ConvolutionShape s) {
            super("convBwdWeight");
            dy = new float[(int) s.outputSize()];
            x = new float[(int) s.inputSize()];
            dw = new float[(int) s.weightSize()];
            TaskGraph g = new TaskGraph(prefix)
                    .transferToDevice(DataTransferMode.FIRST_EXECUTION, s)
                    .transferToDevice(DataTransferMode.EVERY_EXECUTION, dy, x)
                    .task("t", ConvShells::backwardWeight, s, dy, x, dw)
                    .transferToHost(DataTransferMode.EVERY_EXECUTION, dw);
            build(null, g.snapshot());
        }

        void run(float[] dySrc, int dyOff, float[] xSrc, int xOff, float[] dwDst, int dwOff) {
            System.arraycopy(dySrc, dyOff, dy, 0, dy.length);
            System.arraycopy(xSrc, xOff, x, 0, x.length);
            run();
            System.arraycopy(dw, 0, dwDst, dwOff, dw.length);
        }
    }
}
