package dev.cm4j.consistency.train;

import static dev.cm4j.consistency.train.TrainingTestSupport.maxDiff;
import static dev.cm4j.consistency.train.TrainingTestSupport.values;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.cm4j.consistency.KarrasSchedule;
import dev.cm4j.consistency.analytic.GaussianData;
import dev.cm4j.consistency.data.Toy2d;
import dev.cm4j.consistency.model.Preconditioned;
import dev.cm4j.consistency.model.Preconditioning;
import dev.cm4j.consistency.model.ToyMlpNet;
import dev.cm4j.consistency.sampling.OdeSolver;
import dev.cm4j.models.ToyMlp;
import dev.cm4j.models.io.AtomicFiles;
import dev.cm4j.models.io.CheckpointFiles;
import dev.cm4j.models.io.FileOps;
import dev.cm4j.tensor.Rng;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A crash at every file operation of every save of a short CD run (checkpoint every step) leaves a directory that
 * resumes to the bit-identical result of an uninterrupted run.
 */
class CrashDuringSaveTest {
    /** With dropout, so the online and the target network's dropout generators must resume too. */
    private static final ToyMlp.Config NET = new ToyMlp.Config(2, 32, 2, 16, 100, 0.1f);
    private static final int STEPS = 4;

    private static ConsistencyDistillation cd(long initSeed) {
        Preconditioned student = new Preconditioned(ToyMlpNet.create(NET, new Rng(initSeed)),
                Preconditioning.consistency(0.5, 0.002));
        return new ConsistencyDistillation(student, new GaussianData(0.5).denoiser(), Toy2d.TWO_MOONS::sample,
                new ConsistencyDistillation.Config(10, OdeSolver.HEUN, 0.9, Distance.L2, 0f, KarrasSchedule.DEFAULT),
                OptimConfig.adam(STEPS, 32, 1e-3).withEvalEma(0.9), 7);
    }

    /** The simulated crash: the process is gone, nothing after it happens. */
    static final class Crash extends IOException {
        Crash(String what) {
            super("simulated crash at " + what);
        }
    }

    /**
     * Counts the operations and crashes at operation {@code crashAt}: a write leaves half of its bytes, any other
     * operation does not happen; every later operation fails as well (the process is dead).
     */
    static final class CrashingOps implements FileOps {
        final int crashAt;
        final List<String> log = new ArrayList<>();

        CrashingOps(int crashAt) {
            this.crashAt = crashAt;
        }

        private void next(String what) throws Crash {
            int k = log.size();
            log.add(what);
            if (k >= crashAt) {
                throw new Crash(k + " (" + what + ")");
            }
        }

        @Override
        public void write(Path file, AtomicFiles.Body body) throws IOException {
            if (log.size() == crashAt) {
                FileOps.REAL.write(file, body);
                try (FileChannel ch = FileChannel.open(file, StandardOpenOption.WRITE)) {
                    ch.truncate(ch.size() / 2);
                }
            }
            next("write " + file.getFileName());
            FileOps.REAL.write(file, body);
        }

        @Override
        public void force(Path file) throws IOException {
            next("force " + file.getFileName());
            FileOps.REAL.force(file);
        }

        @Override
        public void forceDirectory(Path dir) throws IOException {
            next("force dir");
            FileOps.REAL.forceDirectory(dir);
        }

        @Override
        public void rename(Path from, Path to) throws IOException {
            next("rename " + from.getFileName() + " -> " + to.getFileName());
            FileOps.REAL.rename(from, to);
        }

        @Override
        public void link(Path existing, Path link) throws IOException {
            next("link " + existing.getFileName() + " -> " + link.getFileName());
            FileOps.REAL.link(existing, link);
        }

        @Override
        public void delete(Path file) throws IOException {
            next("delete " + file.getFileName());
            FileOps.REAL.delete(file);
        }
    }

    @Test
    void aCrashAtEveryOperationOfEverySaveResumesBitIdentically(@TempDir Path root) throws IOException {
        ConsistencyDistillation straight = cd(4);
        straight.train();

        // the operations of an uninterrupted checkpointed run
        CrashingOps counting = new CrashingOps(Integer.MAX_VALUE);
        ConsistencyDistillation counted = cd(4);
        counted.checkpointing(new Checkpointing(root.resolve("count/cd.safetensors"), 1, false, counting));
        counted.train();
        int operations = counting.log.size();
        assertTrue(operations >= STEPS * 5, "operations: " + counting.log);

        for (int k = 0; k < operations; k++) {
            Path dir = root.resolve("crash-" + k);
            Path file = dir.resolve("cd.safetensors");
            ConsistencyDistillation crashed = cd(4);
            crashed.checkpointing(new Checkpointing(file, 1, true, new CrashingOps(k)));
            int at = k;
            UncheckedIOException e = assertThrows(UncheckedIOException.class, crashed::train,
                    "operation " + k + " " + counting.log.get(k));
            assertTrue(e.getCause() instanceof Crash, e.getMessage());

            // a new process with the same settings, the real file system: resume and finish
            ConsistencyDistillation resumed = cd(4);
            resumed.checkpointing(new Checkpointing(file, 1, true));
            resumed.train();
            String what = "crash at operation " + at + " (" + counting.log.get(at) + ")";
            assertEquals(STEPS, resumed.step(), what);
            assertEquals(0f, maxDiff(values(straight.model().net().module().namedParameters()),
                    values(resumed.model().net().module().namedParameters())), what + ": weights");
            assertEquals(0f, maxDiff(values(straight.target().net().module().namedParameters()),
                    values(resumed.target().net().module().namedParameters())), what + ": target");
            assertEquals(0f, maxDiff(values(straight.emaModel().net().module().namedParameters()),
                    values(resumed.emaModel().net().module().namedParameters())), what + ": EMA");
            try (Stream<Path> files = Files.list(dir)) {
                List<String> names = files.map(p -> p.getFileName().toString()).sorted().toList();
                assertEquals(List.of("cd.safetensors", "cd.safetensors.prev"), names, what + ": debris");
            }
        }
        System.out.println("CrashDuringSaveTest: crashed at each of " + operations + " file operations of "
                + STEPS + " saves, each resumed bit-identically: " + counting.log);
    }

    @Test
    void aMissingOrDamagedNewestCheckpointResumesFromThePreviousOne(@TempDir Path dir) throws IOException {
        ConsistencyDistillation straight = cd(4);
        straight.train();
        Path file = dir.resolve("cd.safetensors");
        ConsistencyDistillation first = cd(4);
        first.checkpointing(new Checkpointing(file, 1, false));
        first.train();
        Path prev = CheckpointFiles.prevPath(file);
        assertTrue(Files.exists(prev));

        // a flipped bit in the newest: resume from X.prev (step 3), set the damaged file aside, finish identically
        byte[] b = Files.readAllBytes(file);
        b[b.length - 3] ^= 0x10;
        Files.write(file, b);
        ConsistencyDistillation resumed = cd(4);
        resumed.checkpointing(new Checkpointing(file, 1, true));
        resumed.train();
        assertEquals(prev, resumed.resumedFrom());
        assertTrue(Files.exists(CheckpointFiles.damagedPath(file)));
        assertEquals(0f, maxDiff(values(straight.model().net().module().namedParameters()),
                values(resumed.model().net().module().namedParameters())));

        // the newest missing: the same
        Files.delete(file);
        ConsistencyDistillation again = cd(4);
        again.load(file);
        assertEquals(prev, again.resumedFrom());
        assertEquals(STEPS - 1, again.step());
    }
}
