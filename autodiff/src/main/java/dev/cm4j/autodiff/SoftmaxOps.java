package dev.cm4j.autodiff;

import dev.cm4j.tensor.NN;
import dev.cm4j.tensor.Tensor;

/** Softmax and log-softmax over the last axis; both backwards use only the forward's output. */
public final class SoftmaxOps {
    private SoftmaxOps() {
    }

    // x (..., n) -> y = exp(x) / sum exp(x): dx = y (g - sum(g y))
    public static Var softmax(Var x) {
        Tensor y = NN.softmax(x.value());
        return Var.result("softmax", y, g -> x.accumulateGrad(NN.softmaxBackward(g, y)), x);
    }

    // x (..., n) -> y = x - logsumexp(x): dx = g - exp(y) sum(g)
    public static Var logSoftmax(Var x) {
        Tensor y = NN.logSoftmax(x.value());
        return Var.result("logSoftmax", y, g -> x.accumulateGrad(NN.logSoftmaxBackward(g, y)), x);
    }
}
