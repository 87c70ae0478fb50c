package dev.cm4j.consistency.api;

import dev.cm4j.consistency.KarrasSchedule;
import dev.cm4j.consistency.data.ImageGrid;
import dev.cm4j.consistency.editing.Edit;
import dev.cm4j.consistency.editing.ZeroShotEditor;
import dev.cm4j.consistency.metrics.FashionMnistEvaluator;
import dev.cm4j.consistency.model.Denoiser;
import dev.cm4j.consistency.model.ImageCheckpoint;
import dev.cm4j.consistency.model.Preconditioned;
import dev.cm4j.consistency.model.UNetNet;
import dev.cm4j.consistency.noise.NoiseSource;
import dev.cm4j.consistency.sampling.EdmSampler;
import dev.cm4j.consistency.sampling.MultistepSampler;
import dev.cm4j.consistency.train.Trainer;
import dev.cm4j.models.unet.UNet;
import dev.cm4j.tensor.Rng;
import dev.cm4j.tensor.Tensor;
import java.io.IOException;
import java.nio.file.Path;
import java.util.Arrays;

/**
 * An image model ready to use: a consistency model f(x, sigma) (Song et al. 2023, CD, CT, iCT or ECT) or its EDM
 * teacher, loaded from a checkpoint or taken from a trainer, with the common operations: sampling (Algorithm 1),
 * zero-shot editing (Algorithm 4), writing PNG grids, and the Fashion-MNIST evaluation.
 *
 * <pre>{@code
 * var model = ConsistencyModel.load(Path.of("cd.safetensors"));
 * Tensor images = model.sample(16, Sampling.oneStep(), 42);          // (16, C, H, W) in [-1, 1]
 * ConsistencyModel.savePng(images, Path.of("grid.png"));
 * }</pre>
 *
 * <p><b>The model.</b> f is the network F under the consistency parameterisation of Song et al. 2023, eq. 5:
 * f(x, sigma) = c_skip(sigma) x + c_out(sigma) F(c_in(sigma) x, c_noise(sigma)), with c_skip and c_out of Appendix C
 * (c_skip(eps) = 1, c_out(eps) = 0, so f(x, eps) = x, the boundary condition of eq. 4). A teacher is D(x, sigma) of
 * Karras et al. 2022, eq. 7 with EDM's c_skip and c_out. Every time argument of this type and of {@link Sampling} is a
 * <b>sigma</b> or a <b>grid index</b>, each stated where it is taken; c_noise, the network's own input (250 ln sigma
 * for cm4j's U-Net), is never an argument.
 *
 * <p><b>Seeds.</b> Every random operation takes a seed, and each sample (or edited image) draws its noise from its own
 * Philox stream, forked from the seed by the sample's index ({@link NoiseSource#perSample}): the same model,
 * arguments and seed give the same bits on every run, and sample i is the same whether 10 or 10,000 are drawn
 * ({@link #sampleRange} draws any range of them alone). A network output does not depend on the other images of its
 * batch either, so neither does a sample.
 *
 * <p>Instances are immutable; the network is evaluated in eval mode. Call one instance from one thread at a time.
 */
public final class ConsistencyModel {
    /** Samples per network call in {@link #sample}: the memory it takes, not the samples it gives. */
    public static final int BATCH = 64;

    private final Preconditioned network;
    private final UNet.Config config;
    private final String role;
    private final KarrasSchedule schedule;
    private final long step;
    private final String source;

    private ConsistencyModel(Preconditioned network, UNet.Config config, String role, KarrasSchedule schedule,
            long step, String source) {
        this.network = network;
        this.config = config;
        this.role = role;
        this.schedule = schedule;
        this.step = step;
        this.source = source;
    }

    /**
     * The model in a checkpoint of cm4j's image trainers ({@code cm4j train-teacher}, {@code distill},
     * {@code train-ct}, {@code train-ict}, {@code train-ect}), with its evaluation EMA weights (the live ones where it
     * holds no EMA, as a checkpoint written by {@link #save} or {@link ImageCheckpoint#write}). The checkpoint records
     * its U-Net configuration and role; the file is verified (every checksum) before it is used.
     *
     * @throws java.nio.file.NoSuchFileException if there is no such file
     * @throws dev.cm4j.models.io.FileProblemException naming the file: a {@code CheckpointFormatException} if it is
     *     damaged, a {@code CheckpointMismatchException} if it is not an image checkpoint of cm4j
     */
    public static ConsistencyModel load(Path checkpoint) throws IOException {
        return load(checkpoint, true);
    }

    /** {@link #load(Path)} with the EMA weights ({@code ema}) or the live ones. */
    public static ConsistencyModel load(Path checkpoint, boolean ema) throws IOException {
        if (checkpoint == null) {
            throw new IllegalArgumentException("ConsistencyModel.load: the checkpoint path is null");
        }
        ImageCheckpoint c = ImageCheckpoint.read(checkpoint, "ConsistencyModel.load", ImageCheckpoint.ALL_ROLES);
        Preconditioned net = c.model(ema, c.config().dropout(), new Rng(0));
        return new ConsistencyModel(net, c.config(), c.role(), KarrasSchedule.DEFAULT, c.step(),
                checkpoint + " (" + c.role() + ", step " + c.step() + (ema ? ", EMA" : ", live weights") + ")");
    }

    /**
     * The model a trainer of a U-Net has reached, with its evaluation EMA weights ({@link Trainer#emaModel()}): a
     * copy, which later training does not change. Its role is the trainer's phase (teacher, cd, ct or ict).
     *
     * @throws IllegalArgumentException if the trainer's network is not a U-Net (the 2-D toy MLP)
     */
    public static ConsistencyModel of(Trainer trainer) {
        if (trainer == null) {
            throw new IllegalArgumentException("ConsistencyModel.of: the trainer is null");
        }
        Preconditioned net = trainer.emaModel();
        if (!(net.net() instanceof UNetNet u)) {
            throw new IllegalArgumentException("ConsistencyModel.of: the " + trainer.phase() + " trainer's network is "
                    + net.net().architecture() + "; this facade takes image models (a U-Net)");
        }
        return new ConsistencyModel(net, u.unet().config(), trainer.phase(), KarrasSchedule.DEFAULT, trainer.step(),
                trainer.phase() + " trainer at step " + trainer.step());
    }

    /**
     * This model sampled and edited on another Karras grid: eps = sigmaMin (in sigma) must be the one it was trained
     * with; the default is {@link KarrasSchedule#DEFAULT} (sigma 0.002 to 80, rho 7), the grid of cm4j's trainers
     * and of the released models.
     */
    public ConsistencyModel withSchedule(KarrasSchedule grid) {
        if (grid == null) {
            throw new IllegalArgumentException("ConsistencyModel.withSchedule: the grid is null");
        }
        return new ConsistencyModel(network, config, role, grid, step, source);
    }

    /** The role recorded by its trainer: {@code teacher}, {@code cd}, {@code ct} or {@code ict}. */
    public String role() {
        return role;
    }

    /** Whether this is a consistency model (CD, CT, iCT), sampled in one or a few steps; else an EDM teacher. */
    public boolean isConsistency() {
        return ImageCheckpoint.CONSISTENCY_ROLES.contains(role);
    }

    /** The training steps behind the weights, as recorded by the checkpoint or the trainer. */
    public long step() {
        return step;
    }

    /** The U-Net's configuration: image size, channels, classes. */
    public UNet.Config config() {
        return config;
    }

    /** The Karras grid its times refer to (sigma from sigmaMin to sigmaMax, rho). */
    public KarrasSchedule schedule() {
        return schedule;
    }

    /** The network under its preconditioning, for the library's lower-level samplers and editors. */
    public Preconditioned network() {
        return network;
    }

    /**
     * {@code count} samples (count, C, H, W) in [-1, 1] from noise of {@code seed}. A consistency model takes
     * {@link Sampling#oneStep}, {@link Sampling#sigmas} (sigma) or {@link Sampling#gridIndices} (grid index)
     * (Algorithm 1); a teacher {@link Sampling#heun}. A class-conditional model draws the classes in turn 0, 1, 2, ...
     *
     * @throws IllegalArgumentException naming the operation and the value if count is below 1, the sampling does not
     *     suit the model, or its times are outside the grid
     */
    public Tensor sample(int count, Sampling sampling, long seed) {
        return sample(count, sampling, seed, -1);
    }

    /**
     * {@link #sample(int, Sampling, long)} of one class {@code label} (0..classes - 1) of a class-conditional model;
     * -1 = classes in turn.
     */
    public Tensor sample(int count, Sampling sampling, long seed, int label) {
        if (count < 1) {
            throw new IllegalArgumentException("ConsistencyModel.sample: count " + count + " must be >= 1");
        }
        return sampleRange("ConsistencyModel.sample", 0, count, sampling, seed, label);
    }

    /**
     * Samples {@code first .. first + count - 1} of {@link #sample(int, Sampling, long, int)} with this seed (for any
     * total of at least {@code first + count}), bit for bit, without drawing the ones before them: a class-conditional
     * model with label -1 gives sample i the class i mod classes. Ranges can be drawn on different machines and joined.
     *
     * @throws IllegalArgumentException naming the operation and the value if first is negative, count is below 1,
     *     the sampling does not suit the model, or its times are outside the grid
     */
    public Tensor sampleRange(long first, int count, Sampling sampling, long seed, int label) {
        return sampleRange("ConsistencyModel.sampleRange", first, count, sampling, seed, label);
    }

    private Tensor sampleRange(String op, long first, int count, Sampling sampling, long seed, int label) {
        if (first < 0 || count < 1) {
            throw new IllegalArgumentException(op + ": samples " + first + " + " + count + ": the first index must be "
                    + ">= 0 and the count >= 1");
        }
        checkSampling(op, sampling);
        checkLabel(op, label, true);
        int c = config.inChannels();
        int s = config.imageSize();
        int per = c * s * s;
        float[] all = new float[Math.multiplyExact(count, per)];
        Rng root = new Rng(seed);
        Denoiser f = network.denoiser();
        for (int from = 0; from < count; from += BATCH) {
            int b = Math.min(BATCH, count - from);
            NoiseSource noise = NoiseSource.perSample(root, first + from, b);
            Denoiser d = f.withLabels(labels(first + from, b, label));
            Tensor z = noise.normal(b, c, s, s);
            Tensor x = switch (sampling) {
                case Sampling.Sigmas t -> MultistepSampler.images(schedule).sample(d, z, times(t), noise);
                case Sampling.GridIndices t -> MultistepSampler.images(schedule).sampleAtIndices(d, z, t.ts(),
                        t.points(), noise);
                case Sampling.Heun t -> EdmSampler.images(schedule, t.points()).sample(d, z, noise);
            };
            System.arraycopy(x.data(), x.offset(), all, from * per, b * per);
        }
        return Tensor.wrap(all, new int[] {count, c, s, s});
    }

    /**
     * Zero-shot editing, Algorithm 4 of Song et al. 2023 (docs/EDITING.md): images {@code images} (B, C, H, W) in
     * [-1, 1], the known part given by {@code edit} (inpainting, colorization, super-resolution; {@link Edit}), at the
     * times of {@code sampling}: {@link Sampling#sigmas} in sigma (tau_1 first; 80 starts from pure noise, less stays
     * closer to the input) or {@link Sampling#gridIndices} in grid index (the released {@code iterative_*} form).
     * Known components keep the input exactly; the rest is generated. Noise from {@code seed}.
     *
     * @throws IllegalArgumentException naming the operation and the value for a teacher, Heun sampling, or images
     *     that do not fit the model or the edit
     */
    public Tensor edit(Tensor images, Edit edit, Sampling sampling, long seed) {
        return edit(images, edit, sampling, seed, -1);
    }

    /** {@link #edit(Tensor, Edit, Sampling, long)} of a class-conditional model, every image of class {@code label}. */
    public Tensor edit(Tensor images, Edit edit, Sampling sampling, long seed, int label) {
        String op = "ConsistencyModel.edit";
        if (!isConsistency()) {
            throw new IllegalArgumentException(op + ": " + source + " is an EDM teacher; zero-shot editing needs a "
                    + "consistency model (cd, ct or ict)");
        }
        if (images == null || edit == null) {
            throw new IllegalArgumentException(op + ": images and edit must not be null");
        }
        int c = config.inChannels();
        int s = config.imageSize();
        if (images.rank() != 4 || images.dim(1) != c || images.dim(2) != s || images.dim(3) != s) {
            throw new IllegalArgumentException(op + ": images are " + Arrays.toString(images.shape()) + "; "
                    + source + " takes (B, " + c + ", " + s + ", " + s + ")");
        }
        checkSampling(op, sampling);
        if (label == -1 && config.numClasses() > 0) {
            throw new IllegalArgumentException(op + ": " + source + " is class-conditional (" + config.numClasses()
                    + " classes); give the class of the edit, 0.." + (config.numClasses() - 1));
        }
        checkLabel(op, label, false);
        edit.check(images);
        int b = images.dim(0);
        Denoiser f = network.denoiser().withLabels(labels(0, b, label));
        NoiseSource noise = NoiseSource.perSample(new Rng(seed), 0, b);
        ZeroShotEditor editor = ZeroShotEditor.images(schedule);
        return switch (sampling) {
            case Sampling.Sigmas t -> editor.edit(f, edit, images, times(t), noise);
            case Sampling.GridIndices t -> editor.editAtIndices(f, edit, images, t.ts(), t.points(), noise,
                    ZeroShotEditor.StepListener.NONE);
            case Sampling.Heun t -> throw new IllegalStateException("checked by checkSampling");
        };
    }

    /**
     * Writes this model's weights (the EMA ones it was loaded or taken with) as a checkpoint of its role that
     * {@link #load(Path)} reads back: the U-Net configuration, the architecture, the training step and checksums, no
     * optimiser state.
     *
     * @throws IllegalStateException if a weight is NaN or infinite (nothing is written)
     */
    public void save(Path file) throws IOException {
        if (!(network.net() instanceof UNetNet u)) {
            throw new IllegalStateException("ConsistencyModel.save: " + file + ": the network is "
                    + network.net().architecture() + ", not a U-Net");
        }
        ImageCheckpoint.write(file, role, u.unet(), step);
    }

    /**
     * The Fashion-MNIST scores of {@code samples} (N, 1, 28, 28) in [-1, 1] against {@code reference} (M, 1, 28, 28),
     * usually the 10,000 test images: the Frechet distance of the committed classifier's features
     * ({@link dev.cm4j.consistency.metrics.FrechetDistance}; cm4j's own features, not comparable with Inception FID),
     * precision and recall with k = 3 ({@link FashionMnistEvaluator}). Both sets need more than 3 images.
     *
     * @throws IOException if the committed classifier cannot be read
     */
    public static FashionMnistEvaluator.Report evaluate(Tensor samples, Tensor reference) throws IOException {
        return FashionMnistEvaluator.committed().evaluate("samples", samples, "reference", reference);
    }

    /**
     * Writes images (N, C, H, W) in [-1, 1] (1 or 3 channels) as one PNG grid, about square, each pixel drawn 2 x 2,
     * separated by white lines; parent folders are created.
     */
    public static void savePng(Tensor images, Path file) throws IOException {
        if (images == null || images.rank() != 4) {
            throw new IllegalArgumentException("ConsistencyModel.savePng: " + file + ": need images (N, C, H, W), got "
                    + (images == null ? "null" : Arrays.toString(images.shape())));
        }
        int n = images.dim(0);
        ImageGrid.png(file, images, n, (int) Math.ceil(Math.sqrt(n)), 2);
    }

    @Override
    public String toString() {
        return "ConsistencyModel[" + source + ", " + config.inChannels() + "x" + config.imageSize() + "x"
                + config.imageSize() + (config.numClasses() > 0 ? ", " + config.numClasses() + " classes" : "") + "]";
    }

    // ---------------------------------------------------------------- checks

    /** A consistency model takes times (sigma or grid index), a teacher Heun's method. */
    private void checkSampling(String op, Sampling sampling) {
        if (sampling == null) {
            throw new IllegalArgumentException(op + ": sampling is null; e.g. Sampling.oneStep()");
        }
        boolean heun = sampling instanceof Sampling.Heun;
        if (isConsistency() && heun) {
            throw new IllegalArgumentException(op + ": " + sampling + " is the teacher's sampler but " + source
                    + " is a consistency model; use Sampling.oneStep(), sigmas(...) or gridIndices(...)");
        }
        if (!isConsistency() && !heun) {
            throw new IllegalArgumentException(op + ": " + sampling + " needs a consistency model but " + source
                    + " is an EDM teacher; use Sampling.heun(18)");
        }
        if (sampling instanceof Sampling.Sigmas t) {
            double[] tau = t.sigmas();
            for (int i = 0; i < tau.length; i++) {
                if (!(tau[i] > schedule.sigmaMin() && tau[i] <= schedule.sigmaMax()) || i > 0 && tau[i] >= tau[i - 1]) {
                    throw new IllegalArgumentException(op + ": sigmas " + Arrays.toString(tau) + " must decrease "
                            + "within (" + schedule.sigmaMin() + ", " + schedule.sigmaMax() + "] (noise levels in "
                            + "sigma, not grid indices; e.g. 80, 0.821)");
                }
            }
        }
    }

    private void checkLabel(String op, int label, boolean inTurnAllowed) {
        int k = config.numClasses();
        if (k == 0 && label != -1) {
            throw new IllegalArgumentException(op + ": label " + label + ", but " + source + " is unconditional");
        }
        if (k > 0 && (label < (inTurnAllowed ? -1 : 0) || label >= k)) {
            throw new IllegalArgumentException(op + ": label " + label + " outside " + (inTurnAllowed ? -1 : 0)
                    + ".." + (k - 1) + " (" + source + " has " + k + " classes)");
        }
    }

    /** The labels of samples from..from + b: null for an unconditional model, else {@code label} or in turn. */
    private int[] labels(long from, int b, int label) {
        if (config.numClasses() == 0) {
            return null;
        }
        int[] y = new int[b];
        for (int i = 0; i < b; i++) {
            y[i] = label >= 0 ? label : (int) ((from + i) % config.numClasses());
        }
        return y;
    }

    /** The sigmas of a time list; one-step is one time, sigmaMax. */
    private double[] times(Sampling.Sigmas t) {
        double[] s = t.sigmas();
        return s.length == 0 ? new double[] {schedule.sigmaMax()} : s;
    }
}
