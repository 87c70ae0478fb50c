package dev.cm4j.cli;

import dev.cm4j.consistency.data.ImageDataset;
import dev.cm4j.consistency.model.Preconditioned;
import dev.cm4j.consistency.model.Preconditioning;
import dev.cm4j.consistency.noise.NoiseSource;
import dev.cm4j.consistency.sampling.MultistepSampler;
import dev.cm4j.consistency.sampling.OdeSolver;
import dev.cm4j.consistency.train.ConsistencyDistillation;
import dev.cm4j.consistency.train.Distance;
import dev.cm4j.consistency.train.OptimConfig;
import dev.cm4j.models.unet.UNet;
import dev.cm4j.tensor.Rng;
import java.io.IOException;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code cm4j distill}: consistency distillation (Song et al. 2023, Algorithm 2;
 * docs/ALGORITHMS.md#consistency-distillation) from the EMA weights of a {@code train-teacher} checkpoint, the
 * released CIFAR-10 L2 setting: N = 18, Heun, target EMA mu = 0, RAdam 4e-4. The student starts as the teacher, with
 * its own dropout (0, as the released consistency models), on the teacher's images and classes.
 *
 * <p>The distance is L2 by default: the released image runs use LPIPS, which needs ImageNet-trained weights that cm4j
 * does not have (and which would leak ImageNet features into a feature distance); of the released settings without
 * LPIPS, the CD runs use L2. iCT's pseudo-Huber and L1 are options.
 */
@Command(name = "distill", mixinStandardHelpOptions = true, sortOptions = false,
        description = "Distill a consistency model (CD) from a teacher trained by 'cm4j train-teacher'; sample it "
                + "with 'cm4j sample'.")
final class DistillCommand extends FromTeacherCommand {
    /** One-step samples of a consistency model at sigmaMax, clamped to [-1, 1]: the grids of CD, CT and iCT. */
    static final GridSampler ONE_STEP = (model, z, labels) -> MultistepSampler.images(GRID)
            .sample(model.denoiser().withLabels(labels), z, new double[] {GRID.sigmaMax()}, (NoiseSource) null);

    @Option(names = "--distance", description = "l2, l1 or pseudo-huber (c = 0.00054 sqrt(dim)); LPIPS is not "
            + "available (default: ${DEFAULT-VALUE}).")
    String distance = "l2";

    @Option(names = "--n", description = "Points N of the Karras grid the pairs come from (default: "
            + "${DEFAULT-VALUE}).")
    int n = 18;

    @Option(names = "--substeps", description = "Solver steps the teacher takes from one grid point to the next, on "
            + "the finer Karras grid of (N - 1) x substeps + 1 points: the teacher's accuracy of that grid for a chain "
            + "of N - 1 links (default: ${DEFAULT-VALUE}, one step as in the paper).")
    int substeps = 1;

    @Option(names = "--mu", description = "Rate of the target network's EMA; 0 = the online network (default: "
            + "${DEFAULT-VALUE}).")
    double mu = 0;

    @Option(names = "--solver", description = "The teacher's ODE step: heun or euler (default: ${DEFAULT-VALUE}).")
    String solver = "heun";

    @Option(names = "--dropout", description = "The student's dropout probability (default: ${DEFAULT-VALUE}).")
    float dropout = 0f;

    DistillCommand() {
        out = Path.of("cm4j-cd");
        steps = 4_000;
        batch = 64;
        lr = 4e-4;
        ema = 0.999;
        sampleEvery = 500;
    }

    @Override
    String phase() {
        return "cd";
    }

    /** A distance by its command-line name. */
    static Distance parseDistance(String name) {
        return switch (name) {
            case "l2" -> Distance.L2;
            case "l1" -> Distance.L1;
            case "pseudo-huber" -> Distance.PSEUDO_HUBER;
            default -> throw new IllegalArgumentException("--distance " + name + ": not a distance; the distances "
                    + "are l2, l1, pseudo-huber");
        };
    }

    private OdeSolver solver() {
        return switch (solver) {
            case "heun" -> OdeSolver.HEUN;
            case "euler" -> OdeSolver.EULER;
            default -> throw new IllegalArgumentException("--solver " + solver + ": not a solver; the solvers are "
                    + "heun, euler");
        };
    }

    @Override
    void checkOptions() {
        parseDistance(distance);
        solver();
        inRange("--n", n, 2, 100_000);
        inRange("--substeps", substeps, 1, 1_000);
        try {
            ConsistencyDistillation.Config.cifar10L2().withN(n).withSubsteps(substeps);
        } catch (IllegalArgumentException e) {
            // the grid's own check (the teacher's grid of (N - 1) x substeps + 1 points), before any file is read
            throw new IllegalArgumentException("--n " + n + " with --substeps " + substeps + ": " + e.getMessage(), e);
        }
        if (!(mu >= 0 && mu < 1)) {
            throw new IllegalArgumentException("--mu " + mu + ": must be in [0, 1)");
        }
        if (!(dropout >= 0 && dropout < 1)) {
            throw new IllegalArgumentException("--dropout " + dropout + ": must be in [0, 1)");
        }
    }

    @Override
    Recipe recipe(ImageDataset images) throws IOException {
        Distance d = parseDistance(distance);
        OdeSolver s = solver();
        UNet.Config c = teacherCheckpoint.config();
        Preconditioned teacherModel = teacherCheckpoint.model(true, c.dropout(), new Rng(seed).fork(5));
        // the student starts as the teacher's EMA weights, under the consistency preconditioning, with its own dropout
        Preconditioned student = teacherCheckpoint.model(true, dropout, new Rng(seed).fork(2));
        student = new Preconditioned(student.net(), Preconditioning.consistency(0.5, GRID.sigmaMin()));
        student.net().module().train(true);
        int dim = c.inChannels() * c.imageSize() * c.imageSize();
        ConsistencyDistillation.Config config = ConsistencyDistillation.Config.cifar10L2().withN(n).withMu(mu)
                .withSolver(s).withDistance(d, Distance.ictHuberC(dim)).withGrid(GRID).withSubsteps(substeps);
        ConsistencyDistillation trainer = new ConsistencyDistillation(student, teacherModel.denoiser(),
                images.source(flip), config, decayed(OptimConfig.radam(steps, batch, lr).withEvalEma(ema)), seed + 2);
        recordNetwork(trainer, c.withDropout(dropout));
        Map<String, Object> o = new LinkedHashMap<>();
        o.put("teacher_content_hash", trainer.identity().parent());
        o.put("distance", distance);
        o.put("n", n);
        if (substeps != 1) {
            // recorded only when given, so runs started before the option existed still resume
            o.put("substeps", substeps);
        }
        o.put("mu", mu);
        o.put("solver", solver);
        o.put("dropout", (double) dropout);
        console.printf("teacher: %s (step %d)%n", teacher, teacherCheckpoint.step());
        return new Recipe(trainer, "consistency distillation", o, ONE_STEP, c.numClasses());
    }
}
