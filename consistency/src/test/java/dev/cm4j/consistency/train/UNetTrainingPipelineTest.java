package dev.cm4j.consistency.train;

import dev.cm4j.consistency.model.Preconditioned;
import dev.cm4j.consistency.model.UNetNet;
import dev.cm4j.consistency.noise.NoiseSource;
import static dev.cm4j.consistency.train.TrainingTestSupport.maxDiff;
import static dev.cm4j.consistency.train.TrainingTestSupport.values;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.cm4j.consistency.KarrasSchedule;
import dev.cm4j.consistency.model.Preconditioning;
import dev.cm4j.consistency.sampling.EdmSampler;
import dev.cm4j.consistency.sampling.MultistepSampler;
import dev.cm4j.consistency.sampling.OdeSolver;
import dev.cm4j.consistency.schedule.CtSchedule;
import dev.cm4j.consistency.schedule.IctSchedule;
import dev.cm4j.models.unet.UNet;
import dev.cm4j.tensor.Rng;
import dev.cm4j.tensor.Tensor;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The training algorithms and samplers on images (B, 1, 8, 8) with a small U-Net: nothing in them assumes the 2-D
 * toys' (B, 2) shape, the EDM teacher learns, iCT replays the U-Net's dropout masks, and a resumed run continues bit
 * for bit.
 */
class UNetTrainingPipelineTest {
    private static final KarrasSchedule GRID = KarrasSchedule.DEFAULT;

    /** 8x8, 8 channels at 8x8 and 16 at 4x4, one res block per level, attention at 4x4, GroupNorm with 4 groups. */
    private static UNet.Config net(float dropout) {
        return new UNet.Config(8, 1, 1, 8, List.of(1, 2), 1, List.of(4), dropout, 0, 1, -1, false, false, true, 4);
    }

    /** Images of a 3x3 bright square at a random place on a dark background (values -0.5 and 1.5, then centred). */
    private static Tensor squares(int n, Rng rng) {
        Tensor x = Tensor.zeros(n, 1, 8, 8);
        float[] d = x.data();
        for (int b = 0; b < n; b++) {
            int r = rng.nextInt(6);
            int c = rng.nextInt(6);
            for (int i = 0; i < 64; i++) {
                int y = i / 8;
                int xx = i % 8;
                boolean in = y >= r && y < r + 3 && xx >= c && xx < c + 3;
                // 9 of 64 pixels lit: mean 0 and std about 0.7 with these two levels
                d[b * 64 + i] = in ? 1.5f : -0.25f;
            }
        }
        return x;
    }

    private static Preconditioned model(UNet.Config c, Preconditioning p, long seed) {
        return new Preconditioned(UNetNet.create(c, new Rng(seed)), p);
    }

    private static boolean finite(Tensor t) {
        for (int i = 0; i < t.size(); i++) {
            if (!Float.isFinite(t.data()[t.offset() + i])) {
                return false;
            }
        }
        return true;
    }

    @Test
    void teacherLearnsAndEveryAlgorithmRunsOnImages() {
        EdmTeacherTrainer teacher = new EdmTeacherTrainer(model(net(0f), Preconditioning.edm(0.5), 1),
                UNetTrainingPipelineTest::squares, EdmTeacherTrainer.Config.edm(),
                OptimConfig.adam(60, 16, 2e-3).withEvalEma(0.9), 11);
        teacher.train();
        List<Double> losses = teacher.losses();
        double first = losses.subList(0, 10).stream().mapToDouble(Double::doubleValue).average().orElseThrow();
        double last = losses.subList(50, 60).stream().mapToDouble(Double::doubleValue).average().orElseThrow();
        assertTrue(last < 0.7 * first, "EDM loss of the U-Net teacher: first 10 steps " + first + ", last 10 " + last);

        Tensor z = new Rng(5).normal(4, 1, 8, 8).mul((float) GRID.sigmaMax());
        Tensor edm = EdmSampler.heun(GRID, 6).sample(teacher.emaModel().denoiser(), z, (NoiseSource) null);
        assertArrayEquals(new int[] {4, 1, 8, 8}, edm.shape());
        assertTrue(finite(edm), "EDM sampler output is finite");

        Preconditioning cm = Preconditioning.consistency(0.5, GRID.sigmaMin());
        ConsistencyDistillation cd = new ConsistencyDistillation(Preconditioned.fromTeacher(teacher.emaModel(), cm),
                teacher.emaModel().denoiser(), UNetTrainingPipelineTest::squares,
                new ConsistencyDistillation.Config(18, OdeSolver.HEUN, 0.95, Distance.L2, 0f, GRID),
                OptimConfig.adam(4, 8, 1e-4), 12);
        cd.train();
        ConsistencyTraining ct = new ConsistencyTraining(model(net(0f), cm, 2), UNetTrainingPipelineTest::squares,
                new ConsistencyTraining.Config(new CtSchedule(2, 150, 0.9, 4, CtSchedule.Form.PAPER),
                        Distance.PSEUDO_HUBER, Distance.ictHuberC(64), GRID), OptimConfig.adam(4, 8, 1e-4), 13);
        ct.train();
        ImprovedConsistencyTraining ict = new ImprovedConsistencyTraining(model(net(0.1f), cm, 3),
                UNetTrainingPipelineTest::squares,
                new ImprovedConsistencyTraining.Config(IctSchedule.paper(4), Distance.ictHuberC(64)),
                OptimConfig.adam(4, 8, 1e-4), 14);
        ict.train();
        MultistepSampler sampler = new MultistepSampler(GRID, true);
        for (Trainer t : new Trainer[] {cd, ct, ict}) {
            assertTrue(t.losses().stream().allMatch(l -> Double.isFinite(l)), t.phase() + " losses are finite");
            Tensor x = sampler.sample(t.emaModel().denoiser(), z, new double[] {GRID.sigmaMax(), 0.8}, new Rng(6));
            assertArrayEquals(new int[] {4, 1, 8, 8}, x.shape(), t.phase());
            assertTrue(finite(x), t.phase() + " two-step sample is finite");
        }
    }

    @Test
    void ictResumesBitIdenticallyWithTheUNetsDropout(@TempDir Path dir) {
        Preconditioning cm = Preconditioning.consistency(0.5, GRID.sigmaMin());
        ImprovedConsistencyTraining straight = ict(model(net(0.2f), cm, 4));
        assertFalse(straight.model().net().module().rngPositions().isEmpty(), "the U-Net's dropout generators");
        straight.train();

        Path mid = dir.resolve("ict.safetensors");
        ImprovedConsistencyTraining partial = ict(model(net(0.2f), cm, 4));
        partial.listener((phase, step, total, loss) -> {
            if (step == 3) {
                partial.save(mid);
            }
        });
        partial.train();
        // the resumed model is built as the first was: its dropout generators must be the saved ones (seed and stream;
        // the checkpoint refuses others), while its weights come from the file
        ImprovedConsistencyTraining rest = ict(model(net(0.2f), cm, 4));
        rest.model().net().module().namedParameters().values().forEach(p -> p.value().data()[p.value().offset()] += 1f);
        rest.checkpointing(new Checkpointing(mid, 100, true));
        rest.train();
        assertEquals(6, rest.step());
        assertEquals(0f, maxDiff(values(straight.model().net().module().namedParameters()),
                values(rest.model().net().module().namedParameters())), "weights after resuming at step 3");
        assertEquals(0f, maxDiff(values(straight.emaModel().net().module().namedParameters()),
                values(rest.emaModel().net().module().namedParameters())), "EMA weights after resuming at step 3");
    }

    private static ImprovedConsistencyTraining ict(Preconditioned m) {
        return new ImprovedConsistencyTraining(m, UNetTrainingPipelineTest::squares,
                new ImprovedConsistencyTraining.Config(IctSchedule.paper(6), Distance.ictHuberC(64)),
                OptimConfig.adam(6, 4, 1e-3).withEvalEma(0.9), 21);
    }
}
