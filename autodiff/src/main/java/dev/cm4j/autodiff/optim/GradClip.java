package dev.cm4j.autodiff.optim;

import dev.cm4j.autodiff.Var;
import dev.cm4j.tensor.Tensor;

import java.util.Collection;

/** Gradient clipping by global norm, as {@code torch.nn.utils.clip_grad_norm_}. */
public final class GradClip {
    private GradClip() {
    }

    /** The L2 norm of all gradients together (parameters without a gradient count as zero), in double. */
    public static double globalNorm(Collection<Var> params) {
        double sum = 0;
        for (Var p : params) {
            Tensor g = p.grad();
            if (g == null) {
                continue;
            }
            float[] d = g.data();
            // sequential in a fixed order: the result does not depend on threads
            for (int i = g.offset(), end = g.offset() + g.size(); i < end; i++) {
                sum += (double) d[i] * d[i];
            }
        }
        return Math.sqrt(sum);
    }

    /**
     * Scales every gradient by maxNorm / (norm + 1e-6) when that factor is below 1 and returns the norm before
     * clipping (log it: spikes announce divergence).
     */
    public static double clipGlobalNorm(Collection<Var> params, double maxNorm) {
        if (!(maxNorm > 0)) {
            throw new IllegalArgumentException("clipGlobalNorm: max norm " + maxNorm + " must be > 0");
        }
        double norm = globalNorm(params);
        scaleToNorm(params, norm, maxNorm);
        return norm;
    }

    /**
     * The scaling of {@link #clipGlobalNorm} for gradients whose global norm is already known: multiplies every
     * gradient by maxNorm / (norm + 1e-6) when that factor is below 1, and says whether it did.
     */
    public static boolean scaleToNorm(Collection<Var> params, double norm, double maxNorm) {
        double coef = maxNorm / (norm + 1e-6);
        if (!(coef < 1)) {
            return false;
        }
        for (Var p : params) {
            if (p.grad() != null) {
                p.grad().mulInPlace((float) coef);
            }
        }
        return true;
    }
}
