package dev.cm4j.consistency.toy;

import dev.cm4j.autodiff.Losses;
import dev.cm4j.autodiff.Var;
import dev.cm4j.consistency.model.Preconditioned;
import dev.cm4j.consistency.train.OptimConfig;
import dev.cm4j.consistency.train.Trainer;
import dev.cm4j.tensor.Tensor;
import java.util.Arrays;

/**
 * A bound on what one-step distillation can reach with a given network and budget: the student is regressed
 * directly on the teacher's ODE solutions, {@code f(sigmaMax z, sigmaMax) ~ ODE(z)}, for a fixed set of pairs (noise
 * and the teacher's Heun samples from it), by the mean squared error at sigma max alone. Consistency distillation
 * learns the same map through the chain of the grid's neighbouring times and never sees the solution itself, so it
 * cannot do better than this regression at the same steps, batch and optimizer, unless the regression overfits its
 * pairs. Used by {@link CdProbeRun}'s setting {@code oracle}.
 */
final class OneStepRegression extends Trainer {
    private final float[] noise;
    private final float[] ends;
    private final int pairs;
    private final int dim;
    private final float sigmaMax;

    /**
     * @param student the consistency model to train (consistency preconditioning)
     * @param noise standard normal draws (P, d)
     * @param ends the teacher's ODE solution from each row of {@code noise} scaled by sigma max (P, d)
     */
    OneStepRegression(Preconditioned student, Tensor noise, Tensor ends, double sigmaMax, OptimConfig optim,
                      long seed) {
        super("oracle", student, (n, r) -> {
            throw new UnsupportedOperationException("OneStepRegression draws from its pairs");
        }, optim, seed);
        if (!Arrays.equals(noise.shape(), ends.shape()) || noise.shape().length != 2) {
            throw new IllegalArgumentException("OneStepRegression: noise and ends must be two (P, d) tensors of one "
                    + "shape, got " + Arrays.toString(noise.shape()) + " and " + Arrays.toString(ends.shape()));
        }
        this.noise = noise.data();
        this.ends = ends.data();
        this.pairs = noise.shape()[0];
        this.dim = noise.shape()[1];
        this.sigmaMax = (float) sigmaMax;
    }

    @Override
    protected Var loss(long k) {
        int batch = optim.batch();
        float[] x = new float[batch * dim];
        float[] y = new float[batch * dim];
        for (int b = 0; b < batch; b++) {
            int i = rng.nextInt(pairs);
            for (int j = 0; j < dim; j++) {
                x[b * dim + j] = sigmaMax * noise[i * dim + j];
                y[b * dim + j] = ends[i * dim + j];
            }
        }
        float[] t = new float[batch];
        Arrays.fill(t, sigmaMax);
        Var out = model.forward(Tensor.of(x, batch, dim), t);
        return Losses.msePerSample(out, Var.constant(Tensor.of(y, batch, dim))).mean();
    }

    @Override
    protected String settings() {
        return "one-step regression on " + pairs + " pairs at sigma " + sigmaMax + " " + optim;
    }
}
