package dev.cm4j.cli;

import dev.cm4j.consistency.KarrasSchedule;
import dev.cm4j.consistency.data.EmojiOne;
import dev.cm4j.consistency.data.FashionMnist;
import dev.cm4j.consistency.data.ImageDataset;
import dev.cm4j.consistency.data.ImageFolder;
import dev.cm4j.consistency.data.ImageGrid;
import dev.cm4j.consistency.model.ImageCheckpoint;
import dev.cm4j.consistency.model.Preconditioned;
import dev.cm4j.consistency.train.Checkpointing;
import dev.cm4j.consistency.train.OptimConfig;
import dev.cm4j.consistency.train.Trainer;
import dev.cm4j.consistency.train.TrainingListener;
import dev.cm4j.models.io.CheckpointFiles;
import dev.cm4j.models.io.RunLock;
import dev.cm4j.models.io.TensorChecks;
import dev.cm4j.models.unet.UNet;
import dev.cm4j.tensor.Parallel;
import dev.cm4j.tensor.Rng;
import dev.cm4j.tensor.Simd;
import dev.cm4j.tensor.Tensor;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.zip.CRC32C;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * What every image training command shares: the data ({@code --data}, {@code --subset}, {@code --flip}), the
 * optimisation budget, the run directory and its files, and the loop around the trainer.
 *
 * <p>A run directory holds {@code manifest.json} ({@link RunManifest}), the loss log {@code <phase>.loss.csv}
 * ({@link LossLog}), {@code loss.png}, sample grids {@code samples/<phase>-<step>.png} drawn every
 * {@code --sample-every} steps from one fixed batch of noise (so grids of different steps compare), and one checkpoint
 * {@code <phase>.safetensors} (the one before as {@code .prev}), written every {@code --checkpoint-minutes} and at the
 * end. {@code --resume} continues a killed or stopped run exactly where its checkpoint left it: the weights after N
 * steps are the same bits whether the run went straight through or was stopped and resumed.
 *
 * <p>Subclasses set their recipe's defaults in their constructors (picocli shows them in {@code --help}) and build
 * the trainer.
 */
abstract class ImageTrainCommand implements Callable<Integer> {
    /** The grid of every trainer and sampler: sigmaMin 0.002, sigmaMax 80, rho 7. */
    static final KarrasSchedule GRID = KarrasSchedule.DEFAULT;
    /** The location of Fashion-MNIST for {@code --data fashion-mnist}; tests point it elsewhere. */
    static Path fashionMnistDir = FashionMnist.DEFAULT_DIR;
    static final String FASHION_MNIST = "fashion-mnist";
    /** The location of EmojiOne for {@code --data emoji}; tests point it elsewhere. */
    static Path emojiDir = EmojiOne.DEFAULT_DIR;
    static final String EMOJI = "emoji";
    static final long MAX_STEPS = 100_000_000;
    static final int MAX_BATCH = 65_536;
    /** The options that lower the memory of a training run, named by an out-of-memory error. */
    static final String MEMORY_OPTIONS = "--batch or --model-channels";

    @Spec
    CommandSpec spec;

    @Option(names = ConfigFile.OPTION, paramLabel = "FILE", description = "Read options from a JSON or .properties "
            + "file (keys are option names: steps=20000); options given here override the file.")
    Path config;

    @Option(names = {"-o", "--out"}, paramLabel = "DIR", description = "Run directory: manifest, checkpoint, loss log "
            + "and plot, sample grids (default: ${DEFAULT-VALUE}).")
    Path out;

    @Option(names = {"-s", "--seed"}, description = "Seed of every generator (default: ${DEFAULT-VALUE}).")
    long seed = 0;

    @Option(names = "--data", paramLabel = "fashion-mnist|emoji|DIR", description = "Training images: fashion-mnist "
            + "(from /usr/share/datasets/fashion-mnist, Debian's dataset-fashion-mnist), emoji (the 1,794 EmojiOne "
            + "images of Debian's ruby-gemojione over white, for an RGB model such as --model small32rgb), a folder "
            + "of PNG images (sub-folders are classes with --class-conditional) or a folder of the Fashion-MNIST IDX "
            + "files (default: ${DEFAULT-VALUE}).")
    String data = FASHION_MNIST;

    @Option(names = "--subset", description = "Train on the first N images only; 0 = all (default: ${DEFAULT-VALUE}).")
    int subset = 0;

    @Option(names = "--flip", description = "Mirror each training image left-right with probability 1/2.")
    boolean flip;

    @Option(names = "--steps", description = "Training steps (default: ${DEFAULT-VALUE}).")
    long steps;

    @Option(names = "--batch", description = "Images per step (default: ${DEFAULT-VALUE}).")
    int batch;

    @Option(names = "--lr", description = "Peak learning rate (default: ${DEFAULT-VALUE}).")
    double lr;

    @Option(names = "--lr-final", description = "Learning rate at the last step as a fraction of --lr, reached along a "
            + "cosine; 1 = constant, the papers' setting (default: ${DEFAULT-VALUE}).")
    double lrFinal = 1;

    @Option(names = "--max-grad-norm", description = "Before each update, scale the gradients of all weights together "
            + "down to this L2 norm when theirs is larger; 0 = no clipping, the papers' setting "
            + "(default: ${DEFAULT-VALUE}).")
    double maxGradNorm = 0;

    @Option(names = "--ema", description = "Rate of the evaluation EMA of the weights, which grids, sample and "
            + "distill use (default: ${DEFAULT-VALUE}).")
    double ema;

    @Option(names = "--checkpoint-minutes", description = "Write the checkpoint every this many minutes of training, "
            + "and at the end (default: ${DEFAULT-VALUE}).")
    double checkpointMinutes = 10;

    @Option(names = "--sample-every", description = "Write a sample grid every this many steps; 0 = only at the end "
            + "(default: ${DEFAULT-VALUE}).")
    long sampleEvery;

    @Option(names = "--grid", description = "Images per sample grid (default: ${DEFAULT-VALUE}).")
    int grid = 64;

    @Option(names = "--resume", description = "Continue the run in --out from its checkpoint (refused if the run "
            + "there had other options).")
    boolean resume;

    @Option(names = "--stop-at", description = "Stop after this step with a checkpoint, to train in pieces: continue "
            + "with --resume; 0 = train to the end (default: ${DEFAULT-VALUE}).")
    long stopAt = 0;

    @Option(names = "--smoke", description = "A short run (under a minute) that checks the whole recipe: unless "
            + "given, --steps 20, --batch 8, --subset 256, --sample-every 10, --grid 16, a U-Net of 8 model channels "
            + "(a teacher's grids: 6 Heun points).")
    boolean smoke;

    final PrintStream console = System.out;

    /** The trainer of this recipe, with what the run directory needs to draw its grids. */
    record Recipe(Trainer trainer, String title, Map<String, Object> options, GridSampler sampler, int classes) {
    }

    /** Samples a grid from the trainer's EMA model: noise z (G, C, H, W) and labels (null for unconditional). */
    @FunctionalInterface
    interface GridSampler {
        Tensor sample(Preconditioned ema, Tensor z, int[] labels);
    }

    /** The recipe's trainer over the loaded images. */
    abstract Recipe recipe(ImageDataset images) throws IOException;

    /** Applies {@code --smoke} to the recipe's own options that were not given. */
    void smokeDefaults() {
    }

    /**
     * {@code o} with the cosine decay of {@code --lr-final} (unchanged where it is 1) and the gradient bound of
     * {@code --max-grad-norm} (none where it is 0).
     */
    OptimConfig decayed(OptimConfig o) {
        OptimConfig d = lrFinal == 1 ? o : o.withCosineDecay(lrFinal);
        return maxGradNorm == 0 ? d : d.withMaxGradNorm(maxGradNorm);
    }

    /** Checks the recipe's own options before any work. */
    void checkOptions() {
    }

    /** The shape (channels, size) the images must have, and whether they must be labelled with the class count. */
    abstract DataShape dataShape() throws IOException;

    /**
     * @param channels 1 or 3
     * @param size height and width
     * @param labelled whether the model is class-conditional (the images need labels)
     * @param classes the class count the model takes, or 0 when the data decide it
     */
    record DataShape(int channels, int size, boolean labelled, int classes) {
    }

    /** Whether an option was given on the command line or in the --config file. */
    boolean given(String option) {
        return spec.commandLine().getParseResult() != null && spec.commandLine().getParseResult().hasMatchedOption(option);
    }

    static void inRange(String option, double value, double min, double max) {
        if (!(value >= min && value <= max)) {
            throw new IllegalArgumentException(option + " " + (value == Math.rint(value) && Math.abs(value) < 1e15
                    ? Long.toString((long) value) : Double.toString(value)) + ": must be between "
                    + (min == Math.rint(min) ? Long.toString((long) min) : min) + " and "
                    + (max == Math.rint(max) ? Long.toString((long) max) : max));
        }
    }

    /** Checks the shared options before any work. */
    void validate() {
        if (smoke) {
            if (!given("--steps")) {
                steps = 20;
            }
            if (!given("--batch")) {
                batch = 8;
            }
            if (!given("--subset")) {
                subset = 256;
            }
            if (!given("--sample-every")) {
                sampleEvery = 10;
            }
            if (!given("--grid")) {
                grid = 16;
            }
            smokeDefaults();
        }
        inRange("--steps", steps, 1, MAX_STEPS);
        inRange("--batch", batch, 1, MAX_BATCH);
        inRange("--subset", subset, 0, Integer.MAX_VALUE);
        inRange("--grid", grid, 1, 1024);
        inRange("--sample-every", sampleEvery, 0, MAX_STEPS);
        inRange("--stop-at", stopAt, 0, steps);
        if (!(lr > 0 && lr < 1)) {
            throw new IllegalArgumentException("--lr " + lr + ": must be in (0, 1)");
        }
        if (!(lrFinal >= 0 && lrFinal <= 1)) {
            throw new IllegalArgumentException("--lr-final " + lrFinal + ": must be in [0, 1] (a fraction of --lr)");
        }
        if (!(maxGradNorm >= 0) || Double.isInfinite(maxGradNorm)) {
            throw new IllegalArgumentException("--max-grad-norm " + maxGradNorm + ": must be a finite norm >= 0 (0 = "
                    + "no clipping)");
        }
        if (!(ema >= 0 && ema < 1)) {
            throw new IllegalArgumentException("--ema " + ema + ": must be in [0, 1) (0 keeps no EMA)");
        }
        if (!(checkpointMinutes > 0) || !Double.isFinite(checkpointMinutes)) {
            throw new IllegalArgumentException("--checkpoint-minutes " + checkpointMinutes + ": must be a positive "
                    + "number of minutes");
        }
        checkOptions();
        RunDirectory.prepare(out);
    }

    @Override
    public Integer call() throws IOException {
        Cm4j.checkSystemProperties();
        validate();
        try (RunLock lock = RunDirectory.lock(out)) {
            return run();
        } catch (OutOfMemoryError e) {
            throw new ErrorReport.OutOfMemory(MEMORY_OPTIONS, e);
        }
    }

    /** The trainer's phase name, before the trainer exists: the checkpoint's and the loss log's file names. */
    abstract String phase();

    Path checkpointFile() {
        return out.resolve(phase() + ".safetensors");
    }

    private int run() throws IOException {
        Path checkpoint = checkpointFile();
        boolean exists = Files.exists(checkpoint) || Files.exists(CheckpointFiles.prevPath(checkpoint));
        if (exists && !resume) {
            throw new IllegalArgumentException("--out " + out + " holds the checkpoint of a run (" + checkpoint
                    .getFileName() + "): continue it with --resume, or choose another --out");
        }
        RunDirectory.removeDebris(out);
        RunDirectory.removeDebris(out.resolve("samples"));
        DataShape shape = dataShape();
        ImageDataset images = loadImages(shape);
        Recipe recipe = recipe(images);
        Trainer trainer = recipe.trainer();
        String fingerprint = fingerprint(images);
        trainer.setting("data", data).setting("data.fingerprint", fingerprint).setting("data.subset",
                Integer.toString(subset)).setting("flip", Boolean.toString(flip));

        Map<String, Object> options = new LinkedHashMap<>();
        options.put("data", data);
        options.put("subset", subset);
        options.put("flip", flip);
        options.put("seed", seed);
        options.put("steps", steps);
        options.put("batch", batch);
        options.put("lr", lr);
        if (lrFinal != 1) {
            // recorded only when given, so runs started before the option existed still resume
            options.put("lr_final", lrFinal);
        }
        if (maxGradNorm != 0) {
            options.put("max_grad_norm", maxGradNorm);
        }
        options.put("ema", ema);
        options.putAll(recipe.options());
        RunManifest manifest = new RunManifest(out, spec.name(), options, fingerprint);
        if (resume) {
            manifest.checkResume();
        }
        manifest.write();
        console.printf("cm4j %s: %s, %d images %dx%dx%d%s, %d threads, Vector API %s%n", spec.name(), images.name(),
                images.size(), images.channels(), images.height(), images.width(), recipe.classes() > 0
                        ? ", " + recipe.classes() + " classes" : "", Parallel.threads(),
                Simd.ENABLED ? "on" : "off (add --add-modules jdk.incubator.vector)");
        console.printf("network: %s, %,d parameters%n", trainer.model().net().architecture(),
                trainer.model().net().module().parameterCount());

        trainer.checkpointing(new Checkpointing(checkpoint, Long.MAX_VALUE, resume));
        if (stopAt > 0) {
            trainer.stopAt(stopAt);
        }
        Grids grids = new Grids(trainer, recipe, shape);
        long t0 = System.nanoTime();
        long[] loaded = {-1};
        try (ConsoleProgress progress = new ConsoleProgress(recipe.title(), steps, ConsoleProgress.isTerminal(),
                console); LossLog log = new LossLog(LossLog.file(out, trainer.phase()))) {
            long everyNanos = (long) (checkpointMinutes * 60e9);
            long[] lastSave = {System.nanoTime()};
            TrainingListener logged = RunDirectory.logged(log, progress, loaded);
            trainer.listener(new TrainingListener() {
                @Override
                public void onStart(String phase, long startStep, long totalSteps) {
                    logged.onStart(phase, startStep, totalSteps);
                }

                @Override
                public void onStep(String phase, long step, long totalSteps, double loss) {
                    onStep(phase, step, totalSteps, loss, Double.NaN);
                }

                @Override
                public void onStep(String phase, long step, long totalSteps, double loss, double gradNorm) {
                    logged.onStep(phase, step, totalSteps, loss, gradNorm);
                    long now = System.nanoTime();
                    if (now - lastSave[0] >= everyNanos) {
                        trainer.requestCheckpoint();
                        lastSave[0] = now;
                    }
                    if (sampleEvery > 0 && step % sampleEvery == 0 && step < totalSteps && step != stopAt) {
                        grids.write(step);
                    }
                }
            });
            trainer.train();
        }
        double seconds = (System.nanoTime() - t0) / 1e9;
        // the steps' own time: without the grids drawn between them
        double training = seconds - grids.seconds;
        long trained = trainer.step() - Math.max(0, loaded[0]);
        Path last = grids.write(trainer.step());
        writeLossPlot(trainer);
        manifest.phase(trainer, checkpoint, trainer.step(), Math.max(0, loaded[0]));
        boolean done = trainer.step() == steps;
        console.printf("%s: %d of %d steps (%d in this run) in %.1f s: %.3f s per step, %.1f s drawing grids%n",
                spec.name(), trainer.step(), steps, trained, seconds + grids.lastSeconds, trained > 0
                        ? training / trained : 0, grids.seconds);
        if (done) {
            manifest.complete(List.of(checkpoint.getFileName().toString(), LossLog.file(out, trainer.phase())
                    .getFileName().toString(), "loss.png", out.relativize(last).toString()));
            console.println("wrote " + checkpoint + ", " + last + ", " + out.resolve("loss.png") + ", "
                    + manifest.file());
        } else {
            console.println("stopped at step " + trainer.step() + " with a checkpoint in " + checkpoint
                    + "; continue with the same options and --resume");
        }
        return 0;
    }

    private void writeLossPlot(Trainer trainer) throws IOException {
        LossLog.Curve c = LossLog.read(LossLog.file(out, trainer.phase()));
        Plots.losses(out.resolve("loss.png"), List.of(new Plots.Curve(trainer.phase(), c.steps(), c.losses())));
    }

    /** The sample grids of the run: one fixed batch of noise and labels, drawn from the EMA model at each step. */
    private final class Grids {
        private final Trainer trainer;
        private final Recipe recipe;
        private final Tensor z;
        private final int[] labels;
        /** Seconds spent drawing grids, all of them and the last one. */
        double seconds;
        double lastSeconds;

        Grids(Trainer trainer, Recipe recipe, DataShape shape) {
            this.trainer = trainer;
            this.recipe = recipe;
            // a stream of its own: drawing grids changes nothing in the training run
            this.z = new Rng(seed).fork(0x6121D).normal(grid, shape.channels(), shape.size(), shape.size());
            if (recipe.classes() > 0) {
                labels = new int[grid];
                for (int i = 0; i < grid; i++) {
                    labels[i] = i % recipe.classes();
                }
            } else {
                labels = null;
            }
        }

        Path write(long step) {
            long t0 = System.nanoTime();
            Path file = out.resolve("samples").resolve(String.format("%s-%07d.png", trainer.phase(), step));
            try {
                Tensor x = recipe.sampler().sample(trainer.emaModel(), z, labels);
                int columns = labels != null ? recipe.classes() : (int) Math.ceil(Math.sqrt(grid));
                ImageGrid.png(file, x, grid, columns, 2);
                writeLossPlot(trainer);
            } catch (IOException e) {
                throw new java.io.UncheckedIOException("cannot write the sample grid " + file + ": "
                        + e.getMessage(), e);
            }
            lastSeconds = (System.nanoTime() - t0) / 1e9;
            seconds += lastSeconds;
            return file;
        }
    }

    // ---------------------------------------------------------------- data

    /**
     * The training images for a model of that shape: Fashion-MNIST, a folder of its IDX files, or a PNG folder;
     * labels kept only for a class-conditional model; the first {@code --subset} images.
     */
    ImageDataset loadImages(DataShape shape) throws IOException {
        boolean labelled = shape.labelled();
        ImageDataset all;
        if (data.equals(EMOJI)) {
            if (shape.channels() != 3 || labelled) {
                throw new IllegalArgumentException("--data emoji holds unlabelled RGB images, but the network takes "
                        + shape.channels() + " channel(s)" + (labelled ? " and class labels" : "")
                        + ": use an unconditional RGB model, e.g. --model small32rgb");
            }
            all = EmojiOne.load(emojiDir, shape.size(), EmojiOne.WHITE);
        } else if (data.equals(FASHION_MNIST) || Files.exists(Path.of(data).resolve(FashionMnist.Split.TRAIN.imagesFile()))) {
            Path dir = data.equals(FASHION_MNIST) ? fashionMnistDir : Path.of(data);
            all = fashionMnist(dir);
            if (shape.channels() != 1 || shape.size() != FashionMnist.SIZE) {
                throw new IllegalArgumentException("--data " + data + " holds 28x28 grayscale images, but the "
                        + "network takes " + shape.size() + "x" + shape.size() + "x" + shape.channels()
                        + ": use --model small28, or a folder of PNG images");
            }
        } else {
            all = ImageFolder.load(Path.of(data), new ImageFolder.Options(shape.size(), shape.size(),
                    shape.channels(), 0x000000, labelled));
        }
        if (labelled) {
            all.requireClasses(shape.classes() > 0 ? shape.classes() : all.classes().size());
        }
        int n = subset == 0 ? all.size() : Math.min(subset, all.size());
        if (n == all.size() && (labelled || !all.labelled())) {
            return all;
        }
        int per = all.channels() * all.height() * all.width();
        Tensor src = all.images();
        float[] x = Arrays.copyOfRange(src.data(), src.offset(), src.offset() + n * per);
        int[] y = labelled ? Arrays.copyOf(all.labels(), n) : null;
        String name = all.name() + (n < all.size() ? ", the first " + n : "");
        return new ImageDataset(name, Tensor.wrap(x, new int[] {n, all.channels(), all.height(), all.width()}), y,
                labelled ? all.classes() : List.of());
    }

    /** The last Fashion-MNIST training split read, kept while memory allows: commands run one after another in one JVM. */
    private static java.lang.ref.SoftReference<Map.Entry<String, ImageDataset>> lastRead;

    /** Fashion-MNIST's training split from {@code dir}, read again only when its images file changed. */
    private static synchronized ImageDataset fashionMnist(Path dir) throws IOException {
        Path images = dir.resolve(FashionMnist.Split.TRAIN.imagesFile());
        Path labels = dir.resolve(FashionMnist.Split.TRAIN.labelsFile());
        String key = dir.toAbsolutePath() + (Files.exists(images) && Files.exists(labels)
                ? " " + Files.getLastModifiedTime(images) + " " + Files.size(images) + " "
                + Files.getLastModifiedTime(labels) + " " + Files.size(labels) : "");
        Map.Entry<String, ImageDataset> last = lastRead == null ? null : lastRead.get();
        if (last != null && last.getKey().equals(key)) {
            return last.getValue();
        }
        ImageDataset d = FashionMnist.load(dir, FashionMnist.Split.TRAIN);
        lastRead = new java.lang.ref.SoftReference<>(Map.entry(key, d));
        return d;
    }

    /** CRC32C of the training images' float bits and of their labels: names the data a checkpoint was trained on. */
    static String fingerprint(ImageDataset images) {
        CRC32C labels = new CRC32C();
        if (images.labelled()) {
            for (int y : images.labels()) {
                labels.update(new byte[] {(byte) (y >>> 24), (byte) (y >>> 16), (byte) (y >>> 8), (byte) y});
            }
        }
        return String.format("crc32c:%08x/%08x/%d", TensorChecks.crc32c(images.images()), labels.getValue(),
                images.size());
    }

    /** The U-Net configuration recorded in every checkpoint, so that sample and distill can rebuild it. */
    static void recordNetwork(Trainer trainer, UNet.Config config) {
        trainer.setting(ImageCheckpoint.UNET_SETTING, ImageCheckpoint.json(config));
    }
}
