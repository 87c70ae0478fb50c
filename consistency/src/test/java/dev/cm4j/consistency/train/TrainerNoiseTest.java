package dev.cm4j.consistency.train;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.cm4j.consistency.analytic.GaussianData;
import dev.cm4j.consistency.data.Toy2d;
import dev.cm4j.consistency.model.Preconditioned;
import dev.cm4j.consistency.model.Preconditioning;
import dev.cm4j.consistency.model.ToyMlpNet;
import dev.cm4j.consistency.noise.NoiseSource;
import dev.cm4j.consistency.noise.RecordedNoise;
import dev.cm4j.models.ToyMlp;
import dev.cm4j.tensor.Rng;
import dev.cm4j.tensor.Tensor;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** A trainer's Gaussian draws come from a source the caller can supply, and a recorded sequence replays a run. */
class TrainerNoiseTest {
    private static final ToyMlp.Config NET = new ToyMlp.Config(2, 32, 2, 16, 100, 0f);

    /** Draws from a seeded source and keeps a copy of each. */
    private static final class Recording implements NoiseSource {
        final NoiseSource inner = NoiseSource.of(new Rng(99));
        final List<Tensor> draws = new ArrayList<>();

        @Override
        public Tensor normal(int... shape) {
            Tensor t = inner.normal(shape);
            draws.add(t.copy());
            return t;
        }

        @Override
        public long draws() {
            return draws.size();
        }
    }

    private static ConsistencyDistillation cd(long steps) {
        Preconditioned student = new Preconditioned(ToyMlpNet.create(NET, new Rng(1)),
                Preconditioning.consistency(0.5, 0.002));
        return new ConsistencyDistillation(student, new GaussianData(0.5).denoiser(), Toy2d.TWO_MOONS::sample,
                ConsistencyDistillation.Config.toy2d().withN(10), OptimConfig.adam(steps, 32, 1e-3), 7);
    }

    @Test
    void aRecordedSequenceReplaysTheRunStepForStep() {
        Recording recording = new Recording();
        ConsistencyDistillation first = cd(4);
        first.noise(recording).train();
        assertEquals(4, recording.draws.size(), "CD draws one noise tensor per step");

        RecordedNoise replay = NoiseSource.recorded(recording.draws);
        ConsistencyDistillation second = cd(4);
        second.noise(replay).train();
        assertEquals(first.losses(), second.losses(), "the same draws give the same losses, bit for bit");
        assertEquals(0, replay.remaining());

        ConsistencyDistillation own = cd(4);
        own.train();
        assertNotEquals(first.losses(), own.losses(), "the default source is the trainer's own generator");
    }

    @Test
    void aRecordingThatRunsOutStopsTheRunWithTheReason() {
        Recording recording = new Recording();
        cd(2).noise(recording).train();
        IllegalStateException e = assertThrows(IllegalStateException.class,
                () -> cd(3).noise(NoiseSource.recorded(recording.draws)).train());
        assertTrue(e.getMessage().contains("draw 3 of shape [32, 2] requested, but the recording holds only 2"),
                e.getMessage());
    }

    @Test
    void aSuppliedSourceCannotBeCheckpointed(@TempDir Path dir) {
        ConsistencyDistillation t = cd(2);
        t.noise(new Recording()).checkpointing(new Checkpointing(dir.resolve("cd.safetensors"), 1, false));
        IllegalStateException e = assertThrows(IllegalStateException.class, t::train);
        assertTrue(e.getMessage().contains("is not saved in checkpoints"), e.getMessage());
    }
}
