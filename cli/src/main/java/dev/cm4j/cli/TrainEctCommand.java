package dev.cm4j.cli;

import dev.cm4j.consistency.data.ImageDataset;
import dev.cm4j.consistency.model.Preconditioned;
import dev.cm4j.consistency.schedule.EctSchedule;
import dev.cm4j.consistency.train.EasyConsistencyTuning;
import dev.cm4j.consistency.train.OptimConfig;
import dev.cm4j.models.unet.UNet;
import dev.cm4j.tensor.Rng;
import java.io.IOException;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/**
 * {@code cm4j train-ect}: easy consistency tuning (Geng et al. 2024; docs/ALGORITHMS.md#easy-consistency-tuning) from
 * the EMA weights of a {@code train-teacher} checkpoint: the model starts as the teacher, in the teacher's
 * epsilon-free scalings, and learns f(x + t z, t) = f(x + r z, r) with r(t) closing in on t stage by stage; no teacher
 * call. Defaults are the released CIFAR-10 command's (RAdam 1e-4, dropout 0.2, the {@code paper} mapping q 2, k 8,
 * b 1, P_mean -1.1, P_std 2.0, c = 0, weight 1/(t - r)) with the run cut into 8 stages; {@code --q 256 --stages 1} is
 * the released one-hour variant.
 */
@Command(name = "train-ect", mixinStandardHelpOptions = true, sortOptions = false,
        description = "Tune a consistency model from a teacher trained by 'cm4j train-teacher' with easy consistency "
                + "tuning (ECT); sample it with 'cm4j sample'.")
final class TrainEctCommand extends FromTeacherCommand {
    @Option(names = "--schedule", description = "Mapping and t distribution preset: paper (q 2, k 8, b 1, P_mean -1.1, "
            + "P_std 2.0) or toy2d (P_std 3.0) (default: ${DEFAULT-VALUE}).")
    String schedule = "paper";

    @Option(names = "--q", description = "Base q of the mapping r(t) = t (1 - q^-(stage+1) (1 + k sigmoid(-b t))); "
            + "0 = the preset's (default: ${DEFAULT-VALUE}).")
    double q = 0;

    @Option(names = "--stages", description = "Stages the run is cut into (r(t) moves closer to t at each); 0 = the "
            + "preset's (default: ${DEFAULT-VALUE}).")
    int stages = 0;

    @Option(names = "--huber-c", description = "Pseudo-Huber constant c of the distance; 0 = the unsquared L2 norm, "
            + "the released default (default: ${DEFAULT-VALUE}).")
    float huberC = 0f;

    @Option(names = "--dropout", description = "The model's dropout probability (default: ${DEFAULT-VALUE}).")
    float dropout = 0.2f;

    @Mixin
    TargetOptions targets = new TargetOptions();

    TrainEctCommand() {
        out = Path.of("cm4j-ect");
        steps = 2_000;
        batch = 64;
        lr = 1e-4;
        ema = 0.9993;
        sampleEvery = 500;
    }

    @Override
    String phase() {
        return "ect";
    }

    private EctSchedule ectSchedule() {
        EctSchedule s = EctSchedule.preset(schedule, steps);
        if (q != 0) {
            s = s.withQ(q);
        }
        if (stages != 0) {
            inRange("--stages", stages, 1, steps);
            s = s.withStageLength(Math.ceilDiv(steps, stages));
        }
        return s;
    }

    @Override
    void checkOptions() {
        ectSchedule();
        new EasyConsistencyTuning.Config(ectSchedule(), huberC, EasyConsistencyTuning.Weighting.INVERSE_GAP)
                .withTarget(targets.target(), targets.extraReferences);
        if (!(dropout >= 0 && dropout < 1)) {
            throw new IllegalArgumentException("--dropout " + dropout + ": must be in [0, 1)");
        }
    }

    @Override
    Recipe recipe(ImageDataset images) throws IOException {
        UNet.Config c = teacherCheckpoint.config();
        Preconditioned teacherModel = teacherCheckpoint.model(true, dropout, new Rng(seed).fork(2));
        // the model is the teacher's network and scalings (epsilon 0, so f(x, 0) = x is the target where r = 0)
        Preconditioned model = Preconditioned.fromTeacher(teacherModel, teacherModel.preconditioning());
        EasyConsistencyTuning.Config config = new EasyConsistencyTuning.Config(ectSchedule(), huberC,
                EasyConsistencyTuning.Weighting.INVERSE_GAP).withTarget(targets.target(), targets.extraReferences);
        EasyConsistencyTuning trainer = new EasyConsistencyTuning(model, images.source(flip), config,
                decayed(OptimConfig.radam(steps, batch, lr).withEvalEma(ema)), seed + 6);
        recordNetwork(trainer, c.withDropout(dropout));
        EctSchedule s = config.schedule();
        Map<String, Object> o = new LinkedHashMap<>();
        o.put("teacher_content_hash", trainer.identity().parent());
        o.put("schedule", schedule);
        o.put("q", s.q());
        o.put("stage_length", s.stageLength());
        o.put("huber_c", (double) huberC);
        o.put("dropout", (double) dropout);
        targets.record(o);
        console.printf("teacher: %s (step %d)%n", teacher, teacherCheckpoint.step());
        return new Recipe(trainer, "easy consistency tuning", o, DistillCommand.ONE_STEP, c.numClasses());
    }
}
