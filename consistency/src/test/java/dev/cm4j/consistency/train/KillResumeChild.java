package dev.cm4j.consistency.train;

import dev.cm4j.autodiff.Var;
import dev.cm4j.consistency.data.Toy2d;
import dev.cm4j.consistency.model.Preconditioned;
import dev.cm4j.consistency.model.Preconditioning;
import dev.cm4j.consistency.model.ToyMlpNet;
import dev.cm4j.models.ToyMlp;
import dev.cm4j.tensor.Rng;
import dev.cm4j.tensor.Tensor;
import java.nio.file.Path;
import java.util.Map;
import java.util.zip.CRC32C;

/**
 * The process that {@link KillResumeTest} kills: an EDM teacher on the two moons that checkpoints every step into the
 * folder given and resumes from it, printing {@code STEP n} before each checkpoint and finally {@code DONE <crc>}
 * with a CRC32C of its final weights and EMA.
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

    /** CRC32C over the bits of the live and the EMA weights, in name order. */
    static long fingerprint(EdmTeacherTrainer t) {
        CRC32C crc = new CRC32C();
        for (Map<String, Var> params : new Map[] {t.model().net().module().namedParameters(),
                t.emaModel().net().module().namedParameters()}) {
            new java.util.TreeMap<>(params).forEach((name, p) -> {
                Tensor v = p.value();
                for (int i = 0; i < v.size(); i++) {
                    int bits = Float.floatToRawIntBits(v.data()[v.offset() + i]);
                    crc.update(new byte[] {(byte) bits, (byte) (bits >>> 8), (byte) (bits >>> 16),
                        (byte) (bits >>> 24)});
                }
            });
        }
        return crc.getValue();
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
