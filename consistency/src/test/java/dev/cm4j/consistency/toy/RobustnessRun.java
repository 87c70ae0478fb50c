package dev.cm4j.consistency.toy;

import dev.cm4j.consistency.data.Toy2d;
import dev.cm4j.consistency.metrics.SlicedWasserstein;
import dev.cm4j.consistency.model.Denoiser;
import dev.cm4j.consistency.model.Preconditioned;
import dev.cm4j.consistency.train.EasyConsistencyTuning;
import dev.cm4j.consistency.train.EdmTeacherTrainer;
import dev.cm4j.consistency.train.ImprovedConsistencyTraining;
import dev.cm4j.tensor.Tensor;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * The robustness table of the 2-D pipeline: for every data set, width, budget and seed it trains the teacher, CD and
 * iCT of {@link ToyPipeline}, and ECT from the teacher for a quarter of iCT's steps
 * ({@link ToyPipeline#easyTuning}), scores them in one and two steps, then prints per row the mean and the spread
 * over seeds of every ratio to the teacher, and which rows miss the targets (iCT one step within 2.0x the teacher, two
 * steps within 1.3x, CD one step within 1.2x, ECT two steps within 1.1x) or diverge.
 *
 * <p>Each finished run is appended to a CSV file at once, and a run that the file already holds is not trained again,
 * so a grid that takes hours can be stopped and continued. Scores: SW2 (the sliced 2-Wasserstein distance, 256
 * directions) and SW1 (the demo's metric) of the samples against the evaluation's reference draw, the teacher sampled
 * by Heun on {@value ToyEvaluation#TEACHER_GRID_POINTS} points, two steps at the middle sigma that scores best on the
 * validation draw.
 *
 * <pre>
 * java ... dev.cm4j.consistency.toy.RobustnessRun OUT.csv BUDGETS WIDTHS DATA SEEDS [N]
 *   BUDGETS: comma-separated demo (ToyPipeline.defaults), peer (teacher 6000, CD 4000, iCT 8000 steps), small
 *   WIDTHS:  comma-separated hidden widths, e.g. 128,256
 *   DATA:    comma-separated Toy2d names or "all"
 *   SEEDS:   comma-separated seeds, e.g. 0,1,2
 *   N:       samples scored (default 20000)
 * </pre>
 */
public final class RobustnessRun {
    /** Targets of the table, as multiples of the teacher's score: CD 1 step, iCT 1 step, iCT 2 steps. */
    static final double CD_ONE = 1.2;
    static final double ICT_ONE = 2.0;
    static final double ICT_TWO = 1.3;
    /** Target of ECT in two steps, as a multiple of the teacher's score. */
    static final double ECT_TWO = 1.1;
    /** A one-step score above this multiple of the teacher's, or not finite, counts as diverged. */
    static final double DIVERGED = 10.0;

    private static final String HEADER = "data,width,budget,seed,floor_sw2,teacher_sw2,cd1_sw2,cd2_sw2,ict1_sw2,"
            + "ict2_sw2,ect1_sw2,ect2_sw2,floor_sw1,teacher_sw1,cd1_sw1,cd2_sw1,ict1_sw1,ict2_sw1,ect1_sw1,ect2_sw1,"
            + "cd_mid,ict_mid,ect_mid,seconds";
    /** Scores per run and metric: floor, teacher, CD 1/2 steps, iCT 1/2 steps, ECT 1/2 steps. */
    private static final int COLUMNS = 8;
    private static final int FIELDS = 4 + 2 * COLUMNS + 4;

    private RobustnessRun() {
    }

    /** A budget of the table: the pipeline for a data set, seed and width. */
    static ToyPipeline pipeline(String budget, Toy2d data, long seed, int width) {
        ToyPipeline d = ToyPipeline.defaults(data, seed);
        return switch (budget) {
            case "demo" -> new ToyPipeline(data, seed, d.teacherSteps(), d.cdSteps(), d.ictSteps(), d.batch(),
                    d.ictBatch(), width, d.noiseScale());
            case "peer" -> new ToyPipeline(data, seed, 6000, 4000, 8000, 512, 2048, width, d.noiseScale());
            case "small" -> new ToyPipeline(data, seed, 1500, 1500, 2000, 256, 512, width, d.noiseScale());
            default -> throw new IllegalArgumentException("RobustnessRun: budget must be demo, peer or small, got '"
                    + budget + "'");
        };
    }

    /** One run's scores: SW2 and SW1 of floor, teacher, CD 1/2 steps, iCT 1/2 steps, ECT 1/2 steps, in that order. */
    record Scores(double[] sw2, double[] sw1, double cdMid, double ictMid, double ectMid, double seconds) {
        double ratio(int column) {
            return sw2[column] / sw2[1];
        }

        /** What this run misses, empty when it meets every target. */
        List<String> misses() {
            List<String> m = new ArrayList<>();
            for (double v : sw2) {
                if (!Double.isFinite(v)) {
                    m.add("a score is not finite");
                    return m;
                }
            }
            if (ratio(2) > DIVERGED || ratio(4) > DIVERGED) {
                m.add(String.format(Locale.ROOT, "diverged (CD %.2fx, iCT %.2fx)", ratio(2), ratio(4)));
            }
            if (ratio(2) > CD_ONE) {
                m.add(String.format(Locale.ROOT, "CD 1 step %.2fx > %.1fx", ratio(2), CD_ONE));
            }
            if (ratio(4) > ICT_ONE) {
                m.add(String.format(Locale.ROOT, "iCT 1 step %.2fx > %.1fx", ratio(4), ICT_ONE));
            }
            if (ratio(5) > ICT_TWO) {
                m.add(String.format(Locale.ROOT, "iCT 2 steps %.2fx > %.1fx", ratio(5), ICT_TWO));
            }
            if (ratio(7) > ECT_TWO) {
                m.add(String.format(Locale.ROOT, "ECT 2 steps %.2fx > %.1fx", ratio(7), ECT_TWO));
            }
            return m;
        }
    }

    /**
     * Trains the teacher, CD and iCT of {@code p} and ECT from the teacher for a quarter of iCT's steps, and scores them
     * on {@code n} samples with evaluation seed seed + 100.
     */
    static Scores run(ToyPipeline p, int n) {
        long t0 = System.nanoTime();
        ToyEvaluation eval = new ToyEvaluation(p.data(), n, p.seed() + 100);
        SlicedWasserstein sw2 = new SlicedWasserstein(256, 2, 0);
        EdmTeacherTrainer teacher = p.teacher();
        teacher.train();
        Preconditioned teacherEma = teacher.emaModel();
        var cd = p.distillation(teacherEma);
        cd.train();
        ImprovedConsistencyTraining ict = p.improvedTraining();
        ict.train();
        EasyConsistencyTuning ect = p.easyTuning(teacherEma, Math.max(1, p.ictSteps() / 4));
        ect.train();
        double sigmaMax = ToyPipeline.GRID.sigmaMax();
        Denoiser fCd = cd.emaModel().denoiser();
        Denoiser fIct = ict.emaModel().denoiser();
        Denoiser fEct = ect.emaModel().denoiser();
        double cdMid = eval.bestMiddleSigma(fCd);
        double ictMid = eval.bestMiddleSigma(fIct);
        double ectMid = eval.bestMiddleSigma(fEct);
        ToyEvaluation.Score[] scores = {eval.floor(), eval.edm(teacherEma.denoiser()), eval.consistency(fCd, sigmaMax),
            eval.consistency(fCd, sigmaMax, cdMid), eval.consistency(fIct, sigmaMax),
            eval.consistency(fIct, sigmaMax, ictMid), eval.consistency(fEct, sigmaMax),
            eval.consistency(fEct, sigmaMax, ectMid)};
        double[] w2 = new double[scores.length];
        double[] w1 = new double[scores.length];
        for (int i = 0; i < scores.length; i++) {
            Tensor s = scores[i].samples();
            w2[i] = sw2.distance(eval.reference(), s);
            w1[i] = scores[i].sw();
        }
        return new Scores(w2, w1, cdMid, ictMid, ectMid, (System.nanoTime() - t0) / 1e9);
    }

    public static void main(String[] args) throws IOException {
        if (args.length < 5) {
            throw new IllegalArgumentException("usage: RobustnessRun OUT.csv BUDGETS WIDTHS DATA SEEDS [N]");
        }
        Path out = Path.of(args[0]);
        String[] budgets = args[1].split(",");
        int[] widths = Arrays.stream(args[2].split(",")).mapToInt(Integer::parseInt).toArray();
        Toy2d[] data = args[3].equals("all") ? Toy2d.values()
                : Arrays.stream(args[3].split(",")).map(s -> Toy2d.valueOf(s.toUpperCase(Locale.ROOT)))
                        .toArray(Toy2d[]::new);
        long[] seeds = Arrays.stream(args[4].split(",")).mapToLong(Long::parseLong).toArray();
        int n = args.length > 5 ? Integer.parseInt(args[5]) : 20_000;
        Map<String, Scores> done = read(out);
        if (!Files.exists(out)) {
            Files.writeString(out, HEADER + "\n", StandardCharsets.UTF_8);
        }
        for (String budget : budgets) {
            for (int width : widths) {
                for (Toy2d d : data) {
                    for (long seed : seeds) {
                        String key = key(d, width, budget, seed);
                        if (done.containsKey(key)) {
                            continue;
                        }
                        Scores s = run(pipeline(budget, d, seed, width), n);
                        done.put(key, s);
                        Files.writeString(out, line(key, s) + "\n", StandardCharsets.UTF_8,
                                StandardOpenOption.APPEND);
                        System.out.printf(Locale.ROOT, "%s: teacher SW2 %.5f (%.2fx floor), CD %.2fx / %.2fx, "
                                + "iCT %.2fx / %.2fx, ECT %.2fx / %.2fx, %.0f s%n", key, s.sw2()[1],
                                s.sw2()[1] / s.sw2()[0], s.ratio(2), s.ratio(3), s.ratio(4), s.ratio(5), s.ratio(6),
                                s.ratio(7), s.seconds());
                    }
                }
            }
        }
        System.out.print(table(done));
    }

    private static String key(Toy2d d, int width, String budget, long seed) {
        return d.name().toLowerCase(Locale.ROOT) + "," + width + "," + budget + "," + seed;
    }

    private static String line(String key, Scores s) {
        StringBuilder b = new StringBuilder(key);
        for (double v : s.sw2()) {
            b.append(String.format(Locale.ROOT, ",%.6g", v));
        }
        for (double v : s.sw1()) {
            b.append(String.format(Locale.ROOT, ",%.6g", v));
        }
        return b.append(String.format(Locale.ROOT, ",%.4g,%.4g,%.4g,%.1f", s.cdMid(), s.ictMid(), s.ectMid(),
                s.seconds())).toString();
    }

    /** The runs already in {@code csv}, by data, width, budget and seed; empty when there is no file. */
    static Map<String, Scores> read(Path csv) throws IOException {
        Map<String, Scores> m = new LinkedHashMap<>();
        if (!Files.exists(csv)) {
            return m;
        }
        List<String> lines = Files.readAllLines(csv, StandardCharsets.UTF_8);
        if (lines.isEmpty() || !lines.get(0).equals(HEADER)) {
            throw new IllegalArgumentException("RobustnessRun: " + csv + " does not start with the header '" + HEADER
                    + "'");
        }
        for (int i = 1; i < lines.size(); i++) {
            String[] f = lines.get(i).split(",");
            if (f.length != FIELDS) {
                throw new IllegalArgumentException("RobustnessRun: " + csv + " line " + (i + 1) + " has " + f.length
                        + " fields, expected " + FIELDS);
            }
            double[] v = Arrays.stream(f, 4, FIELDS).mapToDouble(Double::parseDouble).toArray();
            m.put(String.join(",", Arrays.copyOf(f, 4)), new Scores(Arrays.copyOfRange(v, 0, COLUMNS),
                    Arrays.copyOfRange(v, COLUMNS, 2 * COLUMNS), v[2 * COLUMNS], v[2 * COLUMNS + 1],
                    v[2 * COLUMNS + 2], v[2 * COLUMNS + 3]));
        }
        return m;
    }

    /** The Markdown table: per data set, width and budget, mean and range over seeds of each ratio. */
    static String table(Map<String, Scores> runs) {
        Map<String, List<Scores>> rows = new LinkedHashMap<>();
        runs.forEach((k, s) -> rows.computeIfAbsent(k.substring(0, k.lastIndexOf(',')), x -> new ArrayList<>())
                .add(s));
        StringBuilder b = new StringBuilder("\n| data | width | budget | seeds | teacher SW2 (/ floor) | CD 1 step | "
                + "CD 2 steps | iCT 1 step | iCT 2 steps | ECT 1 step | ECT 2 steps | misses |\n"
                + "|---|---:|---|---:|---|---|---|---|---|---|---|---|\n");
        rows.forEach((k, list) -> {
            String[] f = k.split(",");
            b.append(String.format(Locale.ROOT, "| %s | %s | %s | %d | %s | %s | %s | %s | %s | %s | %s | %s |%n",
                    f[0], f[1], f[2], list.size(), spread(list, -1), spread(list, 2), spread(list, 3),
                    spread(list, 4), spread(list, 5), spread(list, 6), spread(list, 7), misses(list)));
        });
        return b.toString();
    }

    /** Mean and range over seeds: of the teacher's SW2 and its ratio to the floor (column -1), or of a ratio. */
    private static String spread(List<Scores> list, int column) {
        double[] v = list.stream().mapToDouble(s -> column < 0 ? s.sw2()[1] / s.sw2()[0] : s.ratio(column)).toArray();
        double mean = Arrays.stream(v).average().orElse(Double.NaN);
        double lo = Arrays.stream(v).min().orElse(Double.NaN);
        double hi = Arrays.stream(v).max().orElse(Double.NaN);
        if (column < 0) {
            double sw = list.stream().mapToDouble(s -> s.sw2()[1]).average().orElse(Double.NaN);
            return String.format(Locale.ROOT, "%.4f (%.2fx, %.2f-%.2f)", sw, mean, lo, hi);
        }
        return String.format(Locale.ROOT, "%.2fx (%.2f-%.2f)", mean, lo, hi);
    }

    private static String misses(List<Scores> list) {
        long bad = list.stream().filter(s -> !s.misses().isEmpty()).count();
        return bad == 0 ? "none" : bad + " of " + list.size() + " seeds";
    }
}
