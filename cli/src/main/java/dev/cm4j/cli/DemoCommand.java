package dev.cm4j.cli;

import dev.cm4j.consistency.KarrasSchedule;
import dev.cm4j.consistency.Preconditioning;
import dev.cm4j.consistency.data.Toy2d;
import dev.cm4j.consistency.metrics.EnergyDistance;
import dev.cm4j.consistency.metrics.SlicedWasserstein;
import dev.cm4j.consistency.sampling.Denoiser;
import dev.cm4j.consistency.sampling.EdmSampler;
import dev.cm4j.consistency.sampling.MultistepSampler;
import dev.cm4j.consistency.sampling.OdeSolver;
import dev.cm4j.consistency.sampling.TernarySearch;
import dev.cm4j.consistency.schedule.IctSchedule;
import dev.cm4j.consistency.train.Checkpointing;
import dev.cm4j.consistency.train.ConsistencyDistillation;
import dev.cm4j.consistency.train.Distance;
import dev.cm4j.consistency.train.EdmTeacherTrainer;
import dev.cm4j.consistency.train.ImprovedConsistencyTraining;
import dev.cm4j.consistency.train.OptimConfig;
import dev.cm4j.consistency.train.Preconditioned;
import dev.cm4j.consistency.train.ToyMlpNet;
import dev.cm4j.consistency.train.Trainer;
import dev.cm4j.models.ToyMlp;
import dev.cm4j.tensor.Parallel;
import dev.cm4j.tensor.Rng;
import dev.cm4j.tensor.Simd;
import dev.cm4j.tensor.Tensor;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.function.Function;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * The whole pipeline on a 2-D toy in about two minutes: an EDM teacher, consistency distillation from it, improved
 * consistency training from scratch, then one- and two-step sampling scored against fresh data.
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
    String data = "swissroll";

    @Option(names = "--teacher-steps", description = "EDM teacher updates (default: ${DEFAULT-VALUE}).")
    int teacherSteps = 3000;

    @Option(names = "--cd-steps", description = "Consistency distillation updates (default: ${DEFAULT-VALUE}).")
    int cdSteps = 1500;

    @Option(names = "--ict-steps", description = "Improved consistency training updates (default: ${DEFAULT-VALUE}).")
    int ictSteps = 3000;

    @Option(names = "--batch", description = "Batch size of all three trainings (default: ${DEFAULT-VALUE}).")
    int batch = 512;

    @Option(names = "--width", description = "Hidden units per MLP layer (default: ${DEFAULT-VALUE}).")
    int width = 128;

    @Option(names = "--samples", description = "Samples per method for the scores (default: ${DEFAULT-VALUE}).")
    int samples = 10_000;

    @Option(names = "--resume", description = "Continue the trainings from the checkpoints in the output directory.")
    boolean resume;

    private final PrintStream console = System.out;

    @Override
    public Integer call() throws IOException {
        Toy2d toy = Toy2d.parse(data);
        Files.createDirectories(out);
        KarrasSchedule grid = KarrasSchedule.DEFAULT;
        ToyMlp.Config net = new ToyMlp.Config(2, width, 3, 32, 100, 0f);
        Preconditioning cm = Preconditioning.consistency(0.5, grid.sigmaMin());
        console.printf("cm4j demo: %s, seed %d, %d threads, Vector API %s%n", toy, seed, Parallel.threads(),
                Simd.ENABLED ? "on" : "off (add --add-modules jdk.incubator.vector)");
        long start = System.nanoTime();

        // 1. the EDM teacher (CM-SPEC section 3)
        EdmTeacherTrainer teacher = new EdmTeacherTrainer(
                new Preconditioned(ToyMlpNet.create(net, new Rng(seed).fork(1)), Preconditioning.edm(0.5)),
                toy::sample, EdmTeacherTrainer.Config.edm(),
                OptimConfig.adam(teacherSteps, batch, 1e-3).withWarmup(100).withEvalEma(0.995), seed + 1);
        double teacherTime = train(teacher, teacherSteps, "1/3 EDM teacher");
        Preconditioned teacherEma = teacher.emaModel();

        // 2. consistency distillation from the teacher's EMA weights (Algorithm 2)
        ConsistencyDistillation cd = new ConsistencyDistillation(Preconditioned.fromTeacher(teacherEma, cm),
                teacherEma.denoiser(), toy::sample,
                new ConsistencyDistillation.Config(18, OdeSolver.HEUN, 0.95, Distance.L2, 0f, grid),
                OptimConfig.adam(cdSteps, batch, 3e-4).withEvalEma(0.995), seed + 2);
        double cdTime = train(cd, cdSteps, "2/3 consistency distillation");

        // 3. improved consistency training from scratch
        ImprovedConsistencyTraining ict = new ImprovedConsistencyTraining(
                new Preconditioned(ToyMlpNet.create(net, new Rng(seed).fork(3)), cm), toy::sample,
                new ImprovedConsistencyTraining.Config(new IctSchedule(10, 160, ictSteps, -1.1, 2.0, grid),
                        Distance.ictHuberC(2)),
                OptimConfig.adam(ictSteps, batch, 1e-3).withBetas(0.9, 0.995).withEvalEma(0.995), seed + 3);
        double ictTime = train(ict, ictSteps, "3/3 improved consistency training");

        // 4. sampling and scores against fresh data; the middle times are searched on a separate validation draw
        console.println("sampling and scoring ...");
        Evaluation test = new Evaluation(toy, samples, new Rng(seed).fork(100));
        Evaluation validation = new Evaluation(toy, samples, new Rng(seed).fork(200));
        MultistepSampler multistep = new MultistepSampler(grid, false);
        Denoiser cdF = cd.emaModel().denoiser();
        Denoiser ictF = ict.emaModel().denoiser();
        Denoiser untrained = new Preconditioned(ToyMlpNet.create(net, new Rng(seed).fork(4)), cm).denoiser();
        int cdMid = middleIndex(validation, multistep, cdF);
        int ictMid = middleIndex(validation, multistep, ictF);
        double[] cdTwo = {80, grid.sigma(cdMid, 18)};
        double[] ictTwo = {80, grid.sigma(ictMid, 18)};

        List<ResultTable.Row> rows = new ArrayList<>();
        List<Plots.Panel> panels = new ArrayList<>();
        panels.add(new Plots.Panel("data", test.reference()));
        rows.add(test.row("data vs fresh data (floor)", 0, z -> test.fresh()));
        EdmSampler heun = EdmSampler.heun(grid, 18);
        rows.add(test.row("EDM teacher, Heun 18 steps", heun.nfe(), z -> heun.sample(teacherEma.denoiser(), z, null)));
        rows.add(test.row("untrained consistency model", 1, z -> multistep.sample(untrained, z, new double[] {80},
                null)));
        rows.add(test.row("CD, 1 step", 1, z -> multistep.sample(cdF, z, new double[] {80}, null)));
        rows.add(test.row(String.format("CD, 2 steps (sigma_mid %.3g)", cdTwo[1]), 2,
                z -> multistep.sample(cdF, z, cdTwo, new Rng(seed).fork(300))));
        rows.add(test.row("iCT, 1 step", 1, z -> multistep.sample(ictF, z, new double[] {80}, null)));
        rows.add(test.row(String.format("iCT, 2 steps (sigma_mid %.3g)", ictTwo[1]), 2,
                z -> multistep.sample(ictF, z, ictTwo, new Rng(seed).fork(301))));
        for (int i = 1; i < rows.size(); i++) {
            if (i != 2) {
                panels.add(new Plots.Panel(rows.get(i).method() + " (" + rows.get(i).nfe() + " NFE)",
                        rows.get(i).samples()));
            }
        }

        String table = ResultTable.markdown(rows, rows.get(1).sw());
        console.println();
        console.println(table);
        String training = String.format("training: teacher %d steps %.1f s, CD %d steps %.1f s, iCT %d steps %.1f s; "
                + "total %.1f s%n", teacherSteps, teacherTime, cdSteps, cdTime, ictSteps, ictTime,
                (System.nanoTime() - start) / 1e9);
        console.print(training);
        Files.writeString(out.resolve("results.md"), table + "\n" + training);
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

    /** The intermediate grid index (of 18) that minimises the validation SW1 of 2-step sampling. */
    private int middleIndex(Evaluation validation, MultistepSampler sampler, Denoiser f) {
        KarrasSchedule grid = sampler.schedule();
        return TernarySearch.minimise(0, 17, p -> validation.sw(sampler.sample(f, validation.noise(),
                new double[] {80, grid.sigma(p, 18)}, new Rng(seed).fork(400)))).best();
    }

    /** A reference draw of the data, fixed noise for the samplers, and the scores. */
    private static final class Evaluation {
        private final Toy2d toy;
        private final Tensor reference;
        private final Tensor noise;
        private final Rng fresh;
        private final SlicedWasserstein sw = SlicedWasserstein.sw1();
        private final EnergyDistance energy = new EnergyDistance();
        private final int samples;

        Evaluation(Toy2d toy, int n, Rng rng) {
            this.toy = toy;
            this.reference = toy.sample(n, rng.fork(1));
            this.noise = rng.fork(2).normal(n, 2);
            this.fresh = rng.fork(3);
            this.samples = n;
        }

        Tensor reference() {
            return reference;
        }

        Tensor noise() {
            return noise;
        }

        Tensor fresh() {
            return toy.sample(samples, fresh);
        }

        double sw(Tensor x) {
            return sw.distance(reference, x);
        }

        ResultTable.Row row(String method, int nfe, Function<Tensor, Tensor> sampler) {
            long t0 = System.nanoTime();
            Tensor x = sampler.apply(noise);
            double millis = (System.nanoTime() - t0) / 1e6;
            return new ResultTable.Row(method, nfe, sw(x), energy.distance(reference, x), millis, x);
        }
    }
}
