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
import dev.cm4j.tensor.Parallel;
import dev.cm4j.tensor.Simd;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
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
    int cdSteps = 1500;

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

    private final PrintStream console = System.out;

    @Override
    public Integer call() throws IOException {
        ToyPipeline pipeline = new ToyPipeline(Toy2d.parse(data), seed, teacherSteps, cdSteps, ictSteps, batch, ictBatch, width,
                noiseScale);
        Files.createDirectories(out);
        console.printf("cm4j demo: %s, seed %d, %d threads, Vector API %s%n", pipeline.data(), seed, Parallel.threads(),
                Simd.ENABLED ? "on" : "off (add --add-modules jdk.incubator.vector)");
        long start = System.nanoTime();

        EdmTeacherTrainer teacher = pipeline.teacher();
        double teacherTime = train(teacher, teacherSteps, "1/3 EDM teacher");
        Preconditioned teacherEma = teacher.emaModel();
        ConsistencyDistillation cd = pipeline.distillation(teacherEma);
        double cdTime = train(cd, cdSteps, "2/3 consistency distillation");
        ImprovedConsistencyTraining ict = pipeline.improvedTraining();
        double ictTime = train(ict, ictSteps, "3/3 improved consistency training");

        console.println("sampling and scoring ...");
        ToyEvaluation eval = new ToyEvaluation(pipeline.data(), samples, seed + 100);
        Denoiser cdF = cd.emaModel().denoiser();
        Denoiser ictF = ict.emaModel().denoiser();
        double sigmaMax = ToyPipeline.GRID.sigmaMax();
        double cdMid = eval.bestMiddleSigma(cdF);
        double ictMid = eval.bestMiddleSigma(ictF);
        List<ResultTable.Row> rows = new ArrayList<>();
        rows.add(new ResultTable.Row("data vs fresh data (floor)", 0, eval.floor()));
        rows.add(new ResultTable.Row("EDM teacher, Heun 18 steps", 35, eval.edm(teacherEma.denoiser())));
        rows.add(new ResultTable.Row("untrained consistency model", 1,
                eval.consistency(pipeline.untrained().denoiser(), sigmaMax)));
        rows.add(new ResultTable.Row("CD, 1 step", 1, eval.consistency(cdF, sigmaMax)));
        rows.add(new ResultTable.Row(String.format("CD, 2 steps (sigma_mid %.3g)", cdMid), 2,
                eval.consistency(cdF, sigmaMax, cdMid)));
        rows.add(new ResultTable.Row("iCT, 1 step", 1, eval.consistency(ictF, sigmaMax)));
        rows.add(new ResultTable.Row(String.format("iCT, 2 steps (sigma_mid %.3g)", ictMid), 2,
                eval.consistency(ictF, sigmaMax, ictMid)));

        String table = ResultTable.markdown(rows, rows.get(1).score().sw());
        String training = String.format("training: teacher %d steps %.1f s, CD %d steps %.1f s, iCT %d steps %.1f s; "
                + "total %.1f s%n", teacherSteps, teacherTime, cdSteps, cdTime, ictSteps, ictTime,
                (System.nanoTime() - start) / 1e9);
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
        Plots.losses(out.resolve("loss.png"), List.of(new Plots.Curve("EDM teacher", teacher.losses()),
                new Plots.Curve("CD", cd.losses()), new Plots.Curve("iCT", ict.losses())));
        console.println("wrote " + out.resolve("samples.png") + ", " + out.resolve("loss.png") + ", "
                + out.resolve("results.md"));
        return 0;
    }

    /** Trains with a progress bar and checkpoints in the output directory; returns the seconds it took. */
    private double train(Trainer trainer, long steps, String title) {
        long t0 = System.nanoTime();
        trainer.checkpointing(new Checkpointing(out.resolve(trainer.phase() + ".safetensors"), 1000, resume));
        try (ConsoleProgress progress = new ConsoleProgress(title, steps)) {
            trainer.listener(progress);
            trainer.train();
        }
        return (System.nanoTime() - t0) / 1e9;
    }
}
