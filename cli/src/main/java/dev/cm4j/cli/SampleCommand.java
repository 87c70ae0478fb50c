package dev.cm4j.cli;

import dev.cm4j.consistency.KarrasSchedule;
import dev.cm4j.consistency.model.Denoiser;
import dev.cm4j.consistency.model.Preconditioned;
import dev.cm4j.consistency.noise.NoiseSource;
import dev.cm4j.consistency.sampling.EdmSampler;
import dev.cm4j.consistency.sampling.MultistepSampler;
import dev.cm4j.models.unet.UNet;
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
 * <p>Samples are drawn in batches of {@code --batch}, each batch's noise following the last's from one generator of
 * {@code --seed}: the same seed and batch size give the same bits.
 */
@Command(name = "sample", mixinStandardHelpOptions = true, sortOptions = false,
        description = "Draw images from a checkpoint of train-teacher (Heun), distill, train-ict or train-ct (one or "
                + "more consistency steps); write a PNG grid and optionally an .npz of uint8 samples.")
final class SampleCommand implements Callable<Integer> {
    private static final KarrasSchedule GRID = ImageTrainCommand.GRID;

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

    @Option(names = {"-s", "--seed"}, description = "Seed of the noise (default: ${DEFAULT-VALUE}).")
    long seed = 0;

    @Option(names = "--batch", description = "Samples per network call (default: ${DEFAULT-VALUE}).")
    int batch = 256;

    @Option(names = "--heun-steps", description = "Teacher: grid points N of EDM's Heun sampler, 2N - 1 "
            + "evaluations (default: ${DEFAULT-VALUE}).")
    int heunSteps = 18;

    @Option(names = "--times", split = ",", paramLabel = "SIGMA", description = "Consistency model: the decreasing "
            + "noise levels of the steps, one evaluation each; 80 = one step, 80,0.821 = two (default: "
            + "${DEFAULT-VALUE}).")
    double[] times = {80};

    @Option(names = "--class", description = "Class-conditional model: the class of every sample; -1 = classes in "
            + "turn 0, 1, 2, ... (default: ${DEFAULT-VALUE}).")
    int label = -1;

    @Option(names = "--grid", description = "Samples shown in the PNG, the first ones (default: ${DEFAULT-VALUE}).")
    int grid = 100;

    @Option(names = "--online", description = "Sample with the live weights instead of their EMA.")
    boolean online;

    private final PrintStream console = System.out;

    @Override
    public Integer call() throws IOException {
        Cm4j.checkSystemProperties();
        ImageTrainCommand.inRange("--count", count, 1, 10_000_000);
        ImageTrainCommand.inRange("--batch", batch, 1, 65_536);
        ImageTrainCommand.inRange("--grid", grid, 1, 10_000);
        ImageCheckpoint ckpt = ImageCheckpoint.read(checkpoint, "--checkpoint", List.of("teacher", "cd", "ct", "ict"));
        UNet.Config c = ckpt.config();
        boolean given = spec.commandLine().getParseResult().hasMatchedOption("--times");
        if (ckpt.consistency() && spec.commandLine().getParseResult().hasMatchedOption("--heun-steps")) {
            throw new IllegalArgumentException("--heun-steps: " + checkpoint + " is a consistency model ("
                    + ckpt.role() + "); give its sampling times with --times");
        }
        if (!ckpt.consistency() && given) {
            throw new IllegalArgumentException("--times: " + checkpoint + " is an EDM teacher, sampled with Heun's "
                    + "method; give its grid points with --heun-steps");
        }
        if (c.numClasses() > 0) {
            ImageTrainCommand.inRange("--class", label, -1, c.numClasses() - 1);
        } else if (label != -1) {
            throw new IllegalArgumentException("--class " + label + ": " + checkpoint + " is an unconditional model");
        }
        checkTimes();
        ImageTrainCommand.inRange("--heun-steps", heunSteps, 2, 1000);
        Preconditioned model = ckpt.model(!online, c.dropout(), new Rng(0));
        Denoiser f = model.denoiser();
        EdmSampler heun = EdmSampler.images(GRID, heunSteps);
        MultistepSampler multistep = MultistepSampler.images(GRID);
        int nfe = ckpt.consistency() ? times.length : heun.nfe();
        String method = ckpt.consistency() ? (times.length == 1 ? "one-step" : times.length + "-step")
                + " consistency sampling at sigma " + Arrays.toString(times) : "EDM Heun, " + heunSteps + " points";
        console.printf("cm4j sample: %s (%s, step %d), %d samples, %s, %d NFE%n", checkpoint, ckpt.role(),
                ckpt.step(), count, method, nfe);

        int per = c.inChannels() * c.imageSize() * c.imageSize();
        float[] all = new float[Math.multiplyExact(count, per)];
        int[] labels = c.numClasses() > 0 ? new int[count] : null;
        NoiseSource noise = NoiseSource.of(new Rng(seed));
        long t0 = System.nanoTime();
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
            Tensor z = noise.normal(b, c.inChannels(), c.imageSize(), c.imageSize());
            Tensor x = ckpt.consistency() ? multistep.sample(d, z, times, noise) : heun.sample(d, z, noise);
            System.arraycopy(x.data(), x.offset(), all, from * per, b * per);
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
