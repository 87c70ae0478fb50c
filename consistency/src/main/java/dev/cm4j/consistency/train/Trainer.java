package dev.cm4j.consistency.train;

import dev.cm4j.autodiff.Var;
import dev.cm4j.autodiff.optim.Adam;
import dev.cm4j.autodiff.optim.Ema;
import dev.cm4j.autodiff.optim.LrSchedule;
import dev.cm4j.autodiff.optim.Optimizer;
import dev.cm4j.autodiff.optim.RAdam;
import dev.cm4j.consistency.KarrasSchedule;
import dev.cm4j.models.Module;
import dev.cm4j.tensor.Rng;
import dev.cm4j.tensor.Tensor;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The loop shared by every training algorithm: draw a batch, build the loss, back-propagate, update, checkpoint.
 *
 * <p>Per step, in the order of the released code (CM-SPEC gotcha 4): optimizer step, then the evaluation EMA
 * ({@code ema = rate ema + (1 - rate) theta}), then the algorithm's own update (the target network's EMA with the
 * rate of the current step, computed before the step count increments), then step += 1.
 *
 * <p>A loss that is not finite stops training before the update: the state of the last good step is saved (when
 * checkpointing is on) and a {@link TrainingDivergedException} names the step. All randomness comes from one
 * generator (and the network's own dropout generators) whose positions are saved, so a resumed run continues
 * bit-identically.
 */
public abstract class Trainer {
    private final String phase;
    protected final Preconditioned model;
    protected final DataSource data;
    protected final OptimConfig optim;
    /** The generator of batches, noise levels and noise. */
    protected final Rng rng;
    private final Optimizer optimizer;
    private final Ema evalEma;
    private final LrSchedule lrSchedule;
    private final List<Double> losses = new ArrayList<>();
    private long step;
    private Checkpointing checkpointing;
    private TrainingListener listener = TrainingListener.NONE;

    protected Trainer(String phase, Preconditioned model, DataSource data, OptimConfig optim, long seed) {
        if (model == null || data == null || optim == null) {
            throw new IllegalArgumentException(phase + ": model, data and optimisation settings must not be null");
        }
        this.phase = phase;
        this.model = model;
        this.data = data;
        this.optim = optim;
        this.rng = new Rng(seed);
        Map<String, Var> params = model.net().module().namedParameters();
        this.optimizer = optim.optimizer() == OptimConfig.Optimizer.ADAM
                ? new Adam(params, optim.lr(), optim.beta1(), optim.beta2(), 1e-8, 0, false)
                : new RAdam(params, optim.lr(), optim.beta1(), optim.beta2(), 1e-8, 0);
        this.evalEma = new Ema(params);
        this.lrSchedule = LrSchedule.warmup(optim.warmupSteps(), LrSchedule.constant(optim.lr()));
        model.net().module().train(true);
    }

    /** The loss of step {@code k} (0-based) as a scalar that records a graph through the model's parameters. */
    protected abstract Var loss(long k);

    /** The algorithm's own update after the optimizer step and the evaluation EMA (e.g. the target EMA). */
    protected void afterUpdate(long k) {
    }

    /** Extra state of the algorithm for checkpoints (e.g. the target network), by name. */
    protected Map<String, Tensor> extraState() {
        return Map.of();
    }

    /** Restores {@link #extraState()}. */
    protected void loadExtraState(Map<String, Tensor> state) {
    }

    /** A description of the settings; a checkpoint resumes only into a trainer with the same description. */
    protected abstract String settings();

    /** Saves the full state to {@code checkpointing.file()} every {@code every} steps and at the end. */
    public Trainer checkpointing(Checkpointing c) {
        this.checkpointing = c;
        return this;
    }

    public Trainer listener(TrainingListener l) {
        this.listener = l == null ? TrainingListener.NONE : l;
        return this;
    }

    /** Runs (or resumes) until {@code optim.steps()} steps are done. */
    public void train() {
        if (checkpointing != null && checkpointing.resume() && Files.exists(checkpointing.file())) {
            load(checkpointing.file());
        }
        Module module = model.net().module();
        module.train(true);
        while (step < optim.steps()) {
            optimizer.setLr(lrSchedule.at(step));
            Var loss = loss(step);
            double value = loss.item();
            if (!Double.isFinite(value)) {
                Path saved = null;
                if (checkpointing != null) {
                    save(checkpointing.file());
                    saved = checkpointing.file();
                }
                throw new TrainingDivergedException(phase, step, value, saved);
            }
            module.zeroGrad();
            loss.backward();
            optimizer.step();
            if (optim.evalEmaRate() > 0) {
                evalEma.update(optim.evalEmaRate());
            }
            afterUpdate(step);
            step++;
            losses.add(value);
            listener.onStep(phase, step, optim.steps(), value);
            if (checkpointing != null && (step % checkpointing.every() == 0 || step == optim.steps())) {
                save(checkpointing.file());
            }
        }
    }

    /** Steps completed. */
    public long step() {
        return step;
    }

    /** The loss of every completed step, resumed steps included. */
    public List<Double> losses() {
        return Collections.unmodifiableList(losses);
    }

    public String phase() {
        return phase;
    }

    /** The model being trained (its live weights, in training mode). */
    public Preconditioned model() {
        return model;
    }

    /**
     * A copy of the model holding the evaluation EMA weights, in eval mode: what samplers should use. Without an EMA
     * (rate 0) it holds the current weights.
     */
    public Preconditioned emaModel() {
        Preconditioned copy = model.copy();
        if (optim.evalEmaRate() > 0) {
            evalEma.copyTo(copy.net().module().namedParameters());
        }
        copy.net().module().eval();
        return copy;
    }

    // ---------------------------------------------------------------- checkpoints

    /** Writes the full training state to {@code file} (atomically). */
    public void save(Path file) {
        Module module = model.net().module();
        Map<String, Tensor> tensors = new LinkedHashMap<>();
        module.stateDict().forEach((k, v) -> tensors.put("model." + k, v));
        evalEma.shadow().forEach((k, v) -> tensors.put("ema." + k, v));
        optimizer.stateTensors().forEach((k, v) -> tensors.put("optim." + k, v));
        extraState().forEach((k, v) -> tensors.put("extra." + k, v));
        float[] history = new float[losses.size()];
        for (int i = 0; i < history.length; i++) {
            history[i] = losses.get(i).floatValue();
        }
        tensors.put("loss_history", Tensor.wrap(history, new int[] {history.length}));
        Map<String, String> meta = new LinkedHashMap<>();
        meta.put("phase", phase);
        meta.put("settings", settings());
        meta.put("step", Long.toString(step));
        meta.put("rng.position", Long.toString(rng.position()));
        module.rngPositions().forEach((k, v) -> meta.put("dropout." + k, Long.toString(v)));
        optimizer.stepCounts().forEach((k, v) -> meta.put("optim.step." + k, Long.toString(v)));
        try {
            TrainingState.write(file, tensors, meta);
        } catch (IOException e) {
            throw new UncheckedIOException(phase + ": cannot write checkpoint " + file, e);
        }
    }

    /** Restores a state written by {@link #save(Path)} with the same settings; nothing changes when it fails. */
    public void load(Path file) {
        TrainingState.Contents c;
        try {
            c = TrainingState.read(file);
        } catch (IOException e) {
            throw new UncheckedIOException(phase + ": cannot read checkpoint " + file, e);
        }
        Map<String, String> meta = c.metadata();
        if (!phase.equals(meta.get("phase")) || !settings().equals(meta.get("settings"))) {
            throw new IllegalArgumentException(phase + ": checkpoint " + file + " was written by '" + meta.get("phase")
                    + "' with settings " + meta.get("settings") + ", not " + settings());
        }
        Module module = model.net().module();
        Map<String, Long> stepCounts = new LinkedHashMap<>();
        optimizer.stepCounts().keySet().forEach(k -> stepCounts.put(k, c.longValue("optim.step." + k)));
        Map<String, Long> dropout = new LinkedHashMap<>();
        module.rngPositions().keySet().forEach(k -> dropout.put(k, c.longValue("dropout." + k)));
        long savedStep = c.longValue("step");
        long position = c.longValue("rng.position");
        Tensor history = c.tensor("loss_history");
        // strict loads: each checks names and shapes before it copies anything
        module.load(c.withPrefix("model."));
        evalEma.load(c.withPrefix("ema."));
        optimizer.loadState(c.withPrefix("optim."), stepCounts);
        loadExtraState(c.withPrefix("extra."));
        module.setRngPositions(dropout);
        rng.setPosition(position);
        step = savedStep;
        losses.clear();
        for (int i = 0; i < history.size(); i++) {
            losses.add((double) history.data()[history.offset() + i]);
        }
    }

    // ---------------------------------------------------------------- helpers for the algorithms

    /** A consistency model's epsilon must be the grid's sigmaMin, so that f(x, sigmaMin) = x holds exactly. */
    protected static void requireEpsilon(String phase, Preconditioned student, KarrasSchedule grid) {
        if (student.preconditioning().epsilon() != grid.sigmaMin()) {
            throw new IllegalArgumentException(phase + ": the consistency model's epsilon "
                    + student.preconditioning().epsilon() + " must equal the grid's sigmaMin " + grid.sigmaMin()
                    + " so that f(x, sigmaMin) = x");
        }
    }

    /** {@code x + scale_b z} per sample. */
    protected static Tensor addNoise(Tensor x, float[] scale, Tensor z) {
        return dev.cm4j.consistency.PerSample.combine("Trainer.addNoise", x, dev.cm4j.consistency.PerSample.fill(
                scale.length, 1), z, scale);
    }

    /** The weighted batch mean {@code mean_b w_b d_b} of per-sample values d (B). */
    protected static Var weightedMean(Var perSample, float[] weights) {
        if (weights == null) {
            return perSample.mean();
        }
        return perSample.mul(Var.constant(Tensor.wrap(weights, new int[] {weights.length}))).mean();
    }
}
