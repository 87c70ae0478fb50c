package dev.cm4j.consistency.train;

import dev.cm4j.autodiff.NoGrad;
import dev.cm4j.autodiff.Var;
import dev.cm4j.autodiff.optim.Adam;
import dev.cm4j.autodiff.optim.Ema;
import dev.cm4j.autodiff.optim.GradClip;
import dev.cm4j.autodiff.optim.LrSchedule;
import dev.cm4j.autodiff.optim.Optimizer;
import dev.cm4j.autodiff.optim.RAdam;
import dev.cm4j.consistency.KarrasSchedule;
import dev.cm4j.consistency.PerSample;
import dev.cm4j.consistency.model.Preconditioned;
import dev.cm4j.consistency.noise.NoiseSource;
import dev.cm4j.models.Module;
import dev.cm4j.models.io.CheckpointFiles;
import dev.cm4j.models.io.CheckpointIdentity;
import dev.cm4j.models.io.FileOps;
import dev.cm4j.models.io.TensorChecks;
import dev.cm4j.models.io.TrainingState;
import dev.cm4j.tensor.BufferArena;
import dev.cm4j.tensor.BufferPool;
import dev.cm4j.tensor.Rng;
import dev.cm4j.tensor.Tensor;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import java.util.function.Supplier;

/**
 * The loop shared by every training algorithm: draw a batch, build the loss, back-propagate, update, checkpoint.
 *
 * <p>Per step, in the order of the released code (docs/ALGORITHMS.md#update-order): optimizer step, then the evaluation EMA
 * ({@code ema = rate ema + (1 - rate) theta}), then the algorithm's own update (the target network's EMA with the
 * rate of the current step, computed before the step count increments), then step += 1.
 *
 * <p>Gaussian draws come from a {@link NoiseSource}: by default the trainer's own generator, so batches, indices and
 * noise share one saved stream; {@link #noise(NoiseSource)} replaces it (for replaying recorded draws).
 *
 * <p>Each step runs in a {@link BufferArena} on a pool the trainer owns: the activations and gradients of a step reuse
 * the arrays of the step before, and the gradients are dropped at the end of the step (after the update), so a
 * parameter has no gradient between steps. {@link #loss} implementations keep nothing from a step but numbers.
 *
 * <p>After the backward pass the gradients' global L2 norm is taken (kept in {@link #gradNorms()}); with
 * {@link OptimConfig#maxGradNorm()} above 0 a larger norm is scaled down to it before the update.
 *
 * <p>A loss or gradient norm that is not finite stops training before the update, a parameter that is not finite
 * after an update stops it before the next save: nothing is saved, so the newest checkpoint stays the last good state,
 * and a {@link TrainingDivergedException} names the step, the tensor and index, and that checkpoint. All randomness
 * comes from one generator (and the network's own dropout generators) whose positions are saved with the weights,
 * optimizer moments and EMAs ({@link TrainingState}, one file per checkpoint), so a resumed run continues
 * bit-identically. Each checkpoint records the run's {@link CheckpointIdentity}: the phase as role, the network's
 * architecture, the settings and seed (plus any {@link #setting}), and the {@link #parent} hash; a checkpoint of
 * another run is refused.
 */
public abstract class Trainer {
    private static final System.Logger LOG = System.getLogger(Trainer.class.getName());
    private final String phase;
    protected final Preconditioned model;
    protected final DataSource data;
    protected final OptimConfig optim;
    /** The generator of batches, noise levels and noise. */
    protected final Rng rng;
    /** The source of Gaussian noise: {@link #rng} unless replaced. */
    protected NoiseSource noise;
    private boolean suppliedNoise;
    private final Optimizer optimizer;
    /** The model's parameters in registration order: the optimizer's, whose gradients a step's norm is taken over. */
    private final List<Var> parameters;
    private final Ema evalEma;
    /** The arrays of one step's activations and gradients, lent again at the next step. */
    private final BufferPool buffers = new BufferPool();
    private final LrSchedule lrSchedule;
    private final List<Double> losses = new ArrayList<>();
    /** The global L2 norm of each step's gradients before clipping, for the steps this object ran. */
    private final List<Double> gradNorms = new ArrayList<>();
    /** Steps whose gradients {@link OptimConfig#maxGradNorm()} scaled down, of those this object ran. */
    private long clippedSteps;
    private long step;
    private Checkpointing checkpointing;
    private TrainingListener listener = TrainingListener.NONE;
    private final Map<String, String> extraSettings = new TreeMap<>();
    private String parent = "";
    /** The newest checkpoint of this run that passed its checks (saved or loaded), and its step; null if none. */
    private Path lastGood;
    private long lastGoodStep;
    private Path resumedFrom;
    /** Set by {@link #requestCheckpoint()}: save after the step in progress, whatever the interval says. */
    private boolean checkpointRequested;
    /** {@link #stopAt(long)}: the step after which {@link #train()} returns early; 0 for none. */
    private long stopAt;

    protected Trainer(String phase, Preconditioned model, DataSource data, OptimConfig optim, long seed) {
        if (model == null || data == null || optim == null) {
            throw new IllegalArgumentException(phase + ": model, data and optimisation settings must not be null");
        }
        this.phase = phase;
        this.model = model;
        this.data = data;
        this.optim = optim;
        this.rng = new Rng(seed);
        this.noise = NoiseSource.of(rng);
        Map<String, Var> params = model.net().module().namedParameters();
        this.parameters = List.copyOf(params.values());
        this.optimizer = optim.optimizer() == OptimConfig.Optimizer.ADAM
                ? new Adam(params, optim.lr(), optim.beta1(), optim.beta2(), 1e-8, 0, false)
                : new RAdam(params, optim.lr(), optim.beta1(), optim.beta2(), 1e-8, 0);
        this.evalEma = new Ema(params);
        this.lrSchedule = LrSchedule.warmup(optim.warmupSteps(), optim.finalLrFraction() == 1
                ? LrSchedule.constant(optim.lr())
                : LrSchedule.cosine(optim.lr(), optim.lr() * optim.finalLrFraction(), optim.steps()));
        model.net().module().train(true);
    }

    /** The loss of step {@code k} (0-based) as a scalar that records a graph through the model's parameters. */
    protected abstract Var loss(long k);

    /** The algorithm's own update after the optimizer step and the evaluation EMA (e.g. the target EMA). */
    protected void afterUpdate(long k) {
    }

    /** Extra EMAs of the algorithm to checkpoint (e.g. the target network), by name. */
    protected Map<String, Ema> extraEmas() {
        return Map.of();
    }

    /**
     * Extra generators of the algorithm to checkpoint by name (e.g. the dropout generators of the target network,
     * which advance apart from the online network's).
     */
    protected Map<String, Rng> extraRngs() {
        return Map.of();
    }

    /** Called after a checkpoint was loaded (e.g. to copy the target EMA into the target network). */
    protected void afterLoad() {
    }

    /** A description of the settings; a checkpoint resumes only into a trainer with the same description. */
    protected abstract String settings();

    /** Saves the full state to {@code checkpointing.file()} every {@code every} steps and at the end. */
    public Trainer checkpointing(Checkpointing c) {
        this.checkpointing = c;
        return this;
    }

    /**
     * Takes the Gaussian draws from {@code source} instead of the trainer's generator. Such a source is not part of a
     * checkpoint, so it cannot be combined with {@link #checkpointing(Checkpointing)}.
     */
    public Trainer noise(NoiseSource source) {
        if (source == null) {
            throw new IllegalArgumentException(phase + ": the noise source is null");
        }
        this.noise = source;
        this.suppliedNoise = true;
        return this;
    }

    /**
     * Records a setting that shapes the result but that the trainer cannot see (the data set and a fingerprint of
     * its contents, a noise scale): saved in every checkpoint, and a checkpoint with another value is refused.
     */
    public Trainer setting(String name, String value) {
        if (name == null || value == null || name.isEmpty()) {
            throw new IllegalArgumentException(phase + ": setting " + name + " = " + value + " needs a name and value");
        }
        extraSettings.put(name, value);
        return this;
    }

    /**
     * The content hash ({@link TrainingState#contentHash}) of the weights this run was initialised from or distils
     * (a teacher), recorded in every checkpoint; "" for none. Distillation sets it by itself to the weights its student
     * starts from (the teacher's, for a student made with {@code Preconditioned.fromTeacher}); set it for a CT run
     * warm-started from a teacher.
     */
    public Trainer parent(String contentHash) {
        if (contentHash == null) {
            throw new IllegalArgumentException(phase + ": the parent hash is null (use \"\" for none)");
        }
        this.parent = contentHash;
        return this;
    }

    /**
     * Asks for a checkpoint after the step in progress (or the next one), in addition to the
     * {@link Checkpointing#every() interval}: for saves on a clock, requested by a {@link TrainingListener} from
     * {@code onStep}. Where checkpoints fall does not change the run: a resume from any of them continues it exactly.
     */
    public void requestCheckpoint() {
        checkpointRequested = true;
    }

    /**
     * Makes {@link #train()} return after step {@code step} (1-based) with a checkpoint, before the run's last step:
     * a long run split into pieces, each continued by a trainer with {@code Checkpointing(..., resume = true)}.
     * 0 (the default) trains to the end.
     */
    public Trainer stopAt(long step) {
        if (step < 0) {
            throw new IllegalArgumentException(phase + ": stopAt(" + step + "): the step must be >= 0 (0 = never)");
        }
        this.stopAt = step;
        return this;
    }

    public Trainer listener(TrainingListener l) {
        this.listener = l == null ? TrainingListener.NONE : l;
        return this;
    }

    /** Runs (or resumes) until {@code optim.steps()} steps are done. */
    public void train() {
        if (checkpointing != null && suppliedNoise) {
            throw new IllegalStateException(phase + ": a supplied noise source (" + noise + ") is not saved in "
                    + "checkpoints; train with the default source to checkpoint");
        }
        if (checkpointing != null) {
            Path file = checkpointing.file();
            try {
                for (Path p : TrainingState.removeDebris(file, checkpointing.files())) {
                    LOG.log(System.Logger.Level.INFO, phase + ": removed " + p + ", left by an interrupted save");
                }
            } catch (IOException e) {
                throw new UncheckedIOException(phase + ": cannot remove the debris of an interrupted save of "
                        + file + ": " + e.getMessage(), e);
            }
            if (checkpointing.resume() && (Files.exists(file) || Files.exists(CheckpointFiles.prevPath(file)))) {
                load(file);
            }
        }
        try {
            runSteps();
        } finally {
            // the step's arrays are idle between calls of train(): sampling grids and evaluation need the memory
            buffers.clear();
        }
    }

    /** The steps from {@link #step} on, each in an arena of the trainer's pool. */
    private void runSteps() {
        Module module = model.net().module();
        module.train(true);
        listener.onStart(phase, step, optim.steps());
        while (step < optim.steps()) {
            double value;
            double norm;
            // the step's activations and gradients borrow arrays from the pool and give them back at its end; what
            // outlives the step (weights, moments, averages, the loss as a double) is never lent
            try (BufferArena arena = buffers.open()) {
                optimizer.setLr(learningRate(step));
                Var loss = loss(step);
                value = loss.item();
                if (!Double.isFinite(value)) {
                    throw new TrainingDivergedException(phase, step, "loss is " + value, lastGood, lastGoodStep);
                }
                module.zeroGrad();
                loss.backward();
                norm = GradClip.globalNorm(parameters);
                if (!Double.isFinite(norm)) {
                    throw new TrainingDivergedException(phase, step, "the gradients' norm is " + norm, lastGood,
                            lastGoodStep);
                }
                gradNorms.add(norm);
                if (optim.maxGradNorm() > 0 && GradClip.scaleToNorm(parameters, norm, optim.maxGradNorm())) {
                    clippedSteps++;
                }
                optimizer.step();
                if (optim.evalEmaRate() > 0) {
                    evalEma.update(optim.evalEmaRate());
                }
                afterUpdate(step);
                // the gradients are lent by the arena too: dropped before it takes them back
                module.zeroGrad();
            }
            Optional<String> bad = TensorChecks.firstNonFinite(parameterValues(module));
            if (bad.isPresent()) {
                throw new TrainingDivergedException(phase, step, "after the update, " + bad.get(),
                        lastGood, lastGoodStep);
            }
            step++;
            losses.add(value);
            listener.onStep(phase, step, optim.steps(), value, norm);
            boolean stop = step == stopAt;
            if (checkpointing != null && (checkpointRequested || stop || step % checkpointing.every() == 0
                    || step == optim.steps())) {
                checkpointRequested = false;
                saveCheckpoint();
            }
            if (stop) {
                return;
            }
        }
    }

    /**
     * Runs a pass without a tape (a target network's output, a teacher's solver step) inside the step: in an arena of
     * its own on the step's pool, so that its activations go back as soon as it returns, before the online pass
     * borrows, and only its result is kept. Without a tape nothing in the pass goes back earlier, and in the step's
     * arena its activations would be held until the step ends, beside the online pass's. Outside an arena the pass
     * simply runs. The arithmetic is the same either way.
     */
    static Tensor withoutTape(Supplier<Tensor> pass) {
        BufferPool pool = BufferPool.current();
        try (NoGrad ignored = NoGrad.enter()) {
            if (pool == null) {
                return pass.get();
            }
            try (BufferArena inner = pool.open()) {
                return BufferArena.keep(pass.get());
            }
        }
    }

    private static Map<String, Tensor> parameterValues(Module module) {
        Map<String, Tensor> out = new java.util.LinkedHashMap<>();
        module.namedParameters().forEach((k, v) -> out.put(k, v.value()));
        return out;
    }

    /** The periodic save: refused (training stops) when the state holds a value a checkpoint must not hold. */
    private void saveCheckpoint() {
        TrainingState s = state();
        Optional<String> bad = s.nonFinite();
        if (bad.isPresent()) {
            throw new TrainingDivergedException(phase, step - 1, "after the update, " + bad.get(), lastGood,
                    lastGoodStep);
        }
        Path file = checkpointing.file();
        try {
            s.fileOps(checkpointing.files()).save(file);
        } catch (IOException e) {
            throw new UncheckedIOException(phase + ": cannot write checkpoint " + file + ": " + e.getMessage(), e);
        }
        lastGood = file;
        lastGoodStep = step;
    }

    /** The learning rate of step {@code k} (0-based): warm-up, then constant or a cosine decay. */
    public double learningRate(long k) {
        return lrSchedule.at(k);
    }

    /** The checkpoint the last {@link #load} restored ({@code file} or {@code file.prev}); null if none. */
    public Path resumedFrom() {
        return resumedFrom;
    }

    /** Steps completed. */
    public long step() {
        return step;
    }

    /** The loss of every step completed by this object (after a resume: the steps since). */
    public List<Double> losses() {
        return Collections.unmodifiableList(losses);
    }

    /**
     * The global L2 norm of each step's gradients before clipping, over the steps completed by this object (after a
     * resume: the steps since): spikes announce a divergence.
     */
    public List<Double> gradNorms() {
        return Collections.unmodifiableList(gradNorms);
    }

    /** How many of the steps completed by this object had their gradients scaled down to the bound. */
    public long clippedSteps() {
        return clippedSteps;
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

    /**
     * The live state bound for saving or loading: weights, optimizer moments, the evaluation EMA ("eval"), the
     * algorithm's EMAs, the batch generator ("trainer"), the dropout generators, the step, and the settings.
     */
    private TrainingState state() {
        TrainingState s = new TrainingState(model.net().module(), optimizer).ema("eval", evalEma).rng("trainer", rng);
        extraEmas().forEach(s::ema);
        extraRngs().forEach(s::rng);
        return s.setStep(step).identity(identity());
    }

    /**
     * What this run's checkpoints record and a resume requires: role = the phase, config = the network's class and
     * config record (or its parameter shapes), settings = the algorithm's {@link #settings()}, the seed and every
     * {@link #setting}, and the {@link #parent} hash.
     */
    public CheckpointIdentity identity() {
        Map<String, String> s = new TreeMap<>(extraSettings);
        s.put("settings", settings());
        s.put("seed", Long.toString(rng.seed()));
        return new CheckpointIdentity(phase, model.net().architecture(), s, parent);
    }

    /**
     * Writes the full training state to {@code file} in one file, keeping the file it replaces as {@code file.prev}
     * ({@link TrainingState#save}).
     *
     * @throws IllegalStateException if the state holds a non-finite value (nothing is written)
     */
    public void save(Path file) {
        if (suppliedNoise) {
            throw new IllegalStateException(phase + ": a supplied noise source (" + noise + ") is not saved in "
                    + "checkpoints, so a resume from " + file + " would draw other noise; save with the default source");
        }
        try {
            state().fileOps(checkpointing == null ? FileOps.REAL : checkpointing.files()).save(file);
        } catch (IOException e) {
            throw new UncheckedIOException(phase + ": cannot write checkpoint " + file + ": " + e.getMessage(), e);
        }
    }

    /**
     * Restores a state written by {@link #save(Path)} by a trainer with the same settings. Everything is checked
     * before anything changes; a file of other settings, names or shapes is refused with its name in the message.
     * The loss history restarts with the resumed steps. When {@code file} is missing or damaged and
     * {@code file.prev} loads, the run resumes from that, renames the damaged file to {@code file.damaged} (so the
     * next save keeps the good one as {@code file.prev}) and logs a warning; {@link #resumedFrom()} tells which.
     */
    public void load(Path file) {
        try {
            // the state declares this run's identity; its load refuses a checkpoint of another run
            TrainingState s = state();
            Path loaded = s.load(file);
            // the live objects hold the loaded state now: finish the load before anything else can fail
            step = s.step();
            resumedFrom = loaded;
            lastGood = loaded;
            lastGoodStep = step;
            losses.clear();
            afterLoad();
            if (!loaded.equals(file) && Files.exists(file)) {
                setAsideDamaged(file, loaded);
            }
        } catch (IOException e) {
            throw new UncheckedIOException(phase + ": cannot resume from checkpoint " + file + ": " + e.getMessage(), e);
        }
    }

    /**
     * Renames a damaged newest checkpoint out of the way after resuming from the previous one, so the next save keeps
     * the good one as {@code file.prev}. A failure here loses nothing: it is logged, and the next save replaces the
     * damaged file.
     */
    private void setAsideDamaged(Path file, Path loaded) {
        try {
            Path aside = CheckpointFiles.setAside(file, checkpointing == null ? FileOps.REAL : checkpointing.files());
            LOG.log(System.Logger.Level.WARNING, phase + ": resumed from " + loaded + "; the damaged " + file
                    + " is kept as " + aside);
        } catch (IOException e) {
            LOG.log(System.Logger.Level.WARNING, phase + ": resumed from " + loaded + "; the damaged " + file
                    + " could not be set aside (" + e.getMessage() + ")");
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
        return PerSample.combine("Trainer.addNoise", x, PerSample.fill(scale.length, 1), z, scale);
    }

    /** The weighted batch mean {@code mean_b w_b d_b} of per-sample values d (B). */
    protected static Var weightedMean(Var perSample, float[] weights) {
        if (weights == null) {
            return perSample.mean();
        }
        return perSample.mul(Var.constant(Tensor.wrap(weights, new int[] {weights.length}))).mean();
    }
}
