package dev.cm4j.cli;

import dev.cm4j.consistency.KarrasSchedule;
import dev.cm4j.consistency.data.ImageGrid;
import dev.cm4j.consistency.model.Denoiser;
import dev.cm4j.consistency.model.ImageCheckpoint;
import dev.cm4j.consistency.model.Preconditioned;
import dev.cm4j.consistency.model.Preconditioning;
import dev.cm4j.consistency.model.UNetNet;
import dev.cm4j.consistency.noise.NoiseSource;
import dev.cm4j.consistency.sampling.EdmSampler;
import dev.cm4j.consistency.sampling.MultistepSampler;
import dev.cm4j.models.unet.ReleasedCheckpoint;
import dev.cm4j.models.unet.UNet;
import dev.cm4j.tensor.HalfFormat;
import dev.cm4j.tensor.Rng;
import dev.cm4j.tensor.Tensor;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * {@code cm4j sample}: images from a checkpoint of an image command, with its EMA weights. A teacher samples with
 * EDM's Heun sampler ({@code --heun-steps} grid points, 2N - 1 evaluations); a consistency model (CD, CT, iCT) with
 * one-step or multistep consistency sampling at the times {@code --times} (one evaluation each). Writes a PNG grid
 * and, with {@code --npz}, every sample as uint8 {@code arr_0} (N, H, W, C) (labels as {@code arr_1}), the layout of
 * the released sampling script.
 *
 * <p>With {@code --model imagenet64|lsun256} the checkpoint is a released openai/consistency_models {@code .pt} of
 * that network (read by {@link ReleasedCheckpoint}; nothing in it is executed): {@code --times 80} is the released
 * one-step sampling, {@code --times 80,1.382} the two steps of the released ImageNet-64 script ({@code ts=0,22,39} of
 * a 40-point Karras grid), and {@code --heun-steps N} samples an EDM teacher checkpoint.
 *
 * <p>Samples are drawn in batches of {@code --batch}, sample i's noise from its own stream forked from {@code --seed}
 * by i: the same seed gives the same bits whatever the batch size, and the first 64 of 10,000 samples are the 64 of
 * {@code -n 64}.
 */
@Command(name = "sample", mixinStandardHelpOptions = true, sortOptions = false,
        description = "Draw images from a checkpoint of train-teacher (Heun), distill, train-ict, train-ct or "
                + "train-ect (one or more consistency steps), or from a released .pt with --model; write a PNG grid "
                + "and optionally an .npz of uint8 samples.")
final class SampleCommand implements Callable<Integer> {
    private static final KarrasSchedule GRID = ImageTrainCommand.GRID;
    /** The presets of the released networks that --model accepts. */
    private static final List<String> RELEASED = List.of("imagenet64", "lsun256");
    /** --batch of a released network unless given: its activations at 64x64 x 192 channels are large. */
    private static final int RELEASED_BATCH = 8;

    @Spec
    CommandSpec spec;

    @Option(names = ConfigFile.OPTION, paramLabel = "FILE", description = "Read options from a JSON or .properties "
            + "file; options given here override the file.")
    Path config;

    @Option(names = {"-c", "--checkpoint"}, required = true, paramLabel = "FILE", description = "A checkpoint of an "
            + "image command, e.g. cm4j-cd/cd.safetensors.")
    Path checkpoint;

    @Option(names = {"-o", "--out"}, paramLabel = "PNG", description = "The grid of samples (default: "
            + "${DEFAULT-VALUE}).")
    Path out = Path.of("samples.png");

    @Option(names = "--npz", paramLabel = "FILE", description = "Also write every sample to this .npz: arr_0 uint8 "
            + "(N, H, W, C), arr_1 the labels of a class-conditional model.")
    Path npz;

    @Option(names = {"-n", "--count"}, description = "Samples to draw (default: ${DEFAULT-VALUE}).")
    int count = 64;

    @Option(names = {"-s", "--seed"}, description = "Seed of the noise; sample i's noise is stream i of it, so the "
            + "first samples of -n 10000 are those of -n 64 (default: ${DEFAULT-VALUE}).")
    long seed = 0;

    @Option(names = "--batch", description = "Samples per network call: memory, not results; each sample's noise "
            + "has its own stream of --seed, so the samples are the same bits at any batch (default: "
            + "${DEFAULT-VALUE}).")
    int batch = 256;

    @Option(names = "--heun-steps", description = "Teacher: grid points N of EDM's Heun sampler, 2N - 1 "
            + "evaluations (default: ${DEFAULT-VALUE}).")
    int heunSteps = 18;

    @Option(names = "--times", split = ",", paramLabel = "SIGMA", description = "Consistency model: the decreasing "
            + "noise levels of the steps, one evaluation each; 80 = one step, 80,0.821 = two (default: "
            + "${DEFAULT-VALUE}).")
    double[] times = {80};

    @Option(names = "--ts", split = ",", paramLabel = "INDEX", description = "Consistency model: the times as increasing "
            + "indices into a Karras grid of --steps points, 0 = sigma_max, ending at the last point (the released "
            + "scripts' form: 0,22,39 with 40 points is --times 80,1.382); instead of --times.")
    int[] ts;

    @Option(names = "--steps", description = "Points of the grid --ts indexes (default: ${DEFAULT-VALUE}).")
    int steps = 40;

    @Option(names = "--class", description = "Class-conditional model: the class of every sample; -1 = classes in "
            + "turn 0, 1, 2, ... (default: ${DEFAULT-VALUE}).")
    int label = -1;

    @Option(names = "--grid", description = "Samples shown in the PNG, the first ones (default: ${DEFAULT-VALUE}).")
    int grid = 100;

    @Option(names = "--model", paramLabel = "NAME", description = "The checkpoint is a released "
            + "openai/consistency_models .pt of this network: imagenet64 (class-conditional, 1000 classes) or lsun256. "
            + "Sampled as a consistency model (CD, CT) at --times, or as an EDM teacher with --heun-steps; --batch "
            + "defaults to " + RELEASED_BATCH + ". Needs 4 bytes per parameter of heap: 1.2 GB (imagenet64), 2.1 GB "
            + "(lsun256), and activations; about half with --precision fp16 or bf16.")
    String model;

    @Option(names = "--precision", paramLabel = "P", description = "With --model: how the convolution and linear "
            + "weights are held while sampling: fp32, or fp16 / bf16 (2 bytes per weight, widened to float32 per layer "
            + "as it runs; a weight saved in that format keeps its bits, a float32 one is rounded to nearest even); "
            + "the arithmetic is float32 either way (default: ${DEFAULT-VALUE}).")
    String precision = "fp32";

    @Option(names = "--online", description = "Sample with the live weights instead of their EMA.")
    boolean online;

    private final PrintStream console = System.out;

    /** What lowers the memory a sampling run needs. */
    static final String MEMORY_OPTIONS = "--batch, or keep a released network's weights in 16 bits with --precision fp16";

    @Override
    public Integer call() throws IOException {
        try {
            return sample();
        } catch (OutOfMemoryError e) {
            throw new ErrorReport.OutOfMemory(MEMORY_OPTIONS, e);
        }
    }

    private Integer sample() throws IOException {
        Cm4j.checkSystemProperties();
        ImageTrainCommand.inRange("--count", count, 1, 10_000_000);
        ImageTrainCommand.inRange("--batch", batch, 1, 65_536);
        ImageTrainCommand.inRange("--grid", grid, 1, 10_000);
        storage(); // --precision checked before any weight is read
        Source src = model != null ? released() : fromImageCheckpoint();
        if (model != null && !spec.commandLine().getParseResult().hasMatchedOption("--batch")) {
            batch = RELEASED_BATCH;
        }
        UNet.Config c = src.config();
        boolean consistency = src.consistency();
        EdmSampler heun = EdmSampler.images(GRID, heunSteps);
        MultistepSampler multistep = MultistepSampler.images(GRID);
        int nfe = consistency ? times.length : heun.nfe();
        String method = consistency ? (times.length == 1 ? "one-step" : times.length + "-step")
                + " consistency sampling at sigma " + Arrays.toString(times) : "EDM Heun, " + heunSteps + " points";
        console.printf("cm4j sample: %s (%s), %d samples, %s, %d NFE%n", checkpoint, src.what(), count, method, nfe);

        int per = c.inChannels() * c.imageSize() * c.imageSize();
        float[] all = new float[Math.multiplyExact(count, per)];
        int[] labels = c.numClasses() > 0 ? new int[count] : null;
        Rng noise = new Rng(seed);
        long t0 = System.nanoTime();
        try (ConsoleProgress progress = new ConsoleProgress("cm4j sample", count, "samples",
                ConsoleProgress.isTerminal(), console)) {
            drawAll(src, consistency, heun, multistep, all, labels, per, noise, progress);
        }
        double seconds = (System.nanoTime() - t0) / 1e9;
        Tensor samples = Tensor.wrap(all, new int[] {count, c.inChannels(), c.imageSize(), c.imageSize()});
        int columns = labels != null && label < 0 ? c.numClasses() : (int) Math.ceil(Math.sqrt(Math.min(grid, count)));
        ImageGrid.png(out, samples, grid, columns, 2);
        String wrote = out.toString();
        if (npz != null) {
            Path parent = npz.toAbsolutePath().getParent();
            if (parent != null) {
                Files.createDirectories(parent);
            }
            ImageGrid.npz(npz, samples, labels);
            wrote += ", " + npz;
        }
        console.printf("%d samples in %.2f s (%.1f samples/s); wrote %s%n", count, seconds, count / seconds, wrote);
        return 0;
    }

    /**
     * Draws the samples batch by batch into {@code all} (and the labels of a class-conditional model), sample i's
     * noise from its own stream of {@code root} ({@link NoiseSource#perSample}), reporting the samples drawn so far.
     */
    private void drawAll(Source src, boolean consistency, EdmSampler heun, MultistepSampler multistep, float[] all,
                         int[] labels, int per, Rng root, ConsoleProgress progress) {
        UNet.Config c = src.config();
        Denoiser f = src.model().denoiser();
        progress.onStart("sample", 0, count);
        for (int from = 0; from < count; from += batch) {
            int b = Math.min(batch, count - from);
            int[] y = null;
            if (labels != null) {
                y = new int[b];
                for (int i = 0; i < b; i++) {
                    y[i] = label >= 0 ? label : (from + i) % c.numClasses();
                }
                System.arraycopy(y, 0, labels, from, b);
            }
            Denoiser d = f.withLabels(y);
            NoiseSource noise = NoiseSource.perSample(root, from, b);
            Tensor z = noise.normal(b, c.inChannels(), c.imageSize(), c.imageSize());
            Tensor x = consistency ? multistep.sample(d, z, times, noise) : heun.sample(d, z, noise);
            System.arraycopy(x.data(), x.offset(), all, from * per, b * per);
            progress.onStep("sample", from + b, count, Double.NaN);
        }
    }

    /** What is sampled: the network with its preconditioning, its architecture, and a description. */
    private record Source(Preconditioned model, UNet.Config config, boolean consistency, String what) {
    }

    /** A checkpoint of cm4j's image commands, with its EMA weights unless --online. */
    private Source fromImageCheckpoint() throws IOException {
        ImageCheckpoint ckpt = ImageCheckpoint.read(checkpoint, "--checkpoint", ImageCheckpoint.ALL_ROLES);
        checkOptions(ckpt.config(), ckpt.consistency(), checkpoint.toString(), ckpt.consistency()
                ? "a consistency model (" + ckpt.role() + ")" : "an EDM teacher");
        return new Source(ckpt.model(!online, ckpt.config().dropout(), new Rng(0)), ckpt.config(),
                ckpt.consistency(), ckpt.role() + ", step " + ckpt.step());
    }

    /**
     * A released openai/consistency_models checkpoint (.pt) of the --model architecture: a consistency model (CD or
     * CT; c_skip and c_out shifted by sigma_min 0.002) sampled at --times, or, with --heun-steps, an EDM teacher.
     * Both read c_noise = 250 ln sigma and sigma_data 0.5, as the released code does.
     */
    private Source released() throws IOException {
        if (!RELEASED.contains(model)) {
            throw new IllegalArgumentException("--model " + model + ": the released networks are " + RELEASED);
        }
        if (online) {
            throw new IllegalArgumentException("--online: a released checkpoint holds one set of weights");
        }
        UNet.Config c = UNet.Config.preset(model);
        boolean consistency = !spec.commandLine().getParseResult().hasMatchedOption("--heun-steps");
        checkOptions(c, consistency, "--model " + model, consistency ? "a consistency model" : "an EDM teacher");
        UNet net = ReleasedCheckpoint.load(checkpoint, c, storage());
        net.eval();
        Preconditioning p = consistency ? Preconditioning.consistency(0.5, GRID.sigmaMin()) : Preconditioning.edm(0.5);
        return new Source(new Preconditioned(new UNetNet(net), p), c, consistency,
                "released " + model + (consistency ? " consistency model" : " EDM teacher") + ", weights in "
                        + precision.toLowerCase(java.util.Locale.ROOT)
                        + String.format(", %,d bytes", net.parameterBytes()));
    }

    /** The weights' storage of --precision: null for fp32. */
    private HalfFormat storage() {
        boolean given = spec.commandLine().getParseResult().hasMatchedOption("--precision");
        if (given && model == null) {
            throw new IllegalArgumentException("--precision " + precision + ": applies to a released checkpoint "
                    + "(--model)");
        }
        if (precision.equalsIgnoreCase("fp32")) {
            return null;
        }
        if (precision.equalsIgnoreCase("fp16") || precision.equalsIgnoreCase("bf16")) {
            return HalfFormat.of(precision);
        }
        throw new IllegalArgumentException("--precision " + precision + ": expected fp32, fp16 or bf16");
    }

    /** The options that depend on the kind of model: sampling times or Heun points, and the class. */
    private void checkOptions(UNet.Config c, boolean consistency, String subject, String kind) {
        String what = subject + " is " + kind;
        boolean given = spec.commandLine().getParseResult().hasMatchedOption("--times");
        if (ts != null) {
            if (given) {
                throw new IllegalArgumentException("--ts " + Arrays.toString(ts) + ": give the times either as sigmas "
                        + "(--times) or as grid indices (--ts), not both");
            }
            if (!consistency) {
                throw new IllegalArgumentException("--ts: " + what + ", sampled with Heun's method; give its grid "
                        + "points with --heun-steps");
            }
            ImageTrainCommand.inRange("--steps", steps, 2, 100_000);
            try {
                times = MultistepSampler.images(GRID).indicesToSigmas(ts, steps);
            } catch (IllegalArgumentException e) {
                throw new IllegalArgumentException("--ts " + Arrays.toString(ts) + " --steps " + steps + ": "
                        + e.getMessage(), e);
            }
        } else if (spec.commandLine().getParseResult().hasMatchedOption("--steps")) {
            throw new IllegalArgumentException("--steps " + steps + ": the points of the grid --ts indexes; give --ts");
        }
        if (consistency && spec.commandLine().getParseResult().hasMatchedOption("--heun-steps")) {
            throw new IllegalArgumentException("--heun-steps: " + what + "; give its sampling times with --times");
        }
        if (!consistency && given) {
            throw new IllegalArgumentException("--times: " + what + ", sampled with Heun's method; give its grid "
                    + "points with --heun-steps");
        }
        if (c.numClasses() > 0) {
            ImageTrainCommand.inRange("--class", label, -1, c.numClasses() - 1);
        } else if (label != -1) {
            throw new IllegalArgumentException("--class " + label + ": " + subject + " is an unconditional model");
        }
        checkTimes();
        ImageTrainCommand.inRange("--heun-steps", heunSteps, 2, 1000);
    }

    /** The consistency times must be positive, decreasing and at most sigmaMax. */
    private void checkTimes() {
        if (times.length == 0) {
            throw new IllegalArgumentException("--times: give at least one noise level, e.g. 80");
        }
        for (int i = 0; i < times.length; i++) {
            boolean ok = times[i] > GRID.sigmaMin() && times[i] <= GRID.sigmaMax() && (i == 0 || times[i] < times[i - 1]);
            if (!ok) {
                throw new IllegalArgumentException("--times " + Arrays.toString(times) + ": noise levels must "
                        + "decrease within (" + GRID.sigmaMin() + ", " + GRID.sigmaMax() + "], e.g. 80,0.821");
            }
        }
    }
}
