package dev.cm4j.autodiff.optim;

/**
 * A learning rate as a function of the number of steps already taken ({@code step} = 0 for the first update).
 * Apply one with {@code optimizer.setLr(schedule.at(step))} before each update.
 */
@FunctionalInterface
public interface LrSchedule {
    double at(long step);

    /** The same rate at every step (the consistency-models default: no annealing). */
    static LrSchedule constant(double lr) {
        return step -> lr;
    }

    /**
     * Linear warm-up over the first {@code warmupSteps} updates: rate(step) = inner(step) min(1, (step + 1) /
     * warmupSteps), so the first update uses 1/warmupSteps of the rate and update number warmupSteps the full rate.
     */
    static LrSchedule warmup(long warmupSteps, LrSchedule inner) {
        if (warmupSteps < 0) {
            throw new IllegalArgumentException("LrSchedule.warmup: warm-up steps " + warmupSteps + " must be >= 0");
        }
        return step -> inner.at(step) * (warmupSteps == 0 ? 1.0 : Math.min(1.0, (step + 1.0) / warmupSteps));
    }

    /** Cosine decay from {@code lr} at step 0 to {@code lrMin} at {@code totalSteps}, then constant lrMin. */
    static LrSchedule cosine(double lr, double lrMin, long totalSteps) {
        if (totalSteps <= 0) {
            throw new IllegalArgumentException("LrSchedule.cosine: total steps " + totalSteps + " must be > 0");
        }
        return step -> {
            double f = Math.min(1.0, (double) step / totalSteps);
            return lrMin + 0.5 * (lr - lrMin) * (1 + Math.cos(Math.PI * f));
        };
    }

    /** Linear decay from {@code lr} at step 0 to {@code lrEnd} at {@code totalSteps}, then constant lrEnd. */
    static LrSchedule linear(double lr, double lrEnd, long totalSteps) {
        if (totalSteps <= 0) {
            throw new IllegalArgumentException("LrSchedule.linear: total steps " + totalSteps + " must be > 0");
        }
        return step -> lr + (lrEnd - lr) * Math.min(1.0, (double) step / totalSteps);
    }
}
