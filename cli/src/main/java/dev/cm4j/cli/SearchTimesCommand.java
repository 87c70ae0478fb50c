package dev.cm4j.cli;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import dev.cm4j.consistency.api.ConsistencyModel;
import dev.cm4j.consistency.api.Sampling;
import dev.cm4j.consistency.data.FashionMnist;
import dev.cm4j.consistency.data.ImageDataset;
import dev.cm4j.consistency.metrics.FashionMnistEvaluator;
import dev.cm4j.consistency.metrics.FrechetDistance;
import dev.cm4j.consistency.sampling.MultistepSampler;
import dev.cm4j.consistency.sampling.TernarySearch;
import dev.cm4j.models.unet.UNet;
import dev.cm4j.tensor.Tensor;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.function.IntToDoubleFunction;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code cm4j search-times}: the middle time of two-step sampling of a Fashion-MNIST consistency model, found as
 * Song et al. 2023 (Section 6) find theirs: the grid index p of the times {@code ts = 0, p, N - 1} on a Karras grid of
 * N points that minimises the feature distance (FD) of the samples, by {@link TernarySearch} (or, with
 * {@code --exhaustive}, by scoring every index).
 *
 * <p>The search is held out from the final scores: it draws its own noise ({@code --seed}, 1 by default, where
 * {@code cm4j sample} uses 0) and compares with the training set (the final scores of {@code cm4j eval} use the test
 * set). Every index is scored on the same noise, so the differences between indices are not noise of the draw. The
 * features of the reference are computed once; each index costs {@code --count} samples of two network evaluations
 * and their features.
 */
@Command(name = "search-times", mixinStandardHelpOptions = true, sortOptions = false,
        description = {"Search the middle time of two-step sampling of a Fashion-MNIST consistency model (distill, "
                + "train-ict, train-ct, train-ect): the grid index p of --ts 0,p,N-1 whose samples have the lowest "
                + "feature distance (FD), by the ternary search of the consistency models paper (Section 6).",
            "The search draws its own noise (--seed) and compares with the training set, so that the final scores "
                + "of 'cm4j sample' (seed 0) and 'cm4j eval' (test set) stay held out."})
final class SearchTimesCommand implements Callable<Integer> {
    @Option(names = ConfigFile.OPTION, paramLabel = "FILE", description = "Read options from a JSON or .properties "
            + "file; options given here override the file.")
    Path config;

    @Option(names = {"-c", "--checkpoint"}, required = true, paramLabel = "FILE", description = "A consistency "
            + "model's checkpoint, e.g. cm4j-cd/cd.safetensors (its EMA weights are sampled).")
    Path checkpoint;

    @Option(names = "--points", description = "Points N of the Karras grid the middle index runs over: 0 is "
            + "sigma_max (80), N - 1 is sigma_min (0.002) (default: ${DEFAULT-VALUE}, as the released two-step "
            + "settings).")
    int points = 40;

    @Option(names = {"-n", "--count"}, description = "Samples scored per index (default: ${DEFAULT-VALUE}).")
    int count = 2000;

    @Option(names = {"-s", "--seed"}, description = "Seed of the noise, the same for every index (default: "
            + "${DEFAULT-VALUE}).")
    long seed = 1;

    @Option(names = "--reference", description = "train or test: the Fashion-MNIST split the samples are compared "
            + "with (default: ${DEFAULT-VALUE}; test makes the final scores depend on the search).")
    String reference = "train";

    @Option(names = "--reference-count", description = "Compare with the first this many images of the split only, "
            + "for a quicker search; 0 = all (default: ${DEFAULT-VALUE}).")
    int referenceCount = 0;

    @Option(names = "--data", description = "Folder of the Fashion-MNIST files (default: ${DEFAULT-VALUE}).")
    Path data = FashionMnist.DEFAULT_DIR;

    @Option(names = "--exhaustive", description = "Score every index instead of the ternary search (for curves with "
            + "two dips; N - 2 scores instead of about 2 log1.5(N)).")
    boolean exhaustive;

    @Option(names = "--json", description = "Print the result as one JSON object.")
    boolean json;

    private final PrintStream console = System.out;

    /** One scored index. */
    record Score(int index, double sigma, double fd, double seconds) {
    }

    @Override
    public Integer call() throws IOException {
        Cm4j.checkSystemProperties();
        ImageTrainCommand.inRange("--points", points, 3, 10_000);
        ImageTrainCommand.inRange("--count", count, 16, 1_000_000);
        ImageTrainCommand.inRange("--reference-count", referenceCount, 0, FashionMnist.Split.TRAIN.count());
        FashionMnist.Split split = EvalCommand.split(reference);
        ConsistencyModel model = ConsistencyModel.load(checkpoint);
        checkModel(model);
        try {
            return search(model, split);
        } catch (OutOfMemoryError e) {
            throw new ErrorReport.OutOfMemory("--count", e);
        }
    }

    private void checkModel(ConsistencyModel model) {
        if (!model.isConsistency()) {
            throw new IllegalArgumentException("--checkpoint " + checkpoint + ": an EDM teacher (role "
                    + model.role() + "); the two-step times are a consistency model's (distill, train-ict, "
                    + "train-ct, train-ect)");
        }
        UNet.Config c = model.config();
        if (c.inChannels() != 1 || c.imageSize() != FashionMnist.SIZE) {
            throw new IllegalArgumentException("--checkpoint " + checkpoint + ": a model of " + c.inChannels()
                    + " x " + c.imageSize() + " x " + c.imageSize() + " images; the search scores with the "
                    + "Fashion-MNIST evaluator, which takes 1 x 28 x 28");
        }
    }

    private Integer search(ConsistencyModel model, FashionMnist.Split split) throws IOException {
        FashionMnistEvaluator evaluator = new FashionMnistEvaluator(EvalCommand.committedClassifier());
        ImageDataset ref = FashionMnist.load(data, split);
        if (referenceCount > ref.size()) {
            throw new IllegalArgumentException("--reference-count " + referenceCount + ": " + ref.name() + " holds "
                    + ref.size() + " images");
        }
        int refCount = referenceCount == 0 ? ref.size() : referenceCount;
        String refName = refCount == ref.size() ? ref.name() : "the first " + refCount + " images of " + ref.name();
        long t0 = System.nanoTime();
        FrechetDistance.Gaussian refStats = FrechetDistance.fit(evaluator.features(refName,
                ref.images().slice(0, 0, refCount)));
        if (!json) {
            console.printf(Locale.ROOT, "cm4j search-times: %s; two steps at grid indices 0, p, %d of %d points; "
                            + "%d samples of seed %d per index against %s (%d images, features in %.1f s)%n",
                    model, points - 1, points, count, seed, refName, refCount, (System.nanoTime() - t0) / 1e9);
        }
        MultistepSampler sampler = MultistepSampler.images(model.schedule());
        List<Score> scores = new ArrayList<>();
        Score oneStep = score(model, evaluator, refStats, sampler, -1);
        IntToDoubleFunction cost = p -> {
            Score s = score(model, evaluator, refStats, sampler, p);
            scores.add(s);
            return s.fd();
        };
        TernarySearch.Result result = exhaustive ? TernarySearch.exhaustive(0, points - 1, cost)
                : TernarySearch.minimise(0, points - 1, cost);
        scores.sort((a, b) -> Integer.compare(a.index(), b.index()));
        double bestSigma = sigmaAt(sampler, result.best());
        String ts = "--ts 0," + result.best() + "," + (points - 1) + " --steps " + points;
        if (json) {
            Map<String, Object> m = new LinkedHashMap<>();
            m.put("checkpoint", checkpoint.toString());
            m.put("metric", FashionMnistEvaluator.LABEL);
            m.put("points", points);
            m.put("count", count);
            m.put("seed", seed);
            m.put("reference", refName);
            m.put("reference_count", refCount);
            m.put("search", exhaustive ? "exhaustive" : "ternary");
            m.put("one_step_fd", oneStep.fd());
            List<Map<String, Object>> rows = new ArrayList<>();
            for (Score s : scores) {
                Map<String, Object> r = new LinkedHashMap<>();
                r.put("index", s.index());
                r.put("sigma", s.sigma());
                r.put("fd", s.fd());
                rows.add(r);
            }
            m.put("evaluated", rows);
            m.put("best_index", result.best());
            m.put("best_sigma", bestSigma);
            m.put("best_fd", result.cost());
            console.println(new ObjectMapper().disable(SerializationFeature.INDENT_OUTPUT).writeValueAsString(m));
            return 0;
        }
        console.println("index   sigma      FD");
        for (Score s : scores) {
            console.printf(Locale.ROOT, "%5d %7.4f %9.4f%s%n", s.index(), s.sigma(), s.fd(),
                    s.index() == result.best() ? "  best" : "");
        }
        console.printf(Locale.ROOT, "one step (sigma 80): FD %.4f; best two steps: p = %d (sigma %.4f), FD %.4f; %d "
                        + "indices scored in %.1f s%n", oneStep.fd(), result.best(), bestSigma, result.cost(),
                scores.size(), (System.nanoTime() - t0) / 1e9);
        console.println("sample with: cm4j sample -c " + checkpoint + " " + ts + "  (= --times "
                + String.format(Locale.ROOT, "%s,%.4f", trim(model.schedule().sigmaMax()), bestSigma) + ")");
        return 0;
    }

    /** The FD of two-step samples at indices 0, p, N - 1, or of one-step samples for p = -1. */
    private Score score(ConsistencyModel model, FashionMnistEvaluator evaluator, FrechetDistance.Gaussian refStats,
                        MultistepSampler sampler, int p) {
        long t0 = System.nanoTime();
        Sampling sampling = p < 0 ? Sampling.oneStep() : Sampling.gridIndices(points, 0, p, points - 1);
        Tensor x = model.sample(count, sampling, seed);
        Tensor features = evaluator.features("samples at grid index " + p, x);
        double fd = FrechetDistance.distance(FrechetDistance.fit(features), refStats);
        double seconds = (System.nanoTime() - t0) / 1e9;
        double sigma = p < 0 ? model.schedule().sigmaMax() : sigmaAt(sampler, p);
        if (!json) {
            console.printf(Locale.ROOT, "  %s: FD %.4f (%.1f s)%n", p < 0 ? "one step" : "p = " + p + ", sigma "
                    + String.format(Locale.ROOT, "%.4f", sigma), fd, seconds);
        }
        return new Score(p, sigma, fd, seconds);
    }

    /** The sigma of grid index p of the N-point grid. */
    private double sigmaAt(MultistepSampler sampler, int p) {
        return sampler.indicesToSigmas(new int[] {0, p, points - 1}, points)[1];
    }

    private static String trim(double v) {
        return v == Math.rint(v) ? Long.toString((long) v) : Double.toString(v);
    }
}
