package dev.cm4j.consistency.train;

import dev.cm4j.consistency.data.Toy2d;
import dev.cm4j.consistency.model.Preconditioned;
import dev.cm4j.consistency.model.Preconditioning;
import dev.cm4j.consistency.model.ToyMlpNet;
import dev.cm4j.models.ToyMlp;
import dev.cm4j.models.io.TrainingState;
import dev.cm4j.tensor.Rng;
import java.nio.file.Path;

/**
 * The process that {@link KillResumeTest} kills: an EDM teacher on the two moons that checkpoints every step into the
 * folder given and resumes from it, printing {@code STEP n} before each checkpoint and finally {@code DONE <hash>}
 * with the content hashes of its final weights and EMA.
 */
public final class KillResumeChild {
    private KillResumeChild() {
    }

    /** The trainer of every run: the same settings and seeds each time, so only the resume can make a difference. */
    static EdmTeacherTrainer trainer(long steps) {
        Preconditioned model = new Preconditioned(ToyMlpNet.create(new ToyMlp.Config(2, 64, 3, 16, 10, 0f),
                new Rng(3)), Preconditioning.edm(0.5));
        return new EdmTeacherTrainer(model, Toy2d.TWO_MOONS::sample, EdmTeacherTrainer.Config.edm(),
                OptimConfig.adam(steps, 256, 1e-3).withEvalEma(0.99), 4);
    }

    /** The content hashes (SHA-256 of names, shapes and bytes) of the live and the EMA weights. */
    static String fingerprint(EdmTeacherTrainer t) {
        return TrainingState.contentHash(t.model().net().module().stateDict()) + "/"
                + TrainingState.contentHash(t.emaModel().net().module().stateDict());
    }

    public static void main(String[] args) {
        Path dir = Path.of(args[0]);
        long steps = Long.parseLong(args[1]);
        EdmTeacherTrainer t = trainer(steps);
        t.checkpointing(new Checkpointing(dir.resolve("teacher.safetensors"), 1, true));
        // each step is announced just before its checkpoint is written, so a kill on reading it lands in or near a save
        t.listener((phase, step, total, loss) -> {
            System.out.println("STEP " + step);
            System.out.flush();
        });
        t.train();
        System.out.println("DONE " + fingerprint(t));
    }
}
