package dev.cm4j.cli;

import dev.cm4j.consistency.data.ImageDataset;
import dev.cm4j.consistency.model.Preconditioned;
import dev.cm4j.consistency.model.Preconditioning;
import dev.cm4j.consistency.schedule.IctSchedule;
import dev.cm4j.consistency.train.Distance;
import dev.cm4j.consistency.train.ImprovedConsistencyTraining;
import dev.cm4j.consistency.train.OptimConfig;
import dev.cm4j.models.unet.UNet;
import java.util.Map;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/**
 * {@code cm4j train-ict}: improved consistency training from scratch (Song and Dhariwal 2023;
 * docs/ALGORITHMS.md#improved-consistency-training): no EMA target, pseudo-Huber distance with c = 0.00054 sqrt(dim),
 * lognormal pairs, the exponential curriculum of the schedule preset, 1/(sigma_i - sigma_{i+1}) weights, shared dropout
 * masks; Adam with beta2 0.995 and dropout 0.3, the paper's CIFAR-10 settings. {@code --target batch} builds the pair
 * from the batch's estimate of the clean image instead ({@link TargetOptions}).
 */
@Command(name = "train-ict", mixinStandardHelpOptions = true, sortOptions = false,
        description = "Train a consistency model from scratch with improved consistency training (iCT); sample it "
                + "with 'cm4j sample'.")
final class TrainIctCommand extends ImageModelCommand {
    @Option(names = "--schedule", description = "Curriculum preset: paper (s0 10, s1 1280, P_mean -1.1, P_std 2.0) "
            + "or toy2d (default: ${DEFAULT-VALUE}).")
    String schedule = "paper";

    @Mixin
    TargetOptions targets = new TargetOptions();

    TrainIctCommand() {
        out = java.nio.file.Path.of("cm4j-ict");
        steps = 10_000;
        batch = 64;
        lr = 1e-4;
        ema = 0.999;
        dropout = 0.3f;
        sampleEvery = 500;
    }

    @Override
    String phase() {
        return "ict";
    }

    @Override
    void checkOptions() {
        baseNetwork();
        IctSchedule.preset(schedule, steps);
        targets.target();
    }

    @Override
    Recipe recipe(ImageDataset images) {
        UNet.Config c = network(images);
        int dim = c.inChannels() * c.imageSize() * c.imageSize();
        Preconditioned net = new Preconditioned(newNetwork(c, 3), Preconditioning.consistency(0.5, GRID.sigmaMin()));
        ImprovedConsistencyTraining.Config config = new ImprovedConsistencyTraining.Config(
                IctSchedule.preset(schedule, steps).withGrid(GRID), Distance.ictHuberC(dim))
                .withTarget(targets.target(), targets.extraReferences);
        ImprovedConsistencyTraining trainer = new ImprovedConsistencyTraining(net, images.source(flip), config,
                decayed(OptimConfig.adam(steps, batch, lr).withBetas(0.9, 0.995).withEvalEma(ema)), seed + 3);
        recordNetwork(trainer, c);
        Map<String, Object> o = networkOptions();
        o.put("schedule", schedule);
        targets.record(o);
        return new Recipe(trainer, "iCT", o, DistillCommand.ONE_STEP, c.numClasses());
    }
}
