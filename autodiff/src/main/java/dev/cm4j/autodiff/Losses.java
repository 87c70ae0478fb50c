package dev.cm4j.autodiff;

/**
 * Building blocks of the consistency losses, composed from recorded ops (so their gradients come for free).
 *
 * <p>The pseudo-Huber distance of iCT (Song and Dhariwal 2023, section 3.3) uses the norm of the whole sample:
 * d(a, b) = sqrt(||a - b||^2 + c^2) - c per sample, never per pixel.
 */
public final class Losses {
    private Losses() {
    }

    /** Per-sample squared L2 norm: x (N, ...) -> (N), summing every axis but the first. */
    public static Var sumSquaresPerSample(Var x) {
        int rank = x.rank();
        if (rank < 1) {
            throw new IllegalArgumentException("sumSquaresPerSample: input of rank 0 has no sample axis");
        }
        if (rank == 1) {
            return x.square();
        }
        int[] axes = new int[rank - 1];
        for (int i = 1; i < rank; i++) {
            axes[i - 1] = i;
        }
        return x.square().sum(false, axes);
    }

    /** Per-sample mean squared error: a, b (N, ...) -> (N). */
    public static Var msePerSample(Var a, Var b) {
        Var d = a.sub(b);
        return sumSquaresPerSample(d).div((float) (d.size() / Math.max(1, d.dim(0))));
    }

    /**
     * Per-sample pseudo-Huber distance sqrt(||a - b||^2 + c^2) - c: a, b (N, ...) -> (N). With c = 0 it is the plain
     * L2 norm (ECT's loss), whose gradient is undefined where a equals b.
     */
    public static Var pseudoHuber(Var a, Var b, float c) {
        if (!(c >= 0f)) {
            throw new IllegalArgumentException("pseudoHuber: c must be >= 0, got " + c);
        }
        return sumSquaresPerSample(a.sub(b)).add(c * c).sqrt().sub(c);
    }

    /** Mean over the batch of -sum(target * logSoftmax(logits)): logits (N, K), target (N, K) probabilities. */
    public static Var crossEntropy(Var logits, Var target) {
        return SoftmaxOps.logSoftmax(logits).mul(target).sum().div(-logits.dim(0));
    }
}
