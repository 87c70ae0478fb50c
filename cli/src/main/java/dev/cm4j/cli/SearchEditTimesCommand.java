package dev.cm4j.cli;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import dev.cm4j.consistency.api.ConsistencyModel;
import dev.cm4j.consistency.data.FashionMnist;
import dev.cm4j.consistency.data.ImageDataset;
import dev.cm4j.consistency.editing.Edit;
import dev.cm4j.consistency.editing.Masks;
import dev.cm4j.consistency.editing.ZeroShotEditor;
import dev.cm4j.consistency.metrics.FashionMnistEvaluator;
import dev.cm4j.consistency.metrics.FrechetDistance;
import dev.cm4j.consistency.model.Denoiser;
import dev.cm4j.consistency.noise.NoiseSource;
import dev.cm4j.models.unet.UNet;
import dev.cm4j.tensor.Rng;
import dev.cm4j.tensor.Tensor;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code cm4j search-edit-times}: how many steps zero-shot editing (Algorithm 4 of Song et al. 2023) should take with
 * a Fashion-MNIST consistency model, found by scoring candidate step times on real images: for each number of
 * evaluations M in {@code --evaluations}, the times are the grid indices {@code round(k (N - 1) / M)}, k = 0..M, of a
 * Karras grid of N points (M = 4, N = 40: 0, 10, 20, 29, 39 ... evenly spaced in index, so spaced as the grid is in
 * sigma), the form the released editing functions take.
 *
 * <p>Each candidate edits the same images (the training images {@code [--offset, --offset + -n)}) from the same noise
 * and is scored by two numbers: the feature distance (FD) of the edited images against the Fashion-MNIST test set, how
 * real they look, and the RMSE of the generated components against the originals, how close to the hidden truth they
 * are (the known components equal the input exactly, so the pixel error is the error of the generated ones; for
 * inpainting the hole is ill-posed and the RMSE rewards the mean, so FD chooses by default). Context rows: the
 * originals themselves and the input as the model receives it (the hole filled with -1, or the patch means).
 */
@Command(name = "search-edit-times", mixinStandardHelpOptions = true, sortOptions = false,
        description = {"Search how many steps zero-shot editing should take with a Fashion-MNIST consistency model "
                + "(distill, train-ict, train-ct, train-ect): for each number of evaluations M, edit the same "
                + "training images from the same noise at M + 1 evenly spaced grid indices and score the results by "
                + "feature distance (FD) against the test set and by the RMSE of the generated components.",
            "Score a second draw (other images: --offset, other noise: --seed) with --evaluations set to the "
                + "choice to report it held out."})
final class SearchEditTimesCommand implements Callable<Integer> {
    /** Images edited per network call. */
    static final int CHUNK = 100;

    @Option(names = ConfigFile.OPTION, paramLabel = "FILE", description = "Read options from a JSON or .properties "
            + "file; options given here override the file.")
    Path config;

    @Option(names = {"-c", "--checkpoint"}, required = true, paramLabel = "FILE", description = "A consistency "
            + "model's checkpoint, e.g. cm4j-cd/cd.safetensors (its EMA weights edit).")
    Path checkpoint;

    @Option(names = "--edit", description = "inpaint or superres (default: ${DEFAULT-VALUE}).")
    String edit = "inpaint";

    @Option(names = "--box", split = ",", paramLabel = "TOP,LEFT,HEIGHT,WIDTH", description = "inpaint: the hole "
            + "in pixels (default: 7,7,14,14, the centre quarter).")
    int[] box = {7, 7, 14, 14};

    @Option(names = {"-p", "--patch"}, description = "superres: the patch size p, which must divide 28: 2, 4, 7 or "
            + "14 (default: ${DEFAULT-VALUE}).")
    int patch = 4;

    @Option(names = "--points", description = "Points N of the Karras grid of the step times (default: "
            + "${DEFAULT-VALUE}).")
    int points = 40;

    @Option(names = "--evaluations", split = ",", paramLabel = "M", description = "The candidate numbers of network "
            + "evaluations, each between 1 and N - 1 (default: 1,2,3,4,6,8,12,20).")
    int[] evaluations = {1, 2, 3, 4, 6, 8, 12, 20};

    @Option(names = {"-n", "--count"}, description = "Images edited per candidate (default: ${DEFAULT-VALUE}).")
    int count = 500;

    @Option(names = "--offset", description = "The first training image edited (default: ${DEFAULT-VALUE}).")
    int offset = 0;

    @Option(names = {"-s", "--seed"}, description = "Seed of the noise, the same for every candidate (default: "
            + "${DEFAULT-VALUE}).")
    long seed = 1;

    @Option(names = "--by", description = "fd or rmse: the score that chooses (default: ${DEFAULT-VALUE}).")
    String by = "fd";

    @Option(names = "--data", description = "Folder of the Fashion-MNIST files (default: ${DEFAULT-VALUE}).")
    Path data = FashionMnist.DEFAULT_DIR;

    @Option(names = "--json", description = "Print the result as one JSON object.")
    boolean json;

    private final PrintStream console = System.out;

    /** One scored row: a candidate's indices (empty for a context row), its FD and RMSE. */
    record Row(String what, int[] ts, double fd, double rmse, double seconds) {
    }

    @Override
    public Integer call() throws IOException {
        Cm4j.checkSystemProperties();
        ImageTrainCommand.inRange("--points", points, 2, 10_000);
        ImageTrainCommand.inRange("--count", count, 16, FashionMnist.Split.TRAIN.count());
        ImageTrainCommand.inRange("--offset", offset, 0, FashionMnist.Split.TRAIN.count() - count);
        if (!by.equals("fd") && !by.equals("rmse")) {
            throw new IllegalArgumentException("--by " + by + ": must be fd or rmse");
        }
        if (evaluations.length == 0) {
            throw new IllegalArgumentException("--evaluations: give at least one number of evaluations, e.g. 1,2,4");
        }
        for (int m : evaluations) {
            if (m < 1 || m > points - 1) {
                throw new IllegalArgumentException("--evaluations " + Arrays.toString(evaluations) + ": " + m
                        + " is outside 1.." + (points - 1) + " (a grid of --points " + points + " has " + points
                        + " times)");
            }
        }
        Edit e = edit();
        ConsistencyModel model = ConsistencyModel.load(checkpoint);
        checkModel(model);
        try {
            return search(model, e);
        } catch (OutOfMemoryError oom) {
            throw new ErrorReport.OutOfMemory("--count", oom);
        }
    }

    /** The edit of --edit with its options, checked before the model is read. */
    private Edit edit() {
        int s = FashionMnist.SIZE;
        return switch (edit) {
            case "inpaint" -> {
                if (box.length != 4) {
                    throw new IllegalArgumentException("--box " + Arrays.toString(box) + ": give TOP,LEFT,HEIGHT,WIDTH");
                }
                yield Edit.inpainting(Masks.boxes(1, s, s, box));
            }
            case "superres" -> {
                if (patch < 2 || s % patch != 0) {
                    throw new IllegalArgumentException("--patch " + patch + ": must divide the image size " + s
                            + " and be at least 2 (2, 4, 7 or 14)");
                }
                yield Edit.superResolution(1, s, s, patch);
            }
            default -> throw new IllegalArgumentException("--edit " + edit + ": must be inpaint or superres (the "
                    + "Fashion-MNIST models are grayscale: colorization needs an RGB model)");
        };
    }

    private void checkModel(ConsistencyModel model) {
        if (!model.isConsistency()) {
            throw new IllegalArgumentException("--checkpoint " + checkpoint + ": an EDM teacher (role " + model.role()
                    + "); zero-shot editing needs a consistency model (distill, train-ict, train-ct, train-ect)");
        }
        UNet.Config c = model.config();
        if (c.inChannels() != 1 || c.imageSize() != FashionMnist.SIZE || c.numClasses() > 0) {
            throw new IllegalArgumentException("--checkpoint " + checkpoint + ": a model of " + c.inChannels() + " x "
                    + c.imageSize() + " x " + c.imageSize() + " images" + (c.numClasses() > 0 ? " with classes" : "")
                    + "; the search edits and scores unconditional Fashion-MNIST models (1 x 28 x 28)");
        }
    }

    private Integer search(ConsistencyModel model, Edit e) throws IOException {
        long t0 = System.nanoTime();
        FashionMnistEvaluator evaluator = new FashionMnistEvaluator(EvalCommand.committedClassifier());
        ImageDataset test = FashionMnist.load(data, FashionMnist.Split.TEST);
        ImageDataset train = FashionMnist.load(data, FashionMnist.Split.TRAIN);
        FrechetDistance.Gaussian ref = FrechetDistance.fit(evaluator.features(test.name(), test.images()));
        Tensor originals = train.images().slice(0, offset, offset + count);
        int generated = generatedComponents(e);
        if (!json) {
            console.printf(Locale.ROOT, "cm4j search-edit-times: %s; %s of training images %d..%d (%d generated "
                            + "components each), noise of seed %d, against %s; grid of %d points%n", model,
                    describe(), offset, offset + count - 1, generated, seed, test.name(), points);
        }
        List<Row> context = new ArrayList<>();
        context.add(score("the originals", null, originals, originals, evaluator, ref, generated, t0));
        context.add(score("the input (" + (e.name().equals("inpainting") ? "hole = -1" : "patch means") + ")",
                null, e.reference(originals), originals, evaluator, ref, generated, System.nanoTime()));
        List<Row> rows = new ArrayList<>();
        Denoiser f = model.network().denoiser();
        ZeroShotEditor editor = ZeroShotEditor.images(model.schedule());
        for (int m : evaluations) {
            long t1 = System.nanoTime();
            int[] ts = evenlySpaced(m, points);
            Tensor edited = editChunks(editor, f, e, originals, ts);
            rows.add(score(m + (m == 1 ? " evaluation" : " evaluations"), ts, edited, originals, evaluator, ref,
                    generated, t1));
        }
        Row best = rows.get(0);
        for (Row r : rows) {
            if (value(r) < value(best)) {
                best = r;
            }
        }
        print(context, rows, best, generated, t0);
        return 0;
    }

    /** Algorithm 4 on the images in chunks of {@link #CHUNK}; chunk k draws its noise from stream k of the seed. */
    private Tensor editChunks(ZeroShotEditor editor, Denoiser f, Edit e, Tensor originals, int[] ts) {
        int per = originals.size() / count;
        float[] out = new float[originals.size()];
        for (int from = 0, k = 0; from < count; from += CHUNK, k++) {
            int b = Math.min(CHUNK, count - from);
            Tensor y = originals.slice(0, from, from + b);
            NoiseSource noise = NoiseSource.of(new Rng(seed, k));
            Tensor x = editor.editAtIndices(f, e, y, ts, points, noise, ZeroShotEditor.StepListener.NONE);
            System.arraycopy(x.data(), x.offset(), out, from * per, b * per);
        }
        return Tensor.wrap(out, originals.shape());
    }

    /** Grid indices round(k (N - 1) / M), k = 0..M: M evaluations from sigma_max down to the grid's end. */
    static int[] evenlySpaced(int m, int points) {
        int[] ts = new int[m + 1];
        for (int k = 0; k <= m; k++) {
            ts[k] = (int) Math.round((double) k * (points - 1) / m);
        }
        return ts;
    }

    /** The number of A-space components the edit generates per image. */
    private static int generatedComponents(Edit e) {
        Tensor known = e.known();
        float[] k = known.data();
        int sum = 0;
        for (int i = 0; i < known.size(); i++) {
            sum += (int) k[known.offset() + i];
        }
        return known.size() - sum;
    }

    private Row score(String what, int[] ts, Tensor images, Tensor originals, FashionMnistEvaluator evaluator,
                      FrechetDistance.Gaussian ref, int generated, long since) {
        double fd = FrechetDistance.distance(FrechetDistance.fit(evaluator.features(what, images)), ref);
        float[] a = images.data();
        float[] o = originals.data();
        double sq = 0;
        for (int i = 0; i < images.size(); i++) {
            double d = a[images.offset() + i] - o[originals.offset() + i];
            sq += d * d;
        }
        double rmse = Math.sqrt(sq / ((double) count * generated));
        Row r = new Row(what, ts, fd, rmse, (System.nanoTime() - since) / 1e9);
        if (!json) {
            console.printf(Locale.ROOT, "  %s%s: FD %.4f, RMSE %.4f (%.1f s)%n", what, ts == null ? ""
                    : " " + Arrays.toString(ts), fd, rmse, r.seconds());
        }
        return r;
    }

    private double value(Row r) {
        return by.equals("fd") ? r.fd() : r.rmse();
    }

    private String describe() {
        return edit.equals("inpaint") ? "inpainting of the box " + Arrays.toString(box)
                : "super-resolution by " + patch + " x " + patch + " patches";
    }

    private void print(List<Row> context, List<Row> rows, Row best, int generated, long t0) throws IOException {
        if (json) {
            Map<String, Object> m = new LinkedHashMap<>();
            m.put("checkpoint", checkpoint.toString());
            m.put("edit", describe());
            m.put("metric", FashionMnistEvaluator.LABEL);
            m.put("images", "training images " + offset + ".." + (offset + count - 1));
            m.put("count", count);
            m.put("generated_components", generated);
            m.put("seed", seed);
            m.put("points", points);
            m.put("by", by);
            m.put("context", rowsJson(context));
            m.put("candidates", rowsJson(rows));
            m.put("best_evaluations", best.ts().length - 1);
            m.put("best_ts", best.ts());
            m.put("best_fd", best.fd());
            m.put("best_rmse", best.rmse());
            console.println(new ObjectMapper().disable(SerializationFeature.INDENT_OUTPUT).writeValueAsString(m));
            return;
        }
        console.println("evaluations  FD         RMSE     grid indices");
        for (Row r : rows) {
            console.printf(Locale.ROOT, "%11d %9.4f %9.4f   %s%s%n", r.ts().length - 1, r.fd(), r.rmse(),
                    Arrays.toString(r.ts()), r == best ? "  best by " + by : "");
        }
        String ts = Arrays.toString(best.ts()).replaceAll("[\\[\\] ]", "");
        console.printf(Locale.ROOT, "best by %s: %d evaluations, --ts %s --steps %d; %.1f s in all%n", by,
                best.ts().length - 1, ts, points, (System.nanoTime() - t0) / 1e9);
    }

    private static List<Map<String, Object>> rowsJson(List<Row> rows) {
        List<Map<String, Object>> out = new ArrayList<>();
        for (Row r : rows) {
            Map<String, Object> m = new LinkedHashMap<>();
            m.put("what", r.what());
            if (r.ts() != null) {
                m.put("evaluations", r.ts().length - 1);
                m.put("ts", r.ts());
            }
            m.put("fd", r.fd());
            m.put("rmse", r.rmse());
            out.add(m);
        }
        return out;
    }
}
