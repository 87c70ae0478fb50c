package dev.cm4j.cli;

import dev.cm4j.consistency.data.Toy2d;
import dev.cm4j.consistency.model.Denoiser;
import dev.cm4j.consistency.toy.ToyEvaluation;
import dev.cm4j.consistency.toy.ToyPipeline;
import dev.cm4j.consistency.train.Checkpointing;
import dev.cm4j.consistency.train.ConsistencyDistillation;
import dev.cm4j.consistency.train.EdmTeacherTrainer;
import dev.cm4j.consistency.train.ImprovedConsistencyTraining;
import dev.cm4j.consistency.model.Preconditioned;
import dev.cm4j.consistency.train.Trainer;
import dev.cm4j.models.io.RunLock;
import dev.cm4j.tensor.Parallel;
import dev.cm4j.tensor.Simd;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.TreeMap;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * The whole pipeline on a 2-D toy in about two minutes ({@link ToyPipeline}): an EDM teacher, consistency distillation
 * from it, improved consistency training from scratch, then one- and two-step sampling scored against fresh data
 * ({@link ToyEvaluation}).
 */
@Command(name = "demo", mixinStandardHelpOptions = true,
        description = "Train an EDM teacher, distill a consistency model (CD) and train one from scratch (iCT) on 2-D "
                + "toy data; compare their samples with the teacher's; write plots and a table.")
public final class DemoCommand implements Callable<Integer> {
    @Option(names = {"-o", "--out"}, description = "Output directory (default: ${DEFAULT-VALUE}).")
    Path out = Path.of("cm4j-demo");

    @Option(names = {"-s", "--seed"}, description = "Seed of every generator (default: ${DEFAULT-VALUE}).")
    long seed = 0;

    @Option(names = "--data", description = "8gaussians, moons, swissroll or checkerboard (default: ${DEFAULT-VALUE}).")
    String data = "checkerboard";

    @Option(names = "--teacher-steps", description = "EDM teacher updates (default: ${DEFAULT-VALUE}).")
    int teacherSteps = 3000;

    @Option(names = "--cd-steps", description = "Consistency distillation updates (default: ${DEFAULT-VALUE}).")
    int cdSteps = 6000;

    @Option(names = "--ict-steps", description = "Improved consistency training updates (default: ${DEFAULT-VALUE}).")
    int ictSteps = 6000;

    @Option(names = "--batch", description = "Batch size of the teacher and of distillation (default: "
            + "${DEFAULT-VALUE}).")
    int batch = 512;

    @Option(names = "--ict-batch", description = "Batch size of improved consistency training (default: "
            + "${DEFAULT-VALUE}).")
    int ictBatch = 2048;

    @Option(names = "--width", description = "Hidden units per MLP layer (default: ${DEFAULT-VALUE}).")
    int width = 128;

    @Option(names = "--noise-scale", description = "Factor on c_noise = ln(sigma)/4 before the MLP's sinusoidal "
            + "embedding (default: ${DEFAULT-VALUE}).")
    double noiseScale = 10;

    @Option(names = "--samples", description = "Samples per method for the scores (default: ${DEFAULT-VALUE}).")
    int samples = 20_000;

    @Option(names = "--resume", description = "Continue the trainings from the checkpoints in the output directory.")
    boolean resume;

    /** Bounds of the options: far beyond the demo's needs, low enough that a typo is caught before any work. */
    static final int MAX_STEPS = 10_000_000;
    static final int MAX_BATCH = 1_000_000;
    static final int MAX_WIDTH = 4096;
    static final int MAX_SAMPLES = 10_000_000;
    /** The options that lower the demo's memory, named by an out-of-memory error. */
    static final String MEMORY_OPTIONS = "--samples, --ict-batch, --batch or --width";

    private final PrintStream console = System.out;

    /** One trained phase: its steps, the steps loaded from its checkpoint, and the seconds this run spent on it. */
    private record Phase(String name, long steps, long loaded, double seconds) {
        String describe() {
            if (loaded == 0) {
                return String.format("%s %d steps %.1f s", name, steps, seconds);
            }
            return String.format("%s %d steps (%d loaded from its checkpoint, %d trained in this run, %.1f s)", name,
                    steps, loaded, steps - loaded, seconds);
        }
    }

    @Override
    public Integer call() throws IOException {
        Cm4j.checkSystemProperties();
        ToyPipeline pipeline = validate();
        try (RunLock lock = RunDirectory.lock(out)) {
            return run(pipeline);
        } catch (OutOfMemoryError e) {
            throw new ErrorReport.OutOfMemory(MEMORY_OPTIONS, e);
        }
    }

    /**
     * Checks every option before any work: ranges, the memory the sizes need against the Java heap, the output
     * directory (an empty path or a file is refused; a missing directory is created).
     *
     * @throws IllegalArgumentException naming the option, the value and what it accepts
     */
    ToyPipeline validate() {
        Toy2d toy = Toy2d.parse(data);
        inRange("--teacher-steps", teacherSteps, 1, MAX_STEPS);
        inRange("--cd-steps", cdSteps, 1, MAX_STEPS);
        inRange("--ict-steps", ictSteps, 1, MAX_STEPS);
        inRange("--batch", batch, 1, MAX_BATCH);
        inRange("--ict-batch", ictBatch, 1, MAX_BATCH);
        inRange("--width", width, 1, MAX_WIDTH);
        if (samples < 2) {
            throw new IllegalArgumentException("--samples " + samples + ": need at least 2 samples per method to score "
                    + "them (default 20000)");
        }
        long heap = Runtime.getRuntime().maxMemory();
        long sampling = samplingBytes(samples, width);
        if (sampling > heap) {
            throw new IllegalArgumentException("--samples " + samples + " needs about " + ErrorReport.mib(sampling)
                    + " of memory to sample and score, more than the Java heap's " + ErrorReport.mib(heap)
                    + ": lower --samples (default 20000) or raise -Xmx (e.g. JAVA_TOOL_OPTIONS=-Xmx8g)");
        }
        inRange("--samples", samples, 2, MAX_SAMPLES);
        long training = trainingBytes(Math.max(batch, ictBatch), width);
        if (training > heap) {
            throw new IllegalArgumentException("--batch " + batch + ", --ict-batch " + ictBatch + " and --width "
                    + width + " need about " + ErrorReport.mib(training) + " of memory to train, more than the Java "
                    + "heap's " + ErrorReport.mib(heap) + ": lower them or raise -Xmx (e.g. JAVA_TOOL_OPTIONS=-Xmx8g)");
        }
        if (!(noiseScale > 0) || !Double.isFinite(noiseScale)) {
            throw new IllegalArgumentException("--noise-scale " + noiseScale + ": must be a positive finite number "
                    + "(default 10)");
        }
        RunDirectory.prepare(out);
        return new ToyPipeline(toy, seed, teacherSteps, cdSteps, ictSteps, batch, ictBatch, width, noiseScale);
    }

    private static void inRange(String option, long value, long min, long max) {
        if (value < min || value > max) {
            throw new IllegalArgumentException(option + " " + value + ": must be between " + min + " and " + max);
        }
    }

    /**
     * A generous estimate of the memory of sampling and scoring n points: the MLP's activations for all n at once
     * (about four live (n, width + 32) float tensors), the kept samples of every method, and the sorted projections
     * of the sliced Wasserstein distance on every thread.
     */
    static long samplingBytes(long n, int width) {
        return n * (96L + 16L * (width + 32) + 16L * Parallel.threads());
    }

    /** A generous estimate of the memory of a training step: about 64 live (batch, width + 32) float tensors. */
    static long trainingBytes(long batch, int width) {
        return batch * (width + 32L) * 4 * 64;
    }

    /** Every option that shapes the checkpoints or the scores, by the option's name, for the run manifest. */
    private Map<String, Object> options() {
        Map<String, Object> o = new TreeMap<>();
        o.put("data", Toy2d.parse(data).name());
        o.put("seed", seed);
        o.put("teacher_steps", teacherSteps);
        o.put("cd_steps", cdSteps);
        o.put("ict_steps", ictSteps);
        o.put("batch", batch);
        o.put("ict_batch", ictBatch);
        o.put("width", width);
        o.put("noise_scale", noiseScale);
        o.put("samples", samples);
        return o;
    }

    private int run(ToyPipeline pipeline) throws IOException {
        console.printf("cm4j demo: %s, seed %d, %d threads, Vector API %s%n", pipeline.data(), seed, Parallel.threads(),
                Simd.ENABLED ? "on" : "off (add --add-modules jdk.incubator.vector)");
        long start = System.nanoTime();
        RunDirectory.removeDebris(out);
        RunManifest manifest = new RunManifest(out, "demo", options(), pipeline.dataFingerprint());
        if (resume) {
            manifest.checkResume();
        }
        manifest.write();

        EdmTeacherTrainer teacher = pipeline.teacher();
        Phase teacherPhase = train(teacher, teacherSteps, "1/3 EDM teacher", manifest);
        Preconditioned teacherEma = teacher.emaModel();
        ConsistencyDistillation cd = pipeline.distillation(teacherEma);
        Phase cdPhase = train(cd, cdSteps, "2/3 consistency distillation", manifest);
        ImprovedConsistencyTraining ict = pipeline.improvedTraining();
        Phase ictPhase = train(ict, ictSteps, "3/3 improved consistency training", manifest);

        console.println("sampling and scoring ...");
        ToyEvaluation eval = new ToyEvaluation(pipeline.data(), samples, seed + 100);
        Denoiser cdF = cd.emaModel().denoiser();
        Denoiser ictF = ict.emaModel().denoiser();
        double sigmaMax = ToyPipeline.GRID.sigmaMax();
        double cdMid = eval.bestMiddleSigma(cdF);
        double ictMid = eval.bestMiddleSigma(ictF);
        List<ResultTable.Row> rows = new ArrayList<>();
        rows.add(new ResultTable.Row("data vs fresh data (floor)", 0, eval.floor()));
        int grid = ToyEvaluation.TEACHER_GRID_POINTS;
        rows.add(new ResultTable.Row("EDM teacher, Heun " + grid + " steps", 2 * grid - 1,
                eval.edm(teacherEma.denoiser())));
        rows.add(new ResultTable.Row("untrained consistency model", 1,
                eval.consistency(pipeline.untrained().denoiser(), sigmaMax)));
        rows.add(new ResultTable.Row("CD, 1 step", 1, eval.consistency(cdF, sigmaMax)));
        rows.add(new ResultTable.Row(String.format("CD, 2 steps (sigma_mid %.3g)", cdMid), 2,
                eval.consistency(cdF, sigmaMax, cdMid)));
        rows.add(new ResultTable.Row("iCT, 1 step", 1, eval.consistency(ictF, sigmaMax)));
        rows.add(new ResultTable.Row(String.format("iCT, 2 steps (sigma_mid %.3g)", ictMid), 2,
                eval.consistency(ictF, sigmaMax, ictMid)));

        String table = ResultTable.markdown(rows, rows.get(0).score().sw(), rows.get(1).score().sw());
        String training = String.format("training: %s, %s, %s; total %.1f s%n", teacherPhase.describe(),
                cdPhase.describe(), ictPhase.describe(), (System.nanoTime() - start) / 1e9);
        console.println();
        console.println(table);
        console.print(training);
        Files.writeString(out.resolve("results.md"), table + "\n" + training);
        List<Plots.Panel> panels = new ArrayList<>();
        panels.add(new Plots.Panel("data", eval.reference()));
        for (ResultTable.Row r : rows.subList(1, rows.size())) {
            if (!r.method().startsWith("untrained")) {
                panels.add(new Plots.Panel(r.method() + ", " + r.nfe() + " NFE", r.score().samples()));
            }
        }
        Plots.scatterGrid(out.resolve("samples.png"), panels, 3);
        // from the loss logs, which a resumed run continues: the plot covers the whole run
        List<Plots.Curve> curves = new ArrayList<>();
        for (Trainer t : List.of(teacher, cd, ict)) {
            LossLog.Curve c = LossLog.read(LossLog.file(out, t.phase()));
            curves.add(new Plots.Curve(t == teacher ? "EDM teacher" : t == cd ? "CD" : "iCT", c.steps(), c.losses()));
        }
        Plots.losses(out.resolve("loss.png"), curves);
        manifest.complete(List.of("results.md", "samples.png", "loss.png"));
        console.println("wrote " + out.resolve("samples.png") + ", " + out.resolve("loss.png") + ", "
                + out.resolve("results.md") + ", " + manifest.file());
        return 0;
    }

    /**
     * Trains with progress on the console, the loss log and checkpoints in the output directory; returns what was
     * trained, what was loaded and the seconds it took.
     */
    private Phase train(Trainer trainer, long steps, String title, RunManifest manifest) throws IOException {
        long t0 = System.nanoTime();
        Path checkpoint = out.resolve(trainer.phase() + ".safetensors");
        trainer.checkpointing(new Checkpointing(checkpoint, 1000, resume));
        long[] loaded = {0};
        try (ConsoleProgress progress = new ConsoleProgress(title, steps, ConsoleProgress.isTerminal(), console);
             LossLog log = new LossLog(LossLog.file(out, trainer.phase()))) {
            trainer.listener(RunDirectory.logged(log, progress, loaded));
            trainer.train();
        }
        String name = switch (trainer.phase()) {
            case "teacher" -> "teacher";
            case "cd" -> "CD";
            case "ict" -> "iCT";
            default -> trainer.phase();
        };
        manifest.phase(trainer, checkpoint, steps, loaded[0]);
        return new Phase(name, steps, loaded[0], (System.nanoTime() - t0) / 1e9);
    }
}
