package dev.cm4j.autodiff;

import dev.cm4j.tensor.NN;
import dev.cm4j.tensor.Tensor;

/** Convolution, 2x2 average pooling and nearest 2x upsampling (NCHW), each beside its adjoint kernels. */
public final class ConvOps {
    private ConvOps() {
    }

    /**
     * x (N,C,H,W), w (K,C,kh,kw), b (K) or null -> y (N,K,H',W') with a square stride and zero padding on every side.
     * dx is the transposed convolution of g, dw correlates g with x, db sums g over N, H', W'.
     */
    public static Var conv2d(Var x, Var w, Var b, int stride, int padding) {
        Tensor xv = x.value(), wv = w.value();
        Tensor y = NN.conv2d(xv, wv, b == null ? null : b.value(), stride, padding);
        int[] xs = x.shape(), ws = w.shape();
        // each gradient is a fresh tensor handed on as the input's own
        Backward rule = g -> {
            if (x.needsGrad()) {
                x.accumulateGrad(NN.conv2dBackwardData(g, wv, xs, stride, padding), true);
            }
            if (w.needsGrad()) {
                w.accumulateGrad(NN.conv2dBackwardWeight(g, xv, ws, stride, padding), true);
            }
            if (b != null && b.needsGrad()) {
                b.accumulateGrad(NN.conv2dBackwardBias(g), true);
            }
        };
        return b == null ? Var.result("conv2d", y, rule, x, w) : Var.result("conv2d", y, rule, x, w, b);
    }

    // x (N,C,H,W) -> y (N,C,H/2,W/2), each output the mean of a 2x2 window: dx = g / 4 on each window
    public static Var avgPool2x2(Var x) {
        return Var.result("avgPool2x2", NN.avgPool2x2(x.value()),
                g -> x.accumulateGrad(NN.avgPool2x2Backward(g)), x);
    }

    // x (N,C,H,W) -> y (N,C,2H,2W), each input copied to a 2x2 block: dx = g summed over each block
    public static Var upsampleNearest2x(Var x) {
        return Var.result("upsampleNearest2x", NN.upsampleNearest2x(x.value()),
                g -> x.accumulateGrad(NN.upsampleNearest2xBackward(g)), x);
    }
}
