package dev.cm4j.cli;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import dev.cm4j.consistency.api.ConsistencyModel;
import dev.cm4j.consistency.data.EmojiOne;
import dev.cm4j.consistency.data.FashionMnist;
import dev.cm4j.consistency.data.ImageDataset;
import dev.cm4j.consistency.data.ImageFolder;
import dev.cm4j.consistency.editing.Edit;
import dev.cm4j.consistency.editing.Masks;
import dev.cm4j.consistency.editing.OrthogonalBases;
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
import java.nio.file.Files;
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
 * a consistency model, found by scoring candidate step times on real images: for each number of
 * evaluations M in {@code --evaluations}, the times are the grid indices {@code round(k (N - 1) / M)}, k = 0..M, of a
 * Karras grid of N points (M = 4, N = 40: 0, 10, 20, 29, 39 ... evenly spaced in index, so spaced as the grid is in
 * sigma), the form the released editing functions take.
 *
 * <p>Each candidate edits the same images (images {@code [--offset, --offset + -n)} of {@code --data}) from the same
 * noise and is scored by the RMSE of the generated components against the originals, how close to the hidden truth
 * they are (the known components equal the input exactly, so the pixel error is the error of the generated ones),
 * and, on Fashion-MNIST, by the feature distance (FD) of the edited images against its test set, how real they look.
 * For inpainting the hole is ill-posed and the RMSE rewards the mean, so FD chooses by default where it exists. RGB
 * images (EmojiOne, a PNG folder) have no FD; their rows carry the colourfulness instead, the mean over pixels of
 * (max - min) of the three channels in [0, 1] units, which shows a washed-out colorization that a low RMSE can hide.
 * Context rows: the originals themselves and the input as the model receives it (the hole filled with -1, the patch
 * means, or the luminance alone), and for colorization the gray image, the answer of a colorizer that adds no colour.
 */
@Command(name = "search-edit-times", mixinStandardHelpOptions = true, sortOptions = false,
        description = {"Search how many steps zero-shot editing should take with a consistency model (distill, "
                + "train-ict, train-ct, train-ect): for each number of evaluations M, edit the same images from the "
                + "same noise at M + 1 evenly spaced grid indices and score the results by the RMSE of the generated "
                + "components and, on Fashion-MNIST, by feature distance (FD) against the test set (RGB images: "
                + "by RMSE and colourfulness).",
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

    @Option(names = "--edit", description = "inpaint, superres or colorize (an RGB model) (default: "
            + "${DEFAULT-VALUE}).")
    String edit = "inpaint";

    @Option(names = "--box", split = ",", paramLabel = "TOP,LEFT,HEIGHT,WIDTH", description = "inpaint: the hole "
            + "in pixels (default: 7,7,14,14, the centre quarter).")
    int[] box = {7, 7, 14, 14};

    @Option(names = {"-p", "--patch"}, description = "superres: the patch size p, which must divide the image size "
            + "(28: 2, 4, 7 or 14; 32: 2, 4, 8 or 16) (default: ${DEFAULT-VALUE}).")
    int patch = 4;

    @Option(names = "--points", description = "Points N of the Karras grid of the step times (default: "
            + "${DEFAULT-VALUE}).")
    int points = 40;

    @Option(names = "--evaluations", split = ",", paramLabel = "M", description = "The candidate numbers of network "
            + "evaluations, each between 1 and N - 1 (default: 1,2,3,4,6,8,12,20).")
    int[] evaluations = {1, 2, 3, 4, 6, 8, 12, 20};

    @Option(names = {"-n", "--count"}, description = "Images edited per candidate (default: ${DEFAULT-VALUE}).")
    int count = 500;

    @Option(names = "--offset", description = "The first image edited (default: ${DEFAULT-VALUE}); images a model "
            + "did not see (past its --subset) make a held-out score.")
    int offset = 0;

    @Option(names = {"-s", "--seed"}, description = "Seed of the noise, the same for every candidate (default: "
            + "${DEFAULT-VALUE}).")
    long seed = 1;

    @Option(names = "--by", description = "fd or rmse: the score that chooses (default: fd on Fashion-MNIST, rmse "
            + "on other images, which have no FD).")
    String by;

    @Option(names = "--data", paramLabel = "fashion-mnist|emoji|DIR", description = "The images edited: "
            + "fashion-mnist (its training split from /usr/share/datasets/fashion-mnist; the FD compares with its "
            + "test split), emoji (the 1,794 EmojiOne images of Debian's ruby-gemojione over white, at the model's "
            + "size), a folder of the Fashion-MNIST IDX files, or a folder of PNG images read at the model's size and "
            + "channels (default: ${DEFAULT-VALUE}).")
    String data = ImageTrainCommand.FASHION_MNIST;

    @Option(names = "--json", description = "Print the result as one JSON object.")
    boolean json;

    private final PrintStream console = System.out;

    /** One scored row: a candidate's indices (null for a context row), its FD (NaN without one), RMSE and colour. */
    record Row(String what, int[] ts, double fd, double rmse, double colourfulness, double seconds) {
    }

    /** The images edited, and Fashion-MNIST's test split where the FD applies (else null). */
    private record Images(ImageDataset edited, ImageDataset test) {
    }

    @Override
    public Integer call() throws IOException {
        Cm4j.checkSystemProperties();
        ImageTrainCommand.inRange("--points", points, 2, 10_000);
        if (by != null && !by.equals("fd") && !by.equals("rmse")) {
            throw new IllegalArgumentException("--by " + by + ": must be fd or rmse");
        }
        if (!edit.equals("inpaint") && !edit.equals("superres") && !edit.equals("colorize")) {
            throw new IllegalArgumentException("--edit " + edit + ": must be inpaint, superres or colorize");
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
        ConsistencyModel model = ConsistencyModel.load(checkpoint);
        checkModel(model);
        Edit e = edit(model.config());
        Images images = images(model.config());
        int available = images.edited().size();
        if (count < 16 || count > available) {
            throw new IllegalArgumentException("--count " + count + ": must be between 16 and " + available + " ("
                    + images.edited().name() + ")");
        }
        ImageTrainCommand.inRange("--offset", offset, 0, available - count);
        if (by == null) {
            by = images.test() != null ? "fd" : "rmse";
        } else if (by.equals("fd") && images.test() == null) {
            throw new IllegalArgumentException("--by fd: the feature distance exists only for Fashion-MNIST (its "
                    + "classifier's features); these images are " + images.edited().name() + ": use --by rmse");
        }
        try {
            return search(model, e, images);
        } catch (OutOfMemoryError oom) {
            throw new ErrorReport.OutOfMemory("--count", oom);
        }
    }

    /** The edit of --edit with its options, for images of the model's shape. */
    private Edit edit(UNet.Config c) {
        int s = c.imageSize();
        return switch (edit) {
            case "inpaint" -> {
                if (box.length != 4) {
                    throw new IllegalArgumentException("--box " + Arrays.toString(box) + ": give TOP,LEFT,HEIGHT,WIDTH");
                }
                yield Edit.inpainting(Masks.boxes(c.inChannels(), s, s, box));
            }
            case "superres" -> {
                if (patch < 2 || s % patch != 0) {
                    throw new IllegalArgumentException("--patch " + patch + ": must divide the image size " + s
                            + " and be at least 2 (" + divisors(s) + ")");
                }
                yield Edit.superResolution(c.inChannels(), s, s, patch);
            }
            default -> {
                if (c.inChannels() != 3) {
                    throw new IllegalArgumentException("--edit colorize: the model takes " + c.inChannels()
                            + " channel(s); colorization needs an RGB model (3 channels), e.g. one trained with "
                            + "--data emoji --model small32rgb");
                }
                yield Edit.colorization(s, s);
            }
        };
    }

    /** The patch sizes p >= 2 that divide {@code size}, for the error message: "2, 4, 7 or 14". */
    private static String divisors(int size) {
        List<String> d = new ArrayList<>();
        for (int p = 2; p < size; p++) {
            if (size % p == 0) {
                d.add(Integer.toString(p));
            }
        }
        if (d.isEmpty()) {
            return "none below " + size;
        }
        String last = d.remove(d.size() - 1);
        return d.isEmpty() ? last : String.join(", ", d) + " or " + last;
    }

    private void checkModel(ConsistencyModel model) {
        if (!model.isConsistency()) {
            throw new IllegalArgumentException("--checkpoint " + checkpoint + ": an EDM teacher (role " + model.role()
                    + "); zero-shot editing needs a consistency model (distill, train-ict, train-ct, train-ect)");
        }
        UNet.Config c = model.config();
        if (c.numClasses() > 0) {
            throw new IllegalArgumentException("--checkpoint " + checkpoint + ": a model with " + c.numClasses()
                    + " classes; the search edits and scores unconditional models");
        }
    }

    /** The images of --data at the model's shape; Fashion-MNIST's test split alongside when they are Fashion-MNIST. */
    private Images images(UNet.Config c) throws IOException {
        int s = c.imageSize();
        int ch = c.inChannels();
        boolean fashion = data.equals(ImageTrainCommand.FASHION_MNIST)
                || Files.exists(Path.of(data).resolve(FashionMnist.Split.TRAIN.imagesFile()));
        if (fashion) {
            if (ch != 1 || s != FashionMnist.SIZE) {
                throw new IllegalArgumentException("--checkpoint " + checkpoint + ": a model of " + ch + " x " + s
                        + " x " + s + " images, but --data " + data + " holds Fashion-MNIST (1 x 28 x 28)");
            }
            Path dir = data.equals(ImageTrainCommand.FASHION_MNIST) ? ImageTrainCommand.fashionMnistDir : Path.of(data);
            return new Images(FashionMnist.load(dir, FashionMnist.Split.TRAIN),
                    FashionMnist.load(dir, FashionMnist.Split.TEST));
        }
        if (data.equals(ImageTrainCommand.EMOJI)) {
            if (ch != 3) {
                throw new IllegalArgumentException("--checkpoint " + checkpoint + ": a model of " + ch + " channel(s), "
                        + "but --data emoji holds RGB images (3 channels)");
            }
            return new Images(EmojiOne.load(ImageTrainCommand.emojiDir, s, EmojiOne.WHITE), null);
        }
        return new Images(ImageFolder.load(Path.of(data), new ImageFolder.Options(s, s, ch, 0x000000, false)), null);
    }

    private Integer search(ConsistencyModel model, Edit e, Images images) throws IOException {
        long t0 = System.nanoTime();
        Scorer scorer = new Scorer(images.test(), e);
        Tensor originals = images.edited().images().slice(0, offset, offset + count);
        if (!json) {
            console.printf(Locale.ROOT, "cm4j search-edit-times: %s; %s of images %d..%d of %s (%d generated "
                            + "components each), noise of seed %d, %s; grid of %d points%n", model,
                    describe(), offset, offset + count - 1, images.edited().name(), scorer.generated, seed,
                    images.test() != null ? "FD against " + images.test().name() : "no FD (not Fashion-MNIST)",
                    points);
        }
        List<Row> context = new ArrayList<>();
        context.add(score("the originals", null, originals, originals, scorer, t0));
        String input = switch (e.name()) {
            case "inpainting" -> "hole = -1";
            case "colorization" -> "luminance only";
            default -> "patch means";
        };
        context.add(score("the input (" + input + ")", null, e.reference(originals), originals, scorer,
                System.nanoTime()));
        if (e.name().equals("colorization")) {
            context.add(score("the gray image (Y in every channel)", null, gray(originals), originals, scorer,
                    System.nanoTime()));
        }
        List<Row> rows = new ArrayList<>();
        Denoiser f = model.network().denoiser();
        ZeroShotEditor editor = ZeroShotEditor.images(model.schedule());
        for (int m : evaluations) {
            long t1 = System.nanoTime();
            int[] ts = evenlySpaced(m, points);
            Tensor edited = editChunks(editor, f, e, originals, ts);
            rows.add(score(m + (m == 1 ? " evaluation" : " evaluations"), ts, edited, originals, scorer, t1));
        }
        Row best = rows.get(0);
        for (Row r : rows) {
            if (value(r) < value(best)) {
                best = r;
            }
        }
        print(context, rows, best, scorer, t0);
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

    /**
     * The gray version of RGB images: Y = 0.2989 R + 0.5870 G + 0.1140 B ({@link OrthogonalBases#LUMINANCE}) in all
     * three channels, what a colorization that adds no colour returns (its luminance coefficient is the original's
     * times 0.9999, the sum of the weights).
     */
    static Tensor gray(Tensor rgb) {
        double[] w = OrthogonalBases.LUMINANCE;
        int b = rgb.dim(0);
        int hw = rgb.dim(2) * rgb.dim(3);
        float[] d = rgb.data();
        float[] out = new float[b * 3 * hw];
        for (int n = 0; n < b; n++) {
            int base = rgb.offset() + n * 3 * hw;
            for (int i = 0; i < hw; i++) {
                float y = (float) (w[0] * d[base + i] + w[1] * d[base + hw + i] + w[2] * d[base + 2 * hw + i]);
                out[n * 3 * hw + i] = y;
                out[n * 3 * hw + hw + i] = y;
                out[n * 3 * hw + 2 * hw + i] = y;
            }
        }
        return Tensor.wrap(out, rgb.shape());
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

    /** What scores a row: the FD's classifier and reference (Fashion-MNIST only) and the edit's generated count. */
    private static final class Scorer {
        final FashionMnistEvaluator evaluator;
        final FrechetDistance.Gaussian reference;
        final int generated;

        Scorer(ImageDataset test, Edit e) throws IOException {
            evaluator = test == null ? null : new FashionMnistEvaluator(EvalCommand.committedClassifier());
            reference = test == null ? null : FrechetDistance.fit(evaluator.features(test.name(), test.images()));
            generated = generatedComponents(e);
        }
    }

    private Row score(String what, int[] ts, Tensor images, Tensor originals, Scorer scorer, long since) {
        double fd = scorer.evaluator == null ? Double.NaN
                : FrechetDistance.distance(FrechetDistance.fit(scorer.evaluator.features(what, images)),
                        scorer.reference);
        float[] a = images.data();
        float[] o = originals.data();
        double sq = 0;
        for (int i = 0; i < images.size(); i++) {
            double d = a[images.offset() + i] - o[originals.offset() + i];
            sq += d * d;
        }
        double rmse = Math.sqrt(sq / ((double) count * scorer.generated));
        double colour = images.dim(1) == 3 ? colourfulness(images) : Double.NaN;
        Row r = new Row(what, ts, fd, rmse, colour, (System.nanoTime() - since) / 1e9);
        if (!json) {
            console.printf(Locale.ROOT, "  %s%s:%s RMSE %.4f%s (%.1f s)%n", what, ts == null ? ""
                    : " " + Arrays.toString(ts), Double.isNaN(fd) ? "" : String.format(Locale.ROOT, " FD %.4f,", fd),
                    rmse, Double.isNaN(colour) ? "" : String.format(Locale.ROOT, ", colourfulness %.4f", colour),
                    r.seconds());
        }
        return r;
    }

    /**
     * The mean over pixels of (max - min) of the three channels, in [0, 1] units (images in [-1, 1]): 0 for gray
     * images, 1 for pure primaries.
     */
    static double colourfulness(Tensor images) {
        int b = images.dim(0);
        int hw = images.dim(2) * images.dim(3);
        float[] d = images.data();
        int o = images.offset();
        double sum = 0;
        for (int n = 0; n < b; n++) {
            int base = o + n * 3 * hw;
            for (int i = 0; i < hw; i++) {
                float r = d[base + i];
                float g = d[base + hw + i];
                float bl = d[base + 2 * hw + i];
                sum += (Math.max(r, Math.max(g, bl)) - Math.min(r, Math.min(g, bl))) / 2.0;
            }
        }
        return sum / ((double) b * hw);
    }

    private double value(Row r) {
        return by.equals("fd") ? r.fd() : r.rmse();
    }

    private String describe() {
        return switch (edit) {
            case "inpaint" -> "inpainting of the box " + Arrays.toString(box);
            case "superres" -> "super-resolution by " + patch + " x " + patch + " patches";
            default -> "colorization (the luminance kept, the chroma generated)";
        };
    }

    private void print(List<Row> context, List<Row> rows, Row best, Scorer scorer, long t0) throws IOException {
        if (json) {
            Map<String, Object> m = new LinkedHashMap<>();
            m.put("checkpoint", checkpoint.toString());
            m.put("edit", describe());
            if (scorer.evaluator != null) {
                m.put("metric", FashionMnistEvaluator.LABEL);
            }
            m.put("images", "images " + offset + ".." + (offset + count - 1) + " of " + data);
            m.put("count", count);
            m.put("generated_components", scorer.generated);
            m.put("seed", seed);
            m.put("points", points);
            m.put("by", by);
            m.put("context", rowsJson(context));
            m.put("candidates", rowsJson(rows));
            m.put("best_evaluations", best.ts().length - 1);
            m.put("best_ts", best.ts());
            putScores(m, best, "best_");
            console.println(new ObjectMapper().disable(SerializationFeature.INDENT_OUTPUT).writeValueAsString(m));
            return;
        }
        boolean fd = scorer.evaluator != null;
        boolean colour = !Double.isNaN(best.colourfulness());
        console.println("evaluations" + (fd ? "  FD       " : "") + "  RMSE    " + (colour ? "  colour  " : "")
                + "  grid indices");
        for (Row r : rows) {
            console.printf(Locale.ROOT, "%11d%s %9.4f%s   %s%s%n", r.ts().length - 1,
                    fd ? String.format(Locale.ROOT, " %9.4f", r.fd()) : "", r.rmse(),
                    colour ? String.format(Locale.ROOT, " %9.4f", r.colourfulness()) : "",
                    Arrays.toString(r.ts()), r == best ? "  best by " + by : "");
        }
        String ts = Arrays.toString(best.ts()).replaceAll("[\\[\\] ]", "");
        console.printf(Locale.ROOT, "best by %s: %d evaluations, --ts %s --steps %d; %.1f s in all%n", by,
                best.ts().length - 1, ts, points, (System.nanoTime() - t0) / 1e9);
    }

    /** The row's scores under {@code prefix}: fd where there is one, rmse, colourfulness for RGB images. */
    private static void putScores(Map<String, Object> m, Row r, String prefix) {
        if (!Double.isNaN(r.fd())) {
            m.put(prefix + "fd", r.fd());
        }
        m.put(prefix + "rmse", r.rmse());
        if (!Double.isNaN(r.colourfulness())) {
            m.put(prefix + "colourfulness", r.colourfulness());
        }
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
            putScores(m, r, "");
            out.add(m);
        }
        return out;
    }
}
