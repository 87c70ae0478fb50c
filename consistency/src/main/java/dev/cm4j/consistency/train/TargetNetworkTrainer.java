package dev.cm4j.consistency.train;

import dev.cm4j.autodiff.optim.Ema;
import dev.cm4j.consistency.KarrasSchedule;
import dev.cm4j.consistency.model.Preconditioned;
import dev.cm4j.tensor.Rng;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * A trainer with a target network theta- that follows the online weights by an EMA, {@code theta- = mu theta- +
 * (1 - mu) theta}, updated after the optimizer step and the evaluation EMA, with mu of the step just taken
 * (docs/ALGORITHMS.md#update-order). theta- starts equal to theta and runs in training mode.
 */
abstract class TargetNetworkTrainer extends Trainer {
    protected final Preconditioned target;
    private final Ema targetEma;

    TargetNetworkTrainer(String phase, Preconditioned student, KarrasSchedule grid, DataSource data,
                         OptimConfig optim, long seed) {
        super(phase, student, data, optim, seed);
        requireEpsilon(phase, student, grid);
        this.target = student.copy();
        this.target.net().module().train(true);
        this.targetEma = new Ema(student.net().module().namedParameters());
    }

    /** The target EMA rate after step k. */
    protected abstract double mu(long k);

    @Override
    protected final void afterUpdate(long k) {
        targetEma.update(mu(k));
        targetEma.copyTo(target.net().module().namedParameters());
    }

    @Override
    protected final Map<String, Ema> extraEmas() {
        return Map.of("target", targetEma);
    }

    /**
     * The target network's dropout generators: copies of the online network's that advance with the target passes,
     * so a resume must restore them too.
     */
    @Override
    protected final Map<String, Rng> extraRngs() {
        Map<String, Rng> out = new LinkedHashMap<>();
        target.net().module().rngs().forEach((path, r) -> out.put("target." + path, r));
        return out;
    }

    @Override
    protected final void afterLoad() {
        targetEma.copyTo(target.net().module().namedParameters());
    }

    /** The target network f_theta- (live weights). */
    public Preconditioned target() {
        return target;
    }
}
