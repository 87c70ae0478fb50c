package dev.cm4j.cli;

import dev.cm4j.consistency.data.ImageDataset;
import dev.cm4j.consistency.model.Preconditioned;
import dev.cm4j.consistency.model.Preconditioning;
import dev.cm4j.consistency.schedule.CtSchedule;
import dev.cm4j.consistency.train.ConsistencyTraining;
import dev.cm4j.consistency.train.Distance;
import dev.cm4j.consistency.train.OptimConfig;
import dev.cm4j.models.unet.UNet;
import java.util.Map;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code cm4j train-ct}: consistency training from scratch (Song et al. 2023, Algorithm 3;
 * docs/ALGORITHMS.md#consistency-training) with the released code's schedule N(k), mu(k) of the preset, RAdam, and
 * iCT's pseudo-Huber distance where the released runs use LPIPS, which cm4j does not have.
 */
@Command(name = "train-ct", mixinStandardHelpOptions = true, sortOptions = false,
        description = "Train a consistency model from scratch with consistency training (CT); sample it with "
                + "'cm4j sample'.")
final class TrainCtCommand extends ImageModelCommand {
    @Option(names = "--schedule", description = "N(k) and mu(k) preset: cifar10 (s0 2, s1 150, mu0 0.9), imagenet64 "
            + "or lsun256 (default: ${DEFAULT-VALUE}).")
    String schedule = "cifar10";

    @Option(names = "--distance", description = "pseudo-huber (c = 0.00054 sqrt(dim)), l2 or l1 (default: "
            + "${DEFAULT-VALUE}).")
    String distance = "pseudo-huber";

    TrainCtCommand() {
        out = java.nio.file.Path.of("cm4j-ct");
        steps = 10_000;
        batch = 64;
        lr = 4e-4;
        ema = 0.999;
        dropout = 0.1f;
        sampleEvery = 500;
    }

    @Override
    String phase() {
        return "ct";
    }

    @Override
    void checkOptions() {
        baseNetwork();
        CtSchedule.preset(schedule, steps);
        DistillCommand.parseDistance(distance);
    }

    @Override
    Recipe recipe(ImageDataset images) {
        UNet.Config c = network(images);
        int dim = c.inChannels() * c.imageSize() * c.imageSize();
        Distance d = DistillCommand.parseDistance(distance);
        Preconditioned net = new Preconditioned(newNetwork(c, 4), Preconditioning.consistency(0.5, GRID.sigmaMin()));
        ConsistencyTraining.Config config = new ConsistencyTraining.Config(CtSchedule.preset(schedule, steps), d,
                Distance.ictHuberC(dim), GRID);
        ConsistencyTraining trainer = new ConsistencyTraining(net, images.source(flip), config,
                decayed(OptimConfig.radam(steps, batch, lr).withEvalEma(ema)), seed + 4);
        recordNetwork(trainer, c);
        Map<String, Object> o = networkOptions();
        o.put("schedule", schedule);
        o.put("distance", distance);
        return new Recipe(trainer, "CT", o, DistillCommand.ONE_STEP, c.numClasses());
    }
}
