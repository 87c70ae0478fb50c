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
 * Optionally ({@link Target#BATCH_POSTERIOR}) the target pair is built from the batch's estimate of E[x0 | x_t]
 * instead of the sample itself ({@link StableTarget}); the default is the paper's pair.
 * An evaluation EMA is kept only for sampling ({@link OptimConfig#evalEmaRate()}).
 */
public final class ImprovedConsistencyTraining extends Trainer {
    /**
     * The estimate of the clean sample that iCT's target pair is built from ({@link StableTarget}): the pair
     * {@code (x + t z, x + s z)} is one Euler step of the probability-flow ODE from t to s with the denoiser estimate
     * {@code x0_hat = x}.
     */
    public enum Target {
        /** {@code x0_hat = x}, the sample itself: the paper's pair {@code (x + t z, x + s z)}. */
        SAMPLE,
        /**
         * {@code x0_hat} = the softmax-weighted average of the batch's clean samples (and of
         * {@link Config#extraReferences()} more draws) under {@code N(x_t; x_j, t^2 I)}, the stable target field
         * (Xu et al. 2023): the target input becomes {@code (x + s z) + (1 - s/t) (x0_hat - x)}.
         */
        BATCH_POSTERIOR
    }

    /**
     * @param schedule curriculum, pair distribution and grid
     * @param huberC the pseudo-Huber constant; {@link Distance#ictHuberC(int)} gives the paper's value
     * @param target the x0 estimate of the target pair ({@link Target#SAMPLE}: the paper's)
     * @param extraReferences clean samples drawn besides the batch for {@link Target#BATCH_POSTERIOR}'s weights (drawn
     *                        after the step's noise, so the batch, pairs and noise stay those of the run without them);
     *                        0 for {@link Target#SAMPLE}
     */
    public record Config(IctSchedule schedule, float huberC, Target target, int extraReferences) {
        public Config {
            if (schedule == null || !(huberC >= 0) || target == null) {
                throw new IllegalArgumentException("ImprovedConsistencyTraining.Config: need a schedule, huberC >= 0 "
                        + "and a target, got " + schedule + ", " + huberC + ", " + target);
            }
            if (extraReferences < 0 || (target == Target.SAMPLE && extraReferences != 0)) {
                throw new IllegalArgumentException("ImprovedConsistencyTraining.Config: extra reference samples must "
                        + "be >= 0, and 0 for the target SAMPLE; got " + extraReferences + " for " + target);
            }
        }

        /** The paper's target pair ({@link Target#SAMPLE}). */
        public Config(IctSchedule schedule, float huberC) {
            this(schedule, huberC, Target.SAMPLE, 0);
        }

        /**
         * The schedule preset {@code name} ({@code paper} or {@code toy2d}, see {@link IctSchedule#preset}) over K
         * steps with the paper's pseudo-Huber constant 0.00054 sqrt(dim) for samples of {@code dim} elements.
         */
        public static Config preset(String name, long totalSteps, int dim) {
            return new Config(IctSchedule.preset(name, totalSteps), Distance.ictHuberC(dim));
        }

        public Config withSchedule(IctSchedule v) {
            return new Config(v, huberC, target, extraReferences);
        }

        public Config withHuberC(float v) {
            return new Config(schedule, v, target, extraReferences);
        }

        /** The target estimate {@code v} with {@code extra} reference samples besides the batch. */
        public Config withTarget(Target v, int extra) {
            return new Config(schedule, huberC, v, extra);
        }

        /**
         * The settings as the checkpoints record them. With the paper's target this is the text of the record before
         * the target was added ({@code Config[schedule=..., huberC=...]}), so checkpoints saved then still resume;
         * another target adds {@code , target=..., extraReferences=...}.
         */
        @Override
        public String toString() {
            String base = "Config[schedule=" + schedule + ", huberC=" + huberC;
            return target == Target.SAMPLE ? base + "]"
                    : base + ", target=" + target + ", extraReferences=" + extraReferences + "]";
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
        Tensor z = noise.normal(x.shape());
        Tensor online = addNoise(x, t, z);
        Tensor target = addNoise(x, tNext, z);
        if (config.target() == Target.BATCH_POSTERIOR) {
            target = StableTarget.targetInput("ict", data, rng, drawn, config.extraReferences(), online, target, t,
                    tNext);
        }
        return pairLoss(model, online, target, drawn.labels(), t, tNext, lambda, config.huberC());
    }

    /**
     * The weighted iCT loss of one batch: {@code mean_b lambda_b d(f(x + t_b z, t_b), stopgrad f(x + t'_b z, t'_b))}
     * with the pseudo-Huber distance, the target pass run first under no-grad and the online pass replaying its dropout
     * masks.
     */
    static Var pairLoss(Preconditioned model, Tensor x, int[] labels, Tensor z, float[] t, float[] tNext,
                        float[] lambda, float huberC) {
        return pairLoss(model, addNoise(x, t, z), addNoise(x, tNext, z), labels, t, tNext, lambda, huberC);
    }

    /** The same loss for given inputs: the online pass at {@code xt} (noise t), the target pass at {@code xs}. */
    static Var pairLoss(Preconditioned model, Tensor xt, Tensor xs, int[] labels, float[] t, float[] tNext,
                        float[] lambda, float huberC) {
        Module module = model.net().module();
        Map<String, Long> masks = module.rngPositions();
        Tensor targetOut = Trainer.withoutTape(() -> model.forward(xs, tNext, labels).value());
        // rewind the dropout generators: the online pass draws the target pass's masks
        module.setRngPositions(masks);
        Var online = model.forward(xt, t, labels);
        Var d = Distance.PSEUDO_HUBER.perSample(online, Var.constant(targetOut), huberC);
        return weightedMean(d, lambda);
    }

    @Override
    protected String settings() {
        return config + " " + optim + " " + model.preconditioning();
    }
}
