package dev.cm4j.consistency.train;

import dev.cm4j.autodiff.Var;
import dev.cm4j.consistency.PerSample;
import dev.cm4j.consistency.model.Preconditioned;
import dev.cm4j.consistency.schedule.EctSchedule;
import dev.cm4j.models.Module;
import dev.cm4j.models.io.TrainingState;
import dev.cm4j.tensor.Tensor;
import java.util.Map;

/**
 * Easy consistency tuning (Geng et al. 2024, "Consistency models made easy", section 3;
 * docs/ALGORITHMS.md#easy-consistency-tuning): consistency training that starts from a trained EDM teacher's weights
 * and needs no teacher call. Per sample:
 * <ul>
 *   <li>t with {@code ln t ~ N(P_mean, P_std^2)} and the target time r = r(t) of the current stage
 *       ({@link EctSchedule});</li>
 *   <li>one noise draw z for both inputs: {@code x_t = x + t z}, {@code x_r = x + r z};</li>
 *   <li>the target {@code f(x_r, r)} is the same network under no-grad with the online pass's dropout masks, and the
 *       data point x itself where r = 0;</li>
 *   <li>loss {@code w(t, r) (sqrt(||f(x_t, t) - f(x_r, r)||^2 + c^2) - c)} over the whole sample; c = 0 (the
 *       released default) is the unsquared norm.</li>
 * </ul>
 * Optionally ({@link ImprovedConsistencyTraining.Target#BATCH_POSTERIOR}) the target input is built from the batch's
 * estimate of E[x0 | x_t] instead of the sample itself, {@code x_r + (1 - r/t) (x0_hat - x)} ({@link StableTarget}),
 * as for iCT; where r = 0 the target is then that input, x0_hat. The default is the paper's pair.
 * The model keeps the teacher's eps-free scalings (so f(x, 0) = x and the network starts exactly as the teacher), as
 * the released code trains; its switch to eps-shifted scalings (sigma_min 0.003) for sampling moves an output by
 * O(eps) and is not made here. An evaluation EMA is kept for sampling only ({@link OptimConfig#evalEmaRate()}).
 */
public final class EasyConsistencyTuning extends Trainer {
    /** The loss weight w(t, r). */
    public enum Weighting {
        /** {@code 1 / (t - r)}: the paper and the first release. */
        INVERSE_GAP,
        /** {@code 1/t^2 + 1/sd^2}, EDM's lambda ({@code snrpk} in later releases). */
        EDM;

        /** w(t, r) for a model of data standard deviation {@code sigmaData}. */
        public double of(double t, double r, double sigmaData) {
            return switch (this) {
                case INVERSE_GAP -> 1 / (t - r);
                case EDM -> 1 / (t * t) + 1 / (sigmaData * sigmaData);
            };
        }
    }

    /**
     * @param schedule t distribution, mapping r(t) and its stages
     * @param huberC the pseudo-Huber constant c >= 0 (0: the unsquared norm, the released default)
     * @param weighting w(t, r)
     * @param target the x0 estimate the target input is built from ({@link ImprovedConsistencyTraining.Target#SAMPLE}:
     *               the paper's {@code x + r z})
     * @param extraReferences clean samples drawn besides the batch for the stable target's weights (drawn after the
     *                        step's noise); 0 for {@code SAMPLE}
     */
    public record Config(EctSchedule schedule, float huberC, Weighting weighting,
                         ImprovedConsistencyTraining.Target target, int extraReferences) {
        public Config {
            if (schedule == null || weighting == null || target == null) {
                throw new IllegalArgumentException("EasyConsistencyTuning.Config: need a schedule, a weighting and a "
                        + "target, got " + schedule + ", " + weighting + ", " + target);
            }
            if (extraReferences < 0
                    || (target == ImprovedConsistencyTraining.Target.SAMPLE && extraReferences != 0)) {
                throw new IllegalArgumentException("EasyConsistencyTuning.Config: extra reference samples must be "
                        + ">= 0, and 0 for the target SAMPLE; got " + extraReferences + " for " + target);
            }
            if (!(huberC >= 0) || !Float.isFinite(huberC)) {
                throw new IllegalArgumentException("EasyConsistencyTuning.Config: the pseudo-Huber constant c = "
                        + huberC + " must be finite and >= 0");
            }
        }

        /**
         * The preset {@code name} over K steps, weight 1/(t - r): {@code paper} ({@link EctSchedule#paper}, c = 0, the
         * released CIFAR-10 settings) or {@code toy2d} ({@link EctSchedule#toy2d}, c = 0.01: on the 2-D toys the
         * unsquared norm of c = 0 left one-step samples at 2-4x the teacher's SW1, docs/RESULTS.md#ect-on-the-2-d-toys).
         */
        public static Config preset(String name, long totalSteps) {
            EctSchedule schedule = EctSchedule.preset(name, totalSteps);
            return new Config(schedule, name.equals("toy2d") ? 0.01f : 0f, Weighting.INVERSE_GAP);
        }

        /** The paper's target ({@link ImprovedConsistencyTraining.Target#SAMPLE}). */
        public Config(EctSchedule schedule, float huberC, Weighting weighting) {
            this(schedule, huberC, weighting, ImprovedConsistencyTraining.Target.SAMPLE, 0);
        }

        public Config withSchedule(EctSchedule v) {
            return new Config(v, huberC, weighting, target, extraReferences);
        }

        public Config withHuberC(float v) {
            return new Config(schedule, v, weighting, target, extraReferences);
        }

        public Config withWeighting(Weighting v) {
            return new Config(schedule, huberC, v, target, extraReferences);
        }

        /** The target estimate {@code v} with {@code extra} reference samples besides the batch. */
        public Config withTarget(ImprovedConsistencyTraining.Target v, int extra) {
            return new Config(schedule, huberC, weighting, v, extra);
        }

        /**
         * The settings as the checkpoints record them: with the paper's target the text of the record before the target
         * was added, so checkpoints saved then still resume; another target adds {@code , target=...,
         * extraReferences=...}.
         */
        @Override
        public String toString() {
            String base = "Config[schedule=" + schedule + ", huberC=" + huberC + ", weighting=" + weighting;
            return target == ImprovedConsistencyTraining.Target.SAMPLE ? base + "]"
                    : base + ", target=" + target + ", extraReferences=" + extraReferences + "]";
        }
    }

    private final Config config;

    /**
     * @param student the model to tune, in the teacher's eps-free form: normally
     *                {@code Preconditioned.fromTeacher(teacherEma, teacherEma.preconditioning())}
     */
    public EasyConsistencyTuning(Preconditioned student, DataSource data, Config config, OptimConfig optim, long seed) {
        super("ect", student, data, optim, seed);
        if (config == null) {
            throw new IllegalArgumentException("ect: config is null");
        }
        if (student.preconditioning().epsilon() != 0) {
            throw new IllegalArgumentException("ect: the model must keep the teacher's eps-free scalings (epsilon = 0, "
                    + "so that f(x, 0) = x is the target where r = 0), got epsilon = "
                    + student.preconditioning().epsilon());
        }
        this.config = config;
        // the model starts from the teacher's weights: they are the parent every checkpoint records (parent(...)
        // overrides it)
        parent(TrainingState.contentHash(student.net().module().stateDict()));
    }

    @Override
    protected Var loss(long k) {
        EctSchedule schedule = config.schedule();
        int stage = schedule.stage(k);
        int batch = optim.batch();
        DataSource.Batch drawn = data.batch(batch, rng);
        Tensor x = drawn.x();
        Tensor lnT = noise.normal(batch);
        double sd = model.preconditioning().sigmaData();
        float[] t = new float[batch];
        float[] r = new float[batch];
        float[] weight = new float[batch];
        for (int b = 0; b < batch; b++) {
            t[b] = (float) schedule.t(lnT.data()[lnT.offset() + b]);
            r[b] = (float) schedule.r(t[b], stage);
            weight[b] = (float) config.weighting().of(t[b], r[b], sd);
        }
        Tensor z = noise.normal(x.shape());
        if (config.target() == ImprovedConsistencyTraining.Target.SAMPLE) {
            return pairLoss(model, x, drawn.labels(), z, t, r, weight, config.huberC());
        }
        Tensor online = addNoise(x, t, z);
        Tensor targetInput = StableTarget.targetInput("ect", data, rng, drawn, config.extraReferences(), online,
                addNoise(x, r, z), t, r);
        return pairLoss(model, online, targetInput, drawn.labels(), t, r, weight, config.huberC());
    }

    /**
     * The weighted ECT loss of one batch: {@code mean_b w_b d(f(x + t_b z, t_b), stopgrad f(x + r_b z, r_b))}, the
     * target x_b where r_b = 0. The target pass runs first under no-grad and the online pass replays its dropout
     * masks. x (B, ...), z like x, t, r and w (B).
     */
    static Var pairLoss(Preconditioned model, Tensor x, int[] labels, Tensor z, float[] t, float[] r, float[] w,
                        float huberC) {
        return pairLoss(model, addNoise(x, t, z), x, addNoise(x, r, z), labels, t, r, w, huberC);
    }

    /**
     * The same loss for given inputs: the online pass at {@code xt} (level t), the target pass at {@code xr} (level r),
     * the target {@code xr} itself where r = 0 (f(y, 0) = y).
     */
    static Var pairLoss(Preconditioned model, Tensor xt, Tensor xr, int[] labels, float[] t, float[] r, float[] w,
                        float huberC) {
        return pairLoss(model, xt, xr, xr, labels, t, r, w, huberC);
    }

    /** The loss with {@code atZero} as the target of the rows where r = 0. */
    private static Var pairLoss(Preconditioned model, Tensor xt, Tensor atZero, Tensor xr, int[] labels, float[] t,
                                float[] r, float[] w, float huberC) {
        Module module = model.net().module();
        Map<String, Long> masks = module.rngPositions();
        Tensor target = Trainer.withoutTape(() -> target(model, xr, atZero, labels, t, r));
        // rewind the dropout generators: the online pass draws the target pass's masks
        module.setRngPositions(masks);
        Var online = model.forward(xt, t, labels);
        Var d = Distance.PSEUDO_HUBER.perSample(online, Var.constant(target), huberC);
        return weightedMean(d, w);
    }

    /**
     * f(xr, r) per sample, and {@code atZero} where r = 0 (c_noise of 0 is not finite: those rows run at level t
     * instead and are replaced, so every row draws its dropout mask as in the online pass).
     */
    private static Tensor target(Preconditioned model, Tensor xr, Tensor atZero, int[] labels, float[] t, float[] r) {
        int batch = r.length;
        float[] level = new float[batch];
        float[] keep = new float[batch];
        float[] data = new float[batch];
        boolean anyZero = false;
        for (int b = 0; b < batch; b++) {
            boolean zero = r[b] <= 0;
            anyZero |= zero;
            level[b] = zero ? t[b] : r[b];
            keep[b] = zero ? 0 : 1;
            data[b] = zero ? 1 : 0;
        }
        Tensor out = model.forward(xr, level, labels).value();
        return anyZero ? PerSample.combine("EasyConsistencyTuning.target", out, keep, atZero, data) : out;
    }

    @Override
    protected String settings() {
        return config + " " + optim + " " + model.preconditioning();
    }
}
