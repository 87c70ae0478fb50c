package dev.cm4j.consistency.model;

import dev.cm4j.autodiff.NoGrad;
import dev.cm4j.autodiff.Var;
import dev.cm4j.consistency.PerSample;
import dev.cm4j.tensor.Tensor;
import java.util.Arrays;

/**
 * A network wrapped in its preconditioning: {@code c_skip(sigma) x + c_out(sigma) F(c_in(sigma) x, c_noise(sigma))}
 * (Karras et al. 2022, eq. 7; Song et al. 2023, eq. 5; docs/ALGORITHMS.md#preconditioning). With
 * {@link Preconditioning#edm} it is the EDM denoiser D_phi; with {@link Preconditioning#consistency} the consistency
 * function f_theta, which equals x at sigma = eps.
 *
 * <p>The c_noise encoding is the network's: a preconditioning without one takes it, a preconditioning that names
 * another is refused, so the noise levels always reach F in the form it was trained on.
 *
 * @param net the raw network F
 * @param preconditioning the scalings; its c_noise encoding is always the network's
 */
public record Preconditioned(NoiseConditionedNet net, Preconditioning preconditioning) {
    public Preconditioned {
        if (net == null || preconditioning == null) {
            throw new IllegalArgumentException("Preconditioned: network and preconditioning must not be null");
        }
        CNoise own = net.cNoise();
        if (own == null) {
            throw new IllegalArgumentException("Preconditioned: the network " + net.getClass().getSimpleName()
                    + " declares no c_noise encoding");
        }
        if (preconditioning.cNoise() == null) {
            preconditioning = preconditioning.withCNoise(own);
        } else if (preconditioning.cNoise() != own) {
            throw new IllegalArgumentException("Preconditioned: the preconditioning encodes c_noise as "
                    + preconditioning.cNoise() + " but the network " + net.getClass().getSimpleName() + " expects "
                    + own + "; leave the encoding unset to use the network's");
        }
    }

    /** The differentiable output for x (B, ...) with one sigma per sample, unconditional. */
    public Var forward(Var x, float[] sigma) {
        return forward(x, sigma, null);
    }

    /** The differentiable output for x (B, ...) with one sigma and (for a conditional network) one label per sample. */
    public Var forward(Var x, float[] sigma, int[] labels) {
        PerSample.check("Preconditioned.forward", x.value(), sigma);
        checkLabels(x.dim(0), labels);
        Var cIn = column(preconditioning.cIn(sigma), x.rank());
        Var cSkip = column(preconditioning.cSkip(sigma), x.rank());
        Var cOut = column(preconditioning.cOut(sigma), x.rank());
        Var cNoise = Var.constant(Tensor.wrap(preconditioning.cNoise(sigma), new int[] {sigma.length}));
        Var f = net.forward(x.mul(cIn), cNoise, labels);
        return x.mul(cSkip).add(f.mul(cOut));
    }

    /** {@link #forward(Var, float[], int[])} of a constant input. */
    public Var forward(Tensor x, float[] sigma, int[] labels) {
        return forward(Var.constant(x), sigma, labels);
    }

    /** {@link #forward(Var, float[])} of a constant input. */
    public Var forward(Tensor x, float[] sigma) {
        return forward(Var.constant(x), sigma, null);
    }

    /**
     * The function as a {@link Denoiser} for the samplers: no graph is recorded. The network's train/eval mode is
     * left as it is (put it in eval mode for sampling). Bind a conditional batch's labels with
     * {@link Denoiser#withLabels(int[])}.
     */
    public Denoiser denoiser() {
        return (x, sigma, labels) -> {
            try (NoGrad ignored = NoGrad.enter()) {
                return forward(x, sigma, labels).value();
            }
        };
    }

    /**
     * A consistency model that starts from a teacher's weights (CD always; CT as the released PyTorch commands do):
     * a copy of the teacher's network, in training mode, under the given (epsilon-shifted) preconditioning.
     */
    public static Preconditioned fromTeacher(Preconditioned teacher, Preconditioning preconditioning) {
        NoiseConditionedNet net = teacher.net().copy();
        net.module().train(true);
        return new Preconditioned(net, preconditioning);
    }

    /** The same network and scalings over a copy of the weights. */
    public Preconditioned copy() {
        return new Preconditioned(net.copy(), preconditioning);
    }

    private void checkLabels(int batch, int[] labels) {
        int classes = net.numClasses();
        if (classes == 0) {
            if (labels != null) {
                throw new IllegalArgumentException("Preconditioned.forward: the network is unconditional but "
                        + labels.length + " labels were given");
            }
            return;
        }
        if (labels == null) {
            throw new IllegalArgumentException("Preconditioned.forward: the network is class-conditional ("
                    + classes + " classes) and needs one label per sample; none were given");
        }
        if (labels.length != batch) {
            throw new IllegalArgumentException("Preconditioned.forward: " + labels.length + " labels for a batch of "
                    + batch);
        }
        for (int b = 0; b < labels.length; b++) {
            if (labels[b] < 0 || labels[b] >= classes) {
                throw new IllegalArgumentException("Preconditioned.forward: label " + labels[b] + " of sample " + b
                        + " is outside [0, " + classes + ") in " + Arrays.toString(labels));
            }
        }
    }

    /** Per-sample coefficients as a constant (B, 1, ..., 1) that broadcasts against a batch of the given rank. */
    static Var column(float[] c, int rank) {
        int[] shape = new int[rank];
        Arrays.fill(shape, 1);
        shape[0] = c.length;
        return Var.constant(Tensor.wrap(c, shape));
    }
}
