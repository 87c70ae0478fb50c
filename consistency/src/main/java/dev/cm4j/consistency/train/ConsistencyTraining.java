package dev.cm4j.consistency.train;

import dev.cm4j.autodiff.Var;
import dev.cm4j.consistency.KarrasSchedule;
import dev.cm4j.consistency.model.Preconditioned;
import dev.cm4j.consistency.schedule.CtSchedule;
import dev.cm4j.tensor.Tensor;

/**
 * Consistency training, Algorithm 3 of Song et al. 2023 (docs/ALGORITHMS.md#consistency-training): CD with the teacher step replaced by the
 * unbiased estimate {@code x^ = x + sigma_{i+1} z} with the same z as the online input {@code x + sigma_i z}, on a
 * grid of N(k) points that grows during training, and a target EMA mu(k) (see {@link CtSchedule} for both and for
 * the paper-versus-code form of mu).
 *
 * <p>The student starts from scratch (JAX CIFAR-10) or, as the released PyTorch commands do, from the teacher's
 * weights: pass {@code Preconditioned.fromTeacher(...)} as the student for that.
 */
public final class ConsistencyTraining extends TargetNetworkTrainer {
    /**
     * @param schedule N(k) and mu(k)
     * @param distance the distance d
     * @param huberC the pseudo-Huber constant (unused by L1 and L2)
     * @param grid sigmaMin, sigmaMax and rho of the grid
     */
    public record Config(CtSchedule schedule, Distance distance, float huberC, KarrasSchedule grid) {
        public Config {
            if (schedule == null || distance == null || grid == null || !(huberC >= 0)) {
                throw new IllegalArgumentException("ConsistencyTraining.Config: schedule, distance and grid must be "
                        + "set and huberC >= 0");
            }
        }

        /**
         * The released settings for {@code dataset} ({@code cifar10}, {@code imagenet64} or {@code lsun256}; see
         * {@link CtSchedule#preset}) over K steps with the pseudo-Huber distance of iCT for samples of {@code dim}
         * elements (the released runs use LPIPS, which cm4j does not have).
         */
        public static Config preset(String dataset, long totalSteps, int dim) {
            return new Config(CtSchedule.preset(dataset, totalSteps), Distance.PSEUDO_HUBER, Distance.ictHuberC(dim),
                    KarrasSchedule.DEFAULT);
        }

        public Config withSchedule(CtSchedule v) {
            return new Config(v, distance, huberC, grid);
        }

        /** The same settings with another distance and pseudo-Huber constant (ignored by L1 and L2). */
        public Config withDistance(Distance v, float c) {
            return new Config(schedule, v, c, grid);
        }

        public Config withGrid(KarrasSchedule v) {
            return new Config(schedule, distance, huberC, v);
        }
    }

    private final Config config;

    public ConsistencyTraining(Preconditioned student, DataSource data, Config config, OptimConfig optim, long seed) {
        super("ct", student, config.grid(), data, optim, seed);
        this.config = config;
    }

    @Override
    protected Var loss(long k) {
        int n = config.schedule().n(k);
        double[] sigmas = config.grid().sigmas(n);
        int batch = optim.batch();
        DataSource.Batch drawn = data.batch(batch, rng);
        Tensor x = drawn.x();
        int[] labels = drawn.labels();
        // the released consistency_losses draws the noise before the pair indices
        Tensor z = noise.normal(x.shape());
        float[] t = new float[batch];
        float[] tNext = new float[batch];
        for (int b = 0; b < batch; b++) {
            int i = rng.nextInt(n - 1);
            t[b] = (float) sigmas[i];
            tNext[b] = (float) sigmas[i + 1];
        }
        Tensor xt = addNoise(x, t, z);
        Tensor targetOut = withoutTape(() -> target.forward(addNoise(x, tNext, z), tNext, labels).value());
        Var online = model.forward(xt, t, labels);
        return config.distance().perSample(online, Var.constant(targetOut), config.huberC()).mean();
    }

    @Override
    protected double mu(long k) {
        return config.schedule().mu(k);
    }

    @Override
    protected String settings() {
        return config + " " + optim + " " + model.preconditioning();
    }
}
