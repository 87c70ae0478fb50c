package dev.cm4j.cli;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import dev.cm4j.consistency.data.FashionMnist;
import dev.cm4j.consistency.data.ImageDataset;
import dev.cm4j.consistency.metrics.ClassifierTraining;
import dev.cm4j.consistency.metrics.FashionMnistClassifier;
import dev.cm4j.consistency.metrics.FashionMnistEvaluator;
import dev.cm4j.consistency.metrics.FeatureClassifier;
import dev.cm4j.models.io.CheckpointFormatException;
import dev.cm4j.models.io.Npz;
import dev.cm4j.tensor.Parallel;
import dev.cm4j.tensor.Simd;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/**
 * {@code cm4j eval}: the Fashion-MNIST feature distance (FD), precision and recall of generated images against the
 * Fashion-MNIST test set (or training set), on the features of the committed classifier
 * ({@link FashionMnistEvaluator}); {@code --floor} scores real training images instead, and
 * {@code cm4j eval train-classifier} retrains the classifier's weights bit for bit.
 */
@Command(name = "eval", mixinStandardHelpOptions = true,
        description = {"Score samples (.npz, uint8 arr_0 of shape (N, 28, 28, 1), as numpy.savez writes it) with the "
                + "Fashion-MNIST feature distance (FD), precision and recall (k = 3) against Fashion-MNIST.",
            "The FD is computed on the features of cm4j's own classifier: it is not comparable with Inception FID. "
                + "Scores depend on the number of samples; 10000 is the convention."},
        subcommands = EvalCommand.TrainClassifier.class)
public final class EvalCommand implements Callable<Integer> {
    @Parameters(index = "0", arity = "0..1", paramLabel = "SAMPLES",
            description = "The .npz of samples: arr_0 uint8 (N, 28, 28, 1); other arrays are ignored.")
    Path samples;

    @Option(names = "--reference", description = "test or train: the Fashion-MNIST split to compare with (default: "
            + "${DEFAULT-VALUE}).")
    String reference = "test";

    @Option(names = "--data", description = "Folder of the Fashion-MNIST files (default: ${DEFAULT-VALUE}).")
    Path data = FashionMnist.DEFAULT_DIR;

    @Option(names = "--floor", description = "Score the first --floor-count training images against the test set "
            + "instead of samples: the floor no model can be expected to beat.")
    boolean floor;

    @Option(names = "--floor-count", description = "Training images scored by --floor (default: ${DEFAULT-VALUE}).")
    int floorCount = 10_000;

    @Option(names = "--json", description = "Print the scores as one JSON object.")
    boolean json;

    /** The options that lower the memory of an evaluation, named by an out-of-memory error. */
    static final String MEMORY_OPTIONS = "the number of samples or --floor-count";

    private final PrintStream console = System.out;

    @Override
    public Integer call() throws IOException {
        Cm4j.checkSystemProperties();
        FashionMnist.Split split = validate();
        try {
            FashionMnistEvaluator evaluator = new FashionMnistEvaluator(committedClassifier());
            FashionMnistEvaluator.Report report;
            if (floor) {
                report = evaluator.floor(FashionMnist.load(data, FashionMnist.Split.TRAIN), floorCount,
                        FashionMnist.load(data, FashionMnist.Split.TEST));
            } else {
                Npz.Images images = readSamples(samples);
                ImageDataset ref = FashionMnist.load(data, split);
                report = evaluator.evaluate(samples.toString(), images.images(), ref.name(), ref.images());
            }
            print(report);
            return 0;
        } catch (OutOfMemoryError e) {
            throw new ErrorReport.OutOfMemory(MEMORY_OPTIONS, e);
        }
    }

    /**
     * Checks the options before any work.
     *
     * @throws IllegalArgumentException naming the option or file, the value and what it accepts
     */
    FashionMnist.Split validate() {
        FashionMnist.Split split = split(reference);
        if (floor) {
            if (samples != null) {
                throw new IllegalArgumentException("--floor scores training images, not SAMPLES (" + samples
                        + "): give one or the other");
            }
            if (split != FashionMnist.Split.TEST) {
                throw new IllegalArgumentException("--floor compares training images with the test set; "
                        + "--reference " + reference + " does not apply");
            }
            if (floorCount < 4 || floorCount > FashionMnist.Split.TRAIN.count()) {
                throw new IllegalArgumentException("--floor-count " + floorCount + ": must be between 4 and "
                        + FashionMnist.Split.TRAIN.count() + " (default 10000)");
            }
        } else if (samples == null) {
            throw new IllegalArgumentException("give the .npz of samples to score (arr_0 uint8 (N, 28, 28, 1)), or "
                    + "--floor");
        } else if (!Files.isRegularFile(samples)) {
            throw new IllegalArgumentException("SAMPLES " + samples + ": " + (Files.exists(samples) ? "not a file"
                    : "no such file"));
        }
        return split;
    }

    /** The Fashion-MNIST split named by {@code --reference}: test or train. */
    static FashionMnist.Split split(String reference) {
        return switch (reference.toLowerCase(Locale.ROOT)) {
            case "test" -> FashionMnist.Split.TEST;
            case "train" -> FashionMnist.Split.TRAIN;
            default -> throw new IllegalArgumentException("--reference " + reference + ": must be test or train");
        };
    }

    /**
     * The samples of an .npz as (N, 1, 28, 28) on [-1, 1]; a file of the wrong kind is reported in one line (without
     * the cause, whose type would bring the hint about checkpoints).
     */
    static Npz.Images readSamples(Path file) throws IOException {
        Npz.Images images;
        try {
            images = Npz.readImages(file);
        } catch (CheckpointFormatException e) {
            throw new IllegalArgumentException(e.getMessage() + "; write samples as numpy.savez(file, x) with x uint8 "
                    + "(N, 28, 28, 1), or with cm4j's Npz.writeImages");
        }
        int[] s = images.images().shape();
        if (s[1] != 1 || s[2] != FashionMnist.SIZE || s[3] != FashionMnist.SIZE) {
            throw new IllegalArgumentException(file + ": images of " + s[2] + " x " + s[3] + " pixels with " + s[1]
                    + " channel(s); the Fashion-MNIST evaluator takes 28 x 28 x 1 (arr_0 of shape (N, 28, 28, 1))");
        }
        if (s[0] < 4) {
            throw new IllegalArgumentException(file + ": " + s[0] + " images; precision and recall with k = 3 need "
                    + "at least 4 (10000 by convention)");
        }
        return images;
    }

    /** The committed classifier; a damaged or missing copy is reported in one line. */
    static FeatureClassifier committedClassifier() throws IOException {
        try {
            return FashionMnistClassifier.load();
        } catch (CheckpointFormatException e) {
            throw new IllegalStateException("the evaluator's classifier cannot be used: " + e.getMessage()
                    + "; rebuild cm4j, or retrain it with 'cm4j eval train-classifier'");
        }
    }

    private void print(FashionMnistEvaluator.Report r) throws IOException {
        if (json) {
            Map<String, Object> m = new LinkedHashMap<>();
            m.put("metric", FashionMnistEvaluator.LABEL);
            m.put("note", FashionMnistEvaluator.CAVEAT);
            m.put("samples", r.samples());
            m.put("sample_count", r.sampleCount());
            m.put("reference", r.reference());
            m.put("reference_count", r.referenceCount());
            m.put("fd", r.fd());
            m.put("precision", r.precision());
            m.put("recall", r.recall());
            m.put("k", r.k());
            m.put("classifier_sha256", FashionMnistClassifier.SHA256);
            console.println(new ObjectMapper().disable(SerializationFeature.INDENT_OUTPUT).writeValueAsString(m));
            return;
        }
        console.println(FashionMnistEvaluator.LABEL + " (" + FashionMnistEvaluator.CAVEAT + ")");
        console.printf(Locale.ROOT, "samples:    %s (%d images)%n", r.samples(), r.sampleCount());
        console.printf(Locale.ROOT, "reference:  %s (%d images)%n", r.reference(), r.referenceCount());
        console.printf(Locale.ROOT, "FD          %.4f%n", r.fd());
        console.printf(Locale.ROOT, "precision   %.4f (k = %d)%n", r.precision(), r.k());
        console.printf(Locale.ROOT, "recall      %.4f (k = %d)%n", r.recall(), r.k());
    }

    /**
     * {@code cm4j eval train-classifier}: trains the evaluator's classifier with {@link ClassifierTraining#defaults()}
     * on the Fashion-MNIST training set, reports its test accuracy after every epoch, and writes the weights. With the
     * defaults the weights are those committed, bit for bit, whatever the thread count (on the same kernel path: the
     * Vector API twins or the scalar references).
     */
    @Command(name = "train-classifier", mixinStandardHelpOptions = true,
            description = "Retrain the evaluator's Fashion-MNIST classifier (the committed weights come from the "
                    + "defaults) and write its weights as safetensors.")
    static final class TrainClassifier implements Callable<Integer> {
        @Option(names = {"-o", "--out"}, description = "Output file (default: ${DEFAULT-VALUE}).")
        Path out = Path.of(FashionMnistClassifier.RESOURCE);

        @Option(names = "--data", description = "Folder of the Fashion-MNIST files (default: ${DEFAULT-VALUE}).")
        Path data = FashionMnist.DEFAULT_DIR;

        @Option(names = "--epochs", description = "Passes over the training set (default: ${DEFAULT-VALUE}; other "
                + "values give other weights).")
        int epochs = ClassifierTraining.defaults().epochs();

        private final PrintStream console = System.out;

        @Override
        public Integer call() throws IOException {
            Cm4j.checkSystemProperties();
            if (epochs < 1 || epochs > 1000) {
                throw new IllegalArgumentException("--epochs " + epochs + ": must be between 1 and 1000");
            }
            if (out == null || out.toString().isBlank() || Files.isDirectory(out)) {
                throw new IllegalArgumentException("--out " + out + ": give the file to write");
            }
            ClassifierTraining settings = ClassifierTraining.defaults().withEpochs(epochs);
            long t0 = System.nanoTime();
            ImageDataset train = FashionMnist.load(data, FashionMnist.Split.TRAIN);
            ImageDataset test = FashionMnist.load(data, FashionMnist.Split.TEST);
            console.printf(Locale.ROOT, "training the classifier: %s; %d threads, SIMD %s%n", settings.describe(),
                    Parallel.threads(), Simd.ENABLED ? "on" : "off");
            double[] accuracy = {Double.NaN};
            int per = settings.stepsPerEpoch(train.size());
            FeatureClassifier model = settings.train(train, new ClassifierTraining.Listener() {
                private double sum;
                private int count;

                @Override
                public void step(long step, long total, double loss) {
                    sum += loss;
                    count++;
                    if ((step + 1) % 100 == 0) {
                        console.printf(Locale.ROOT, "  step %d/%d  loss %.4f  %.0f s%n", step + 1, total, sum / count,
                                (System.nanoTime() - t0) / 1e9);
                        sum = 0;
                        count = 0;
                    }
                }

                @Override
                public void epoch(int epoch, FeatureClassifier classifier) {
                    accuracy[0] = classifier.accuracy(test.images(), test.labels(), FashionMnistEvaluator.BATCH);
                    console.printf(Locale.ROOT, "epoch %d/%d (%d steps): test accuracy %.4f, %.0f s%n", epoch + 1,
                            settings.epochs(), per, accuracy[0], (System.nanoTime() - t0) / 1e9);
                }
            });
            String sha = FashionMnistClassifier.save(out, model, settings, accuracy[0]);
            console.printf(Locale.ROOT, "wrote %s: test accuracy %.4f, %d parameters, wall time %.1f s%n", out,
                    accuracy[0], model.parameterCount(), (System.nanoTime() - t0) / 1e9);
            console.println("sha256 of the weights: " + sha);
            console.println(sha.equals(FashionMnistClassifier.SHA256) ? "identical to the committed weights"
                    : "differs from the committed weights (" + FashionMnistClassifier.SHA256 + ")");
            return 0;
        }
    }
}
