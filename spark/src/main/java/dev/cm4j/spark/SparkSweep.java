package dev.cm4j.spark;

import dev.cm4j.consistency.data.Toy2d;
import dev.cm4j.consistency.model.Denoiser;
import dev.cm4j.consistency.toy.ToyEvaluation;
import dev.cm4j.consistency.toy.ToyPipeline;
import dev.cm4j.consistency.train.ImprovedConsistencyTraining;
import java.io.IOException;
import java.io.Serializable;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Locale;
import org.apache.spark.api.java.JavaSparkContext;

/**
 * A hyper-parameter sweep of improved consistency training (iCT) on 2-D data as independent Spark tasks: every
 * setting (learning rate, pseudo-Huber c, batch) is one task, which trains its own model from the same seed, writes
 * its checkpoint under the output folder and scores its one- and two-step samples. The tasks share nothing, so a
 * sweep of S settings on E executors takes about S / E times one training; a retried task writes the same checkpoint
 * again (same seed, same bits).
 *
 * <p>The recipe is the 2-D pipeline's iCT ({@link ToyPipeline#improvedTraining(double, float)}: 4 hidden layers of
 * {@code width} units, the 2-D curriculum, Adam with betas (0.9, 0.995) and a cosine decay, evaluation EMA 0.995) with
 * the setting's three values in place of its own. Scores: the demo's ({@link ToyEvaluation}), SW1 of {@code n}
 * samples against a fresh draw of the data, one step from sigma 80 and two steps whose middle time is the best of the
 * 18-point grid on a second draw.
 *
 * <p>On a cluster the output folder must be storage that every executor and the driver see (a shared file system):
 * each task writes its checkpoint there and the driver collects only the scores.
 */
public final class SparkSweep {
    private final JavaSparkContext sc;

    /** A sweep on this Spark context. */
    public SparkSweep(JavaSparkContext sc) {
        if (sc == null) {
            throw new IllegalArgumentException("SparkSweep: the Spark context is null");
        }
        this.sc = sc;
    }

    /**
     * One setting of the sweep.
     *
     * @param lr Adam's peak learning rate (the 2-D pipeline's: 2e-3)
     * @param huberC the pseudo-Huber constant c (the 2-D pipeline's: {@link ToyPipeline#ICT_HUBER_C}); 0 is the
     *     squared distance
     * @param batch samples per step (the 2-D pipeline's: 2048)
     */
    public record Setting(double lr, double huberC, int batch) implements Serializable {
        private static final long serialVersionUID = 1L;

        public Setting {
            if (!(lr > 0) || !(huberC >= 0) || batch < 1) {
                throw new IllegalArgumentException("SparkSweep.Setting: need lr > 0, c >= 0 and batch >= 1; got lr "
                        + lr + ", c " + huberC + ", batch " + batch);
            }
        }

        /** A name for files and tables: "lr0.002-c0.00076-b2048". */
        public String name() {
            return String.format(Locale.ROOT, "lr%s-c%s-b%d", compact(lr), compact(huberC), batch);
        }

        private static String compact(double v) {
            return String.format(Locale.ROOT, "%.3g", v).replaceAll("\\.?0+(e|$)", "$1");
        }
    }

    /**
     * What the whole sweep shares.
     *
     * @param data the toy distribution
     * @param seed seed of every run's weights, batches and noise, and of the scores' draws
     * @param steps iCT updates per run
     * @param width hidden units of each of the MLP's 4 hidden layers
     * @param samples samples per score
     */
    public record Plan(Toy2d data, long seed, int steps, int width, int samples) implements Serializable {
        private static final long serialVersionUID = 1L;

        public Plan {
            if (data == null || steps < 1 || width < 1 || samples < 2) {
                throw new IllegalArgumentException("SparkSweep.Plan: need a data set, steps >= 1, width >= 1 and "
                        + "samples >= 2; got " + data + ", " + steps + ", " + width + ", " + samples);
            }
        }
    }

    /**
     * One row of the results table.
     *
     * @param setting the setting
     * @param oneStep SW1 of one-step samples
     * @param twoStep SW1 of two-step samples
     * @param middleSigma the two-step middle time (sigma)
     * @param seconds the task's training and scoring time
     * @param checkpoint the file the task wrote
     */
    public record Row(Setting setting, double oneStep, double twoStep, double middleSigma, double seconds,
                      String checkpoint) implements Serializable {
        private static final long serialVersionUID = 1L;
    }

    /**
     * Trains and scores every setting, one Spark task each, writing {@code out/<setting name>/ict.safetensors};
     * rows in the order of {@code settings}.
     *
     * @throws IllegalArgumentException for no settings or two settings with the same name
     */
    public List<Row> ict(Plan plan, List<Setting> settings, Path out) throws IOException {
        checkSettings(settings);
        Files.createDirectories(out);
        String dir = out.toAbsolutePath().toString();
        List<Row> rows = new ArrayList<>(sc.parallelize(settings, settings.size())
                .map(s -> run(plan, s, Path.of(dir))).collect());
        return rows;
    }

    /**
     * One setting on this machine: the task {@link #ict} runs. Trains, writes {@code out/<name>/ict.safetensors}
     * (atomically, the trainer's checkpoint with optimizer state and EMA) and scores the EMA weights as
     * {@code cm4j demo} does ({@link ToyEvaluation} of seed + 100).
     */
    public static Row run(Plan plan, Setting s, Path out) {
        long t0 = System.nanoTime();
        ImprovedConsistencyTraining trainer = pipeline(plan, s).improvedTraining(s.lr(), (float) s.huberC());
        trainer.train();
        Path file = out.resolve(s.name()).resolve("ict.safetensors");
        try {
            Files.createDirectories(file.getParent());
        } catch (IOException e) {
            throw new UncheckedIOException("SparkSweep: cannot create " + file.getParent() + ": " + e.getMessage(), e);
        }
        trainer.save(file);
        Denoiser f = trainer.emaModel().denoiser();
        ToyEvaluation eval = new ToyEvaluation(plan.data(), plan.samples(), plan.seed() + 100);
        double sigmaMax = ToyPipeline.GRID.sigmaMax();
        double one = eval.consistency(f, sigmaMax).sw();
        double mid = eval.bestMiddleSigma(f);
        double two = eval.consistency(f, sigmaMax, mid).sw();
        return new Row(s, one, two, mid, (System.nanoTime() - t0) / 1e9, file.toString());
    }

    /** The 2-D pipeline of the plan with the setting's batch as its iCT batch (only its iCT part is used). */
    static ToyPipeline pipeline(Plan plan, Setting s) {
        ToyPipeline d = ToyPipeline.defaults(plan.data(), plan.seed());
        return new ToyPipeline(plan.data(), plan.seed(), d.teacherSteps(), d.cdSteps(), plan.steps(), d.batch(),
                s.batch(), plan.width(), d.noiseScale());
    }

    private static void checkSettings(List<Setting> settings) {
        if (settings == null || settings.isEmpty()) {
            throw new IllegalArgumentException("SparkSweep.ict: no settings to sweep");
        }
        List<String> names = new ArrayList<>();
        for (Setting s : settings) {
            if (names.contains(s.name())) {
                throw new IllegalArgumentException("SparkSweep.ict: two settings named " + s.name()
                        + " would write the same checkpoint");
            }
            names.add(s.name());
        }
    }

    /** The rows as a table: setting, one- and two-step SW1, middle sigma, time; the lowest one-step SW1 marked. */
    public static String table(List<Row> rows) {
        Row best = rows.stream().min(Comparator.comparingDouble(Row::oneStep)).orElseThrow();
        StringBuilder s = new StringBuilder("| lr | c | batch | SW1 one step | SW1 two steps (sigma_mid) | time |\n"
                + "|---|---|---|---|---|---|\n");
        for (Row r : rows) {
            s.append(String.format(Locale.ROOT, "| %s | %s | %d | %.5f%s | %.5f (%.3g) | %.1f s |%n",
                    Setting.compact(r.setting().lr()), Setting.compact(r.setting().huberC()), r.setting().batch(),
                    r.oneStep(), r == best ? " (lowest)" : "", r.twoStep(), r.middleSigma(), r.seconds()));
        }
        return s.toString();
    }
}
