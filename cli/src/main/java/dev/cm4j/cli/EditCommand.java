package dev.cm4j.cli;

import dev.cm4j.consistency.KarrasSchedule;
import dev.cm4j.consistency.data.ImageFolder;
import dev.cm4j.consistency.data.ImageGrid;
import dev.cm4j.consistency.editing.Edit;
import dev.cm4j.consistency.editing.Interpolation;
import dev.cm4j.consistency.editing.Masks;
import dev.cm4j.consistency.editing.ZeroShotEditor;
import dev.cm4j.consistency.model.Denoiser;
import dev.cm4j.consistency.model.ImageCheckpoint;
import dev.cm4j.consistency.noise.NoiseSource;
import dev.cm4j.models.unet.UNet;
import dev.cm4j.tensor.Rng;
import dev.cm4j.tensor.Tensor;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * {@code cm4j edit <kind>}: zero-shot editing of a PNG with a consistency model (CD, CT or iCT checkpoint of the image
 * commands; docs/EDITING.md#command-line). Inpainting, colorization and super-resolution run Algorithm 4
 * ({@link ZeroShotEditor}); denoising is one evaluation at a known noise level; stroke-guided generation starts from
 * the painting plus noise; interpolation follows the arc between two noises. Each writes the edit as a PNG of the
 * model's size ({@code -n} > 1: a row of them) and a grid: the input as the model sees it, the edits and, when given,
 * the original.
 */
@Command(name = "edit", mixinStandardHelpOptions = true,
        description = "Edit images zero-shot with a consistency model: inpaint, colorize, superres, denoise, strokes, "
                + "interpolate.",
        subcommands = {EditCommand.Inpaint.class, EditCommand.Colorize.class, EditCommand.SuperRes.class,
            EditCommand.Denoise.class, EditCommand.Strokes.class, EditCommand.Interpolate.class})
final class EditCommand implements Runnable {
    private static final KarrasSchedule GRID = ImageTrainCommand.GRID;
    /** Grid indices used when no times are given: evenly spread over the released code's 40-point grid; not tuned. */
    static final int[] DEFAULT_TS = {0, 10, 20, 30, 39};
    static final int DEFAULT_STEPS = 40;

    @Spec
    CommandSpec spec;

    @Override
    public void run() {
        spec.commandLine().usage(System.out);
    }

    /** Options every kind shares: the model, the output, the seed. */
    static final class Common {
        @Option(names = {"-c", "--checkpoint"}, required = true, paramLabel = "FILE", description = "A consistency "
                + "model of distill, train-ict or train-ct, e.g. cm4j-cd/cd.safetensors.")
        Path checkpoint;

        @Option(names = {"-o", "--out"}, paramLabel = "PNG", description = "The edited image, at the model's size; "
                + "with -n > 1 a row of them (default: ${DEFAULT-VALUE}).")
        Path out = Path.of("edit.png");

        @Option(names = "--grid", paramLabel = "PNG", description = "The grid: input as the model sees it, edits, "
                + "original if given (default: the output's name with -grid).")
        Path grid;

        @Option(names = {"-s", "--seed"}, description = "Seed of the noise (default: ${DEFAULT-VALUE}).")
        long seed = 0;

        @Option(names = "--class", description = "Class-conditional model: the class of the edit.")
        Integer label;

        @Option(names = "--online", description = "Use the live weights instead of their EMA.")
        boolean online;

        final PrintStream console = System.out;

        /** The model as a clamped-by-the-editor consistency function, its labels bound for a batch of {@code n}. */
        Model load(int n) throws IOException {
            Cm4j.checkSystemProperties();
            ImageCheckpoint ckpt = ImageCheckpoint.read(checkpoint, "--checkpoint", ImageCheckpoint.CONSISTENCY_ROLES);
            UNet.Config c = ckpt.config();
            int[] labels = null;
            if (c.numClasses() > 0) {
                if (label == null) {
                    throw new IllegalArgumentException("--class: " + checkpoint + " is class-conditional ("
                            + c.numClasses() + " classes); give the class of the edit, 0.." + (c.numClasses() - 1));
                }
                ImageTrainCommand.inRange("--class", label, 0, c.numClasses() - 1);
                labels = new int[n];
                Arrays.fill(labels, label);
            } else if (label != null) {
                throw new IllegalArgumentException("--class " + label + ": " + checkpoint + " is an unconditional model");
            }
            Denoiser f = ckpt.model(!online, c.dropout(), new Rng(0)).denoiser().withLabels(labels);
            console.printf("cm4j edit: %s (%s, step %d), %dx%dx%d images%n", checkpoint, ckpt.role(), ckpt.step(),
                    c.inChannels(), c.imageSize(), c.imageSize());
            return new Model(f, c.inChannels(), c.imageSize());
        }

        /**
         * A PNG as (1, C, H, W) for a model of {@code channels} and {@code size}: it must be {@code size} square or
         * one of {@code alsoSizes}; returns the image at its own size.
         */
        Tensor png(String option, Path file, int channels, int size, int... alsoSizes) throws IOException {
            int[] hw = ImageFolder.pngSize(file);
            boolean ok = hw[0] == size && hw[1] == size;
            for (int s : alsoSizes) {
                ok |= hw[0] == s && hw[1] == s;
            }
            if (!ok) {
                StringBuilder sizes = new StringBuilder(size + "x" + size);
                for (int s : alsoSizes) {
                    sizes.append(" or ").append(s).append('x').append(s);
                }
                throw new IllegalArgumentException(option + " " + file + " is " + hw[1] + "x" + hw[0] + " pixels; the "
                        + "model takes " + sizes + " images");
            }
            return ImageFolder.image(file, new ImageFolder.Options(hw[0], hw[1], channels, 0x000000, false));
        }

        /** Writes the edits and the grid: input, edits, original (any of them may be null but the edits). */
        void write(Tensor input, Tensor edits, Tensor original) throws IOException {
            if (edits.dim(0) == 1) {
                ImageGrid.image(out, edits);
            } else {
                ImageGrid.png(out, edits, edits.dim(0), edits.dim(0), 1, 0);
            }
            List<Tensor> row = new ArrayList<>();
            if (input != null) {
                row.add(input);
            }
            row.add(edits);
            if (original != null) {
                row.add(original);
            }
            Tensor all = Tensor.concat(0, row.toArray(new Tensor[0]));
            Path g = grid != null ? grid : gridBeside(out);
            ImageGrid.png(g, all, all.dim(0), all.dim(0), 4);
            console.printf("wrote %s and %s%n", out, g);
        }

        private static Path gridBeside(Path out) {
            String name = out.getFileName().toString();
            int dot = name.toLowerCase().endsWith(".png") ? name.length() - 4 : name.length();
            return out.resolveSibling(name.substring(0, dot) + "-grid.png");
        }
    }

    /** The loaded model: f, its channels and its image size. */
    record Model(Denoiser f, int channels, int size) {
    }

    /** The step times: noise levels or indices into the released code's grid. */
    static final class Times {
        @Option(names = "--times", split = ",", paramLabel = "SIGMA", description = "Decreasing noise levels of the "
                + "steps, one evaluation each, e.g. 80,5,1.")
        double[] sigmas;

        @Option(names = "--ts", split = ",", paramLabel = "INDEX", description = "Increasing indices into a grid of "
                + "--steps points, the last one steps - 1, as the released code takes them, e.g. 0,20,39.")
        int[] indices;

        @Option(names = "--steps", description = "Points of the grid --ts indexes (default: ${DEFAULT-VALUE}).")
        int steps = DEFAULT_STEPS;

        /** Algorithm 4 at these times, or at {@link #DEFAULT_TS} when neither form was given. */
        Tensor edit(ZeroShotEditor editor, Denoiser f, Edit edit, Tensor y, NoiseSource noise) {
            if (sigmas != null && indices != null) {
                throw new IllegalArgumentException("--times and --ts: give the step times one way, as noise levels "
                        + "(--times) or grid indices (--ts)");
            }
            if (sigmas != null) {
                return editor.edit(f, edit, y, sigmas, noise);
            }
            int[] ts = indices != null ? indices : DEFAULT_TS;
            return editor.editAtIndices(f, edit, y, ts, steps, noise, ZeroShotEditor.StepListener.NONE);
        }

        /** The noise levels, converting indices; {@code null} when neither form was given. */
        double[] sigmas(ZeroShotEditor editor) {
            if (sigmas != null && indices != null) {
                throw new IllegalArgumentException("--times and --ts: give the step times one way, as noise levels "
                        + "(--times) or grid indices (--ts)");
            }
            return sigmas != null ? sigmas : indices != null ? editor.indicesToSigmas(indices, steps) : null;
        }

        String describe() {
            return sigmas != null ? "at sigma " + Arrays.toString(sigmas)
                    : "at indices " + Arrays.toString(indices != null ? indices : DEFAULT_TS) + " of " + steps;
        }
    }

    /** The kinds that edit one input PNG at step times, {@code -n} times from different noise. */
    abstract static class FromInput implements Callable<Integer> {
        @Mixin
        Common common;

        @Mixin
        Times times;

        @Option(names = {"-i", "--input"}, required = true, paramLabel = "PNG", description = "The image to edit "
                + "(strokes: the stroke painting).")
        Path input;

        @Option(names = {"-n", "--count"}, description = "Edits of the input, each from its own noise (default: "
                + "${DEFAULT-VALUE}).")
        int count = 1;
    }

    /** The shared flow of inpainting, colorization and super-resolution. */
    abstract static class Algorithm4 extends FromInput {
        @Option(names = "--original", paramLabel = "PNG", description = "The original, shown in the grid.")
        Path original;

        /** The edit for a model of this shape. */
        abstract Edit edit(Model m) throws IOException;

        /** The input as (1, C, H, W) at the model's size. */
        Tensor input(Model m) throws IOException {
            return common.png("--input", input, m.channels(), m.size());
        }

        @Override
        public Integer call() throws IOException {
            ImageTrainCommand.inRange("--count", count, 1, 1024);
            Model m = common.load(count);
            Edit edit = edit(m);
            Tensor y = repeat(input(m), count);
            ZeroShotEditor editor = ZeroShotEditor.images(GRID);
            long t0 = System.nanoTime();
            Tensor x = times.edit(editor, m.f(), edit, y, NoiseSource.perSample(new Rng(common.seed), 0, count));
            common.console.printf("%s of %s, %d edit(s) %s in %.2f s%n", edit.name(), input, count, times.describe(),
                    (System.nanoTime() - t0) / 1e9);
            Tensor shown = edit.reference(y.slice(0, 0, 1));
            Tensor orig = original == null ? null : common.png("--original", original, m.channels(), m.size());
            common.write(shown, x, orig);
            return 0;
        }
    }

    @Command(name = "inpaint", mixinStandardHelpOptions = true, description = "Fill a hole: boxes, a PNG mask "
            + "(white = hole) or random strokes.")
    static final class Inpaint extends Algorithm4 {
        @Option(names = "--mask", paramLabel = "PNG", description = "The hole as a PNG of the model's size: white "
                + "pixels are generated, black ones kept.")
        Path mask;

        @Option(names = "--box", paramLabel = "TOP,LEFT,HEIGHT,WIDTH", description = "A rectangular hole in pixels; "
                + "may be repeated.")
        List<String> boxes = new ArrayList<>();

        @Option(names = "--strokes", description = "Random brush strokes from --seed as the hole: how many.")
        int strokes;

        @Option(names = "--brush", description = "Brush diameter of --strokes in pixels (default: ${DEFAULT-VALUE}).")
        int brush = 3;

        @Override
        Edit edit(Model m) throws IOException {
            int given = (mask != null ? 1 : 0) + (boxes.isEmpty() ? 0 : 1) + (strokes > 0 ? 1 : 0);
            if (given != 1) {
                throw new IllegalArgumentException("inpaint: give the hole one way, --mask PNG, --box "
                        + "TOP,LEFT,HEIGHT,WIDTH or --strokes N (got " + given + ")");
            }
            int c = m.channels();
            int s = m.size();
            if (mask != null) {
                return Edit.inpainting(Masks.png(mask, c, s, s));
            }
            if (strokes > 0) {
                return Edit.inpainting(Masks.strokes(c, s, s, common.seed, strokes, brush));
            }
            int[][] b = new int[boxes.size()][];
            for (int i = 0; i < b.length; i++) {
                try {
                    b[i] = Arrays.stream(boxes.get(i).split(",")).map(String::trim).mapToInt(Integer::parseInt)
                            .toArray();
                } catch (NumberFormatException e) {
                    throw new IllegalArgumentException("--box " + boxes.get(i) + ": need four whole numbers "
                            + "TOP,LEFT,HEIGHT,WIDTH");
                }
            }
            return Edit.inpainting(Masks.boxes(c, s, s, b));
        }
    }

    @Command(name = "colorize", mixinStandardHelpOptions = true, description = "Colour a grayscale image (an RGB "
            + "model): the luminance is kept, the chroma generated.")
    static final class Colorize extends Algorithm4 {
        @Override
        Edit edit(Model m) {
            if (m.channels() != 3) {
                throw new IllegalArgumentException("colorize: " + common.checkpoint + " is a model of " + m.channels()
                        + " channel(s); colorization needs an RGB model (3 channels)");
            }
            return Edit.colorization(m.size(), m.size());
        }
    }

    @Command(name = "superres", mixinStandardHelpOptions = true, description = "Add detail to a low-resolution "
            + "image: the mean of every p x p patch is kept.")
    static final class SuperRes extends Algorithm4 {
        @Option(names = {"-p", "--patch"}, description = "Patch size p; must divide the model's image size "
                + "(default: ${DEFAULT-VALUE}).")
        int patch = 2;

        @Override
        Edit edit(Model m) {
            ImageTrainCommand.inRange("--patch", patch, 1, m.size());
            if (m.size() % patch != 0) {
                throw new IllegalArgumentException("--patch " + patch + " does not divide the model's image size "
                        + m.size() + "x" + m.size());
            }
            return Edit.superResolution(m.channels(), m.size(), m.size(), patch);
        }

        /** At the model's size (its patches are averaged), or at size / p (each pixel becomes a patch). */
        @Override
        Tensor input(Model m) throws IOException {
            Tensor img = common.png("--input", input, m.channels(), m.size(), m.size() / patch);
            return img.dim(2) == m.size() ? img : enlarge(img, patch);
        }
    }

    @Command(name = "denoise", mixinStandardHelpOptions = true, description = "Remove Gaussian noise of a known "
            + "level in one evaluation.")
    static final class Denoise implements Callable<Integer> {
        @Mixin
        Common common;

        @Option(names = {"-i", "--input"}, required = true, paramLabel = "PNG", description = "The noisy image, or "
                + "with --add-noise the clean one.")
        Path input;

        @Option(names = "--sigma", required = true, description = "The noise level of the input, in [-1, 1] pixel "
                + "units (e.g. 0.2964).")
        double sigma;

        @Option(names = "--add-noise", description = "The input is clean: add noise of --sigma from --seed first, "
                + "and show the input as the original.")
        boolean addNoise;

        @Override
        public Integer call() throws IOException {
            Model m = common.load(1);
            Tensor y = common.png("--input", input, m.channels(), m.size());
            Tensor noisy = addNoise ? y.add(new Rng(common.seed).normal(y.shape()).mul((float) sigma)) : y;
            Tensor x = ZeroShotEditor.images(GRID).denoise(m.f(), noisy, sigma);
            common.console.printf("denoised %s at sigma %s%n", input, sigma);
            common.write(noisy, x, addNoise ? y : null);
            return 0;
        }
    }

    @Command(name = "strokes", mixinStandardHelpOptions = true, description = "Turn a stroke painting into an "
            + "image (SDEdit-like): start from the painting plus noise at a medium first time.")
    static final class Strokes extends FromInput {

        @Override
        public Integer call() throws IOException {
            ImageTrainCommand.inRange("--count", count, 1, 1024);
            Model m = common.load(count);
            Tensor stroke = common.png("--input", input, m.channels(), m.size());
            ZeroShotEditor editor = ZeroShotEditor.images(GRID);
            double[] tau = times.sigmas(editor);
            if (tau == null) {
                throw new IllegalArgumentException("strokes: give the step times, --times SIGMA,... or --ts "
                        + "INDEX,...; the first one sets how much of the painting is kept");
            }
            Tensor x = editor.strokes(m.f(), repeat(stroke, count), tau,
                    NoiseSource.perSample(new Rng(common.seed), 0, count));
            common.console.printf("%d image(s) from the strokes of %s %s%n", count, input, times.describe());
            common.write(stroke, x, null);
            return 0;
        }
    }

    @Command(name = "interpolate", mixinStandardHelpOptions = true, description = "One-step images along the arc "
            + "between two noises (--seeds A,B), or between two images through their noises (--images A,B with a "
            + "--teacher).")
    static final class Interpolate implements Callable<Integer> {
        @Mixin
        Common common;

        @Option(names = "--seeds", split = ",", paramLabel = "SEED", description = "Two seeds whose noises are the "
                + "ends.")
        long[] seeds;

        @Option(names = "--images", split = ",", paramLabel = "PNG", description = "Two images whose noises are the "
                + "ends; needs --teacher.")
        Path[] images;

        @Option(names = "--teacher", paramLabel = "FILE", description = "An EDM teacher (train-teacher) that carries "
                + "--images to their noises along the probability-flow ODE.")
        Path teacher;

        @Option(names = "--heun-steps", description = "Grid points of that ODE, 2 (N - 1) teacher evaluations per "
                + "image (default: ${DEFAULT-VALUE}).")
        int heunSteps = 40;

        @Option(names = {"-n", "--count"}, description = "Points on the path, both ends included (default: "
                + "${DEFAULT-VALUE}).")
        int count = 8;

        @Override
        public Integer call() throws IOException {
            ImageTrainCommand.inRange("--count", count, 2, 1024);
            if ((seeds == null) == (images == null)) {
                throw new IllegalArgumentException("interpolate: give the ends one way, --seeds A,B or --images A,B");
            }
            Model m = common.load(count);
            Interpolation interp = new Interpolation(GRID, true);
            int[] shape = {1, m.channels(), m.size(), m.size()};
            double[] alphas = Interpolation.evenAlphas(count);
            Tensor path;
            Tensor first = null;
            Tensor last = null;
            if (seeds != null) {
                if (seeds.length != 2) {
                    throw new IllegalArgumentException("--seeds " + Arrays.toString(seeds) + ": need two seeds");
                }
                // the noise of the first sample of each seed, as 'cm4j sample --seed S' draws it
                path = interp.betweenNoises(m.f(), NoiseSource.perSample(new Rng(seeds[0]), 0, 1).normal(shape),
                        NoiseSource.perSample(new Rng(seeds[1]), 0, 1).normal(shape), alphas);
            } else {
                if (images.length != 2) {
                    throw new IllegalArgumentException("--images " + Arrays.toString(images) + ": need two images");
                }
                if (teacher == null) {
                    throw new IllegalArgumentException("--images: the noises of images come from an EDM teacher; "
                            + "give its checkpoint with --teacher");
                }
                ImageTrainCommand.inRange("--heun-steps", heunSteps, 2, 1000);
                ImageCheckpoint t = ImageCheckpoint.read(teacher, "--teacher", List.of("teacher"));
                if (t.config().inChannels() != m.channels() || t.config().imageSize() != m.size()) {
                    throw new IllegalArgumentException("--teacher " + teacher + " takes " + t.config().inChannels()
                            + "x" + t.config().imageSize() + "x" + t.config().imageSize() + " images, the model "
                            + m.channels() + "x" + m.size() + "x" + m.size());
                }
                Denoiser d = t.model(true, t.config().dropout(), new Rng(0)).denoiser();
                first = common.png("--images", images[0], m.channels(), m.size());
                last = common.png("--images", images[1], m.channels(), m.size());
                path = interp.betweenImages(m.f(), d, first, last, alphas, heunSteps);
            }
            common.console.printf("%d points between %s%n", count, seeds != null ? "the noises of seeds "
                    + Arrays.toString(seeds) : "the noises of " + Arrays.toString(images));
            common.write(first, path, last);
            return 0;
        }
    }

    /** {@code n} copies of a batch of one (1, ...) as (n, ...). */
    static Tensor repeat(Tensor one, int n) {
        Tensor[] copies = new Tensor[n];
        Arrays.fill(copies, one);
        return Tensor.concat(0, copies);
    }

    /** Each pixel of (1, C, h, w) as a p x p block: (1, C, h p, w p). */
    static Tensor enlarge(Tensor x, int p) {
        int c = x.dim(1);
        int h = x.dim(2);
        int w = x.dim(3);
        float[] out = new float[c * h * w * p * p];
        for (int ch = 0; ch < c; ch++) {
            for (int y = 0; y < h * p; y++) {
                for (int xx = 0; xx < w * p; xx++) {
                    out[(ch * h * p + y) * w * p + xx] = x.get(0, ch, y / p, xx / p);
                }
            }
        }
        return Tensor.wrap(out, new int[] {1, c, h * p, w * p});
    }
}
