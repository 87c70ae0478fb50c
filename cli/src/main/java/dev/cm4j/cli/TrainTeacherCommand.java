package dev.cm4j.cli;

import dev.cm4j.consistency.data.ImageDataset;
import dev.cm4j.consistency.model.Preconditioned;
import dev.cm4j.consistency.model.Preconditioning;
import dev.cm4j.consistency.noise.NoiseSource;
import dev.cm4j.consistency.sampling.EdmSampler;
import dev.cm4j.consistency.train.EdmTeacherTrainer;
import dev.cm4j.consistency.train.OptimConfig;
import dev.cm4j.models.unet.UNet;
import java.util.Map;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code cm4j train-teacher}: an EDM denoiser (Karras et al. 2022; docs/ALGORITHMS.md#edm-teacher-loss) on images,
 * the teacher that {@code cm4j distill} distills. EDM's noise distribution (P_mean -1.2, P_std 1.2) and loss weight,
 * Adam with a linear warm-up; grids from EDM's Heun sampler with 18 grid points (35 evaluations).
 */
@Command(name = "train-teacher", mixinStandardHelpOptions = true, sortOptions = false,
        description = "Train an EDM teacher (denoiser) on images; its checkpoint is what 'cm4j distill --teacher' "
                + "takes and 'cm4j sample' samples with Heun's method.")
final class TrainTeacherCommand extends ImageModelCommand {
    @Option(names = "--warmup", description = "Steps of linear learning-rate warm-up (default: ${DEFAULT-VALUE}).")
    long warmup = 500;

    @Option(names = "--grid-heun-steps", description = "Grid points of the Heun sampler that draws the sample grids "
            + "(2N - 1 evaluations; default: ${DEFAULT-VALUE}).")
    int heunSteps = 18;

    TrainTeacherCommand() {
        out = java.nio.file.Path.of("cm4j-teacher");
        steps = 10_000;
        batch = 64;
        lr = 5e-4;
        ema = 0.999;
        dropout = 0.1f;
        sampleEvery = 500;
    }

    @Override
    String phase() {
        return "teacher";
    }

    @Override
    void smokeDefaults() {
        super.smokeDefaults();
        if (!given("--warmup")) {
            warmup = Math.min(5, steps);
        }
        if (!given("--grid-heun-steps")) {
            heunSteps = 6;
        }
    }

    @Override
    void checkOptions() {
        baseNetwork();
        inRange("--warmup", warmup, 0, steps);
        inRange("--grid-heun-steps", heunSteps, 2, 1000);
    }

    @Override
    Recipe recipe(ImageDataset images) {
        UNet.Config c = network(images);
        Preconditioned net = new Preconditioned(newNetwork(c, 1), Preconditioning.edm(0.5));
        EdmTeacherTrainer trainer = new EdmTeacherTrainer(net, images.source(flip), EdmTeacherTrainer.Config.edm(),
                decayed(OptimConfig.adam(steps, batch, lr).withWarmup(warmup).withEvalEma(ema)), seed + 1);
        recordNetwork(trainer, c);
        Map<String, Object> o = networkOptions();
        o.put("warmup", warmup);
        EdmSampler sampler = EdmSampler.images(GRID, heunSteps);
        return new Recipe(trainer, "EDM teacher", o,
                (model, z, labels) -> sampler.sample(model.denoiser().withLabels(labels), z, (NoiseSource) null),
                c.numClasses());
    }
}
