package dev.cm4j.consistency.train;

import dev.cm4j.autodiff.Var;
import dev.cm4j.consistency.model.Preconditioned;
import dev.cm4j.consistency.schedule.IctSchedule;
import dev.cm4j.models.Module;
import dev.cm4j.tensor.Tensor;
import java.util.Map;

/**
 * Improved consistency training (Song and Dhariwal 2023; docs/ALGORITHMS.md#improved-consistency-training): consistency training with
 * <ul>
 *   <li>no EMA target: the target is the online network itself under no-grad (theta- = stopgrad(theta));</li>
 *   <li>the pseudo-Huber distance over the whole sample, c = 0.00054 sqrt(dim);</li>
 *   <li>log-normal pair sampling and the exponential curriculum N(k) of {@link IctSchedule};</li>
 *   <li>the weight lambda = 1 / (sigma_i - sigma_{i+1});</li>
 *   <li>the same dropout masks in the target and the online pass (the dropout generators are rewound between
 *       them).</li>
 * </ul>
 * An evaluation EMA is kept only for sampling ({@link OptimConfig#evalEmaRate()}).
 */
public final class ImprovedConsistencyTraining extends Trainer {
    /**
     * @param schedule curriculum, pair distribution and grid
     * @param huberC the pseudo-Huber constant; {@link Distance#ictHuberC(int)} gives the paper's value
     */
    public record Config(IctSchedule schedule, float huberC) {
        public Config {
            if (schedule == null || !(huberC >= 0)) {
                throw new IllegalArgumentException("ImprovedConsistencyTraining.Config: need a schedule and huberC >= 0, "
                        + "got " + schedule + ", " + huberC);
            }
        }

        /**
         * The schedule preset {@code name} ({@code paper} or {@code toy2d}, see {@link IctSchedule#preset}) over K
         * steps with the paper's pseudo-Huber constant 0.00054 sqrt(dim) for samples of {@code dim} elements.
         */
        public static Config preset(String name, long totalSteps, int dim) {
            return new Config(IctSchedule.preset(name, totalSteps), Distance.ictHuberC(dim));
        }

        public Config withSchedule(IctSchedule v) {
            return new Config(v, huberC);
        }

        public Config withHuberC(float v) {
            return new Config(schedule, v);
        }
    }

    private final Config config;
    private int cachedN = -1;
    private double[] sigmas;
    private double[] probabilities;
    private double[] weights;

    public ImprovedConsistencyTraining(Preconditioned student, DataSource data, Config config, OptimConfig optim,
                                       long seed) {
        super("ict", student, data, optim, seed);
        requireEpsilon("ict", student, config.schedule().grid());
        this.config = config;
    }

    @Override
    protected Var loss(long k) {
        int n = config.schedule().n(k);
        if (n != cachedN) {
            sigmas = config.schedule().sigmas(n);
            probabilities = config.schedule().pairProbabilities(sigmas);
            weights = IctSchedule.pairWeights(sigmas);
            cachedN = n;
        }
        int batch = optim.batch();
        DataSource.Batch drawn = data.batch(batch, rng);
        Tensor x = drawn.x();
        int[] pair = IctSchedule.samplePairs(probabilities, batch, rng);
        float[] t = new float[batch];
        float[] tNext = new float[batch];
        float[] lambda = new float[batch];
        for (int b = 0; b < batch; b++) {
            t[b] = (float) sigmas[pair[b]];
            tNext[b] = (float) sigmas[pair[b] + 1];
            lambda[b] = (float) weights[pair[b]];
        }
        return pairLoss(model, x, drawn.labels(), noise.normal(x.shape()), t, tNext, lambda, config.huberC());
    }

    /**
     * The weighted iCT loss of one batch: {@code mean_b lambda_b d(f(x + t_b z, t_b), stopgrad f(x + t'_b z, t'_b))}
     * with the pseudo-Huber distance, the target pass run first under no-grad and the online pass replaying its dropout
     * masks.
     */
    static Var pairLoss(Preconditioned model, Tensor x, int[] labels, Tensor z, float[] t, float[] tNext,
                        float[] lambda, float huberC) {
        Module module = model.net().module();
        Map<String, Long> masks = module.rngPositions();
        Tensor targetOut = Trainer.withoutTape(() -> model.forward(addNoise(x, tNext, z), tNext, labels).value());
        // rewind the dropout generators: the online pass draws the target pass's masks
        module.setRngPositions(masks);
        Var online = model.forward(addNoise(x, t, z), t, labels);
        Var d = Distance.PSEUDO_HUBER.perSample(online, Var.constant(targetOut), huberC);
        return weightedMean(d, lambda);
    }

    @Override
    protected String settings() {
        return config + " " + optim + " " + model.preconditioning();
    }
}
