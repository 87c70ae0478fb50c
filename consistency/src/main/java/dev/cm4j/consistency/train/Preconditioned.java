package dev.cm4j.consistency.train;

import dev.cm4j.autodiff.NoGrad;
import dev.cm4j.autodiff.Var;
import dev.cm4j.consistency.PerSample;
import dev.cm4j.consistency.Preconditioning;
import dev.cm4j.consistency.sampling.Denoiser;
import dev.cm4j.tensor.Tensor;

/**
 * A network wrapped in its preconditioning: {@code c_skip(sigma) x + c_out(sigma) F(c_in(sigma) x, c_noise(sigma))}
 * (Karras et al. 2022, eq. 7; Song et al. 2023, eq. 5). With {@link Preconditioning#edm} it is the EDM denoiser
 * D_phi; with {@link Preconditioning#consistency} the consistency function f_theta, which equals x at sigma = eps.
 *
 * @param net the raw network F
 * @param preconditioning the scalings and the c_noise encoding
 */
public record Preconditioned(NoiseConditionedNet net, Preconditioning preconditioning) {
    /** The differentiable output for x (B, ...) with one sigma per sample. */
    public Var forward(Var x, float[] sigma) {
        PerSample.check("Preconditioned.forward", x.value(), sigma);
        Var cIn = column(preconditioning.cIn(sigma), x.rank());
        Var cSkip = column(preconditioning.cSkip(sigma), x.rank());
        Var cOut = column(preconditioning.cOut(sigma), x.rank());
        Var cNoise = Var.constant(Tensor.wrap(preconditioning.cNoise(sigma), new int[] {sigma.length}));
        Var f = net.forward(x.mul(cIn), cNoise);
        return x.mul(cSkip).add(f.mul(cOut));
    }

    /** {@link #forward(Var, float[])} of a constant input. */
    public Var forward(Tensor x, float[] sigma) {
        return forward(Var.constant(x), sigma);
    }

    /**
     * The function as a {@link Denoiser} for the samplers: no graph is recorded. The network's train/eval mode is
     * left as it is (put it in eval mode for sampling).
     */
    public Denoiser denoiser() {
        return (x, sigma) -> {
            try (NoGrad ignored = NoGrad.enter()) {
                return forward(x, sigma).value();
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

    /** Per-sample coefficients as a constant (B, 1, ..., 1) that broadcasts against a batch of the given rank. */
    static Var column(float[] c, int rank) {
        int[] shape = new int[rank];
        java.util.Arrays.fill(shape, 1);
        shape[0] = c.length;
        return Var.constant(Tensor.wrap(c, shape));
    }
}
