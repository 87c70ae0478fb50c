package dev.cm4j.consistency.train;

import dev.cm4j.autodiff.optim.GradClip;

/**
 * Optimisation settings shared by every trainer.
 *
 * @param steps total number of updates K
 * @param batch samples per update
 * @param lr peak learning rate
 * @param warmupSteps linear warm-up length (0 = none; the released code warms up only the EDM teacher)
 * @param optimizer ADAM or RADAM
 * @param beta1 first-moment decay (0.9)
 * @param beta2 second-moment decay (0.999; iCT uses 0.995)
 * @param evalEmaRate rate of the evaluation EMA of the weights, updated after every step (0 = none kept)
 * @param finalLrFraction the learning rate decays along a cosine to this fraction of {@code lr} at the last step;
 *                        1 keeps it constant (the papers' setting)
 * @param maxGradNorm before each update the gradients of all parameters together are scaled down to this L2 norm when
 *                    theirs is larger ({@link GradClip#clipGlobalNorm}); 0 = no clipping (the papers' setting)
 */
public record OptimConfig(long steps, int batch, double lr, long warmupSteps, Optimizer optimizer, double beta1,
                          double beta2, double evalEmaRate, double finalLrFraction, double maxGradNorm) {
    /** The optimizers the algorithms use. */
    public enum Optimizer {
        /** Adam (the EDM teacher, iCT). */
        ADAM,
        /** Rectified Adam (the released CD and CT runs). */
        RADAM
    }

    public OptimConfig {
        if (steps < 1 || batch < 1) {
            throw new IllegalArgumentException("OptimConfig: steps " + steps + " and batch " + batch + " must be >= 1");
        }
        if (!(lr > 0) || !Double.isFinite(lr)) {
            throw new IllegalArgumentException("OptimConfig: learning rate must be positive and finite, got " + lr);
        }
        if (warmupSteps < 0) {
            throw new IllegalArgumentException("OptimConfig: warm-up steps must be >= 0, got " + warmupSteps);
        }
        if (!(beta1 >= 0 && beta1 < 1) || !(beta2 >= 0 && beta2 < 1)) {
            throw new IllegalArgumentException("OptimConfig: betas must be in [0, 1), got " + beta1 + ", " + beta2);
        }
        if (!(evalEmaRate >= 0 && evalEmaRate < 1)) {
            throw new IllegalArgumentException("OptimConfig: the EMA rate must be in [0, 1), got " + evalEmaRate);
        }
        if (optimizer == null) {
            throw new IllegalArgumentException("OptimConfig: optimizer is null");
        }
        if (!(finalLrFraction >= 0 && finalLrFraction <= 1)) {
            throw new IllegalArgumentException("OptimConfig: the final learning-rate fraction must be in [0, 1], got "
                    + finalLrFraction);
        }
        if (!(maxGradNorm >= 0) || Double.isInfinite(maxGradNorm)) {
            throw new IllegalArgumentException("OptimConfig: the gradient norm bound must be finite and >= 0 "
                    + "(0 = none), got " + maxGradNorm);
        }
    }

    /** The settings before the gradient bound, without it: what a checkpoint of those settings holds. */
    public OptimConfig(long steps, int batch, double lr, long warmupSteps, Optimizer optimizer, double beta1,
                       double beta2, double evalEmaRate, double finalLrFraction) {
        this(steps, batch, lr, warmupSteps, optimizer, beta1, beta2, evalEmaRate, finalLrFraction, 0);
    }

    /** Adam (0.9, 0.999) without warm-up or EMA. */
    public static OptimConfig adam(long steps, int batch, double lr) {
        return new OptimConfig(steps, batch, lr, 0, Optimizer.ADAM, 0.9, 0.999, 0, 1);
    }

    /** RAdam (0.9, 0.999) without warm-up or EMA: the released CD and CT runs. */
    public static OptimConfig radam(long steps, int batch, double lr) {
        return adam(steps, batch, lr).withOptimizer(Optimizer.RADAM);
    }

    public OptimConfig withBatch(int newBatch) {
        return new OptimConfig(steps, newBatch, lr, warmupSteps, optimizer, beta1, beta2, evalEmaRate, finalLrFraction,
                maxGradNorm);
    }

    public OptimConfig withLr(double newLr) {
        return new OptimConfig(steps, batch, newLr, warmupSteps, optimizer, beta1, beta2, evalEmaRate, finalLrFraction,
                maxGradNorm);
    }

    public OptimConfig withWarmup(long warmup) {
        return new OptimConfig(steps, batch, lr, warmup, optimizer, beta1, beta2, evalEmaRate, finalLrFraction,
                maxGradNorm);
    }

    public OptimConfig withEvalEma(double rate) {
        return new OptimConfig(steps, batch, lr, warmupSteps, optimizer, beta1, beta2, rate, finalLrFraction,
                maxGradNorm);
    }

    public OptimConfig withBetas(double b1, double b2) {
        return new OptimConfig(steps, batch, lr, warmupSteps, optimizer, b1, b2, evalEmaRate, finalLrFraction,
                maxGradNorm);
    }

    public OptimConfig withOptimizer(Optimizer kind) {
        return new OptimConfig(steps, batch, lr, warmupSteps, kind, beta1, beta2, evalEmaRate, finalLrFraction,
                maxGradNorm);
    }

    /** A cosine decay of the learning rate to {@code fraction} of its peak at the last step. */
    public OptimConfig withCosineDecay(double fraction) {
        return new OptimConfig(steps, batch, lr, warmupSteps, optimizer, beta1, beta2, evalEmaRate, fraction,
                maxGradNorm);
    }

    public OptimConfig withSteps(long newSteps) {
        return new OptimConfig(newSteps, batch, lr, warmupSteps, optimizer, beta1, beta2, evalEmaRate, finalLrFraction,
                maxGradNorm);
    }

    /** The gradients clipped to the global L2 norm {@code bound} before each update; 0 = no clipping. */
    public OptimConfig withMaxGradNorm(double bound) {
        return new OptimConfig(steps, batch, lr, warmupSteps, optimizer, beta1, beta2, evalEmaRate, finalLrFraction,
                bound);
    }

    /**
     * The settings as checkpoints record them. Without clipping this is the text of the record before the bound was
     * added, so checkpoints saved then still resume; a bound adds {@code , maxGradNorm=...}.
     */
    @Override
    public String toString() {
        String base = "OptimConfig[steps=" + steps + ", batch=" + batch + ", lr=" + lr + ", warmupSteps=" + warmupSteps
                + ", optimizer=" + optimizer + ", beta1=" + beta1 + ", beta2=" + beta2 + ", evalEmaRate=" + evalEmaRate
                + ", finalLrFraction=" + finalLrFraction;
        return maxGradNorm == 0 ? base + "]" : base + ", maxGradNorm=" + maxGradNorm + "]";
    }
}
