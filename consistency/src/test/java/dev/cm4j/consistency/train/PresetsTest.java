package dev.cm4j.consistency.train;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.cm4j.consistency.KarrasSchedule;
import dev.cm4j.consistency.sampling.OdeSolver;
import dev.cm4j.consistency.schedule.CtSchedule;
import dev.cm4j.consistency.schedule.IctSchedule;
import org.junit.jupiter.api.Test;

/** The trainers' named presets reproduce the released settings, and withX changes one field. */
class PresetsTest {
    @Test
    void distillationPresets() {
        assertEquals(new ConsistencyDistillation.Config(18, OdeSolver.HEUN, 0, Distance.L2, 0f, KarrasSchedule.DEFAULT),
                ConsistencyDistillation.Config.preset("cifar10-l2"));
        ConsistencyDistillation.Config imageNet = ConsistencyDistillation.Config.preset("imagenet64-l2");
        assertEquals(40, imageNet.n());
        assertEquals(0.95, imageNet.mu());
        assertEquals(imageNet, ConsistencyDistillation.Config.preset("lsun256-l2"));
        assertEquals(OdeSolver.EULER, imageNet.withSolver(OdeSolver.EULER).solver());
        assertEquals(imageNet.withMu(0).withN(18), ConsistencyDistillation.Config.cifar10L2());
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> ConsistencyDistillation.Config.preset("cifar10-lpips"));
        assertTrue(e.getMessage().contains("\"cifar10-lpips\"") && e.getMessage().contains("cifar10-l2, "
                + "imagenet64-l2, lsun256-l2, toy2d"), e.getMessage());
    }

    @Test
    void trainingPresets() {
        ConsistencyTraining.Config ct = ConsistencyTraining.Config.preset("imagenet64", 800_000, 64 * 64 * 3);
        assertEquals(CtSchedule.imageNet64(800_000), ct.schedule());
        assertEquals(0.00054 * Math.sqrt(64 * 64 * 3), ct.huberC(), 1e-7);
        ImprovedConsistencyTraining.Config ict = ImprovedConsistencyTraining.Config.preset("paper", 400_000, 3072);
        assertEquals(IctSchedule.paper(400_000), ict.schedule());
        assertEquals(0.0299, ict.huberC(), 1e-4);
        assertEquals(new IctSchedule(10, 640, 6000, -1.1, 4.0, KarrasSchedule.DEFAULT), IctSchedule.preset("toy2d", 6000));
        assertEquals(3.0, IctSchedule.paper(10).withPStd(3.0).pStd());
        assertEquals(EdmTeacherTrainer.Config.edm(), EdmTeacherTrainer.Config.preset("edm"));
        assertEquals(-1.0, EdmTeacherTrainer.Config.edm().withPMean(-1.0).pMean());
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> IctSchedule.preset("ict", 10));
        assertEquals("IctSchedule: no preset named \"ict\"; the presets are paper, toy2d", e.getMessage());
        assertEquals(OptimConfig.Optimizer.RADAM, OptimConfig.radam(10, 8, 1e-4).optimizer());
        assertEquals(64, OptimConfig.adam(10, 8, 1e-4).withBatch(64).batch());
        assertEquals(2e-4, OptimConfig.adam(10, 8, 1e-4).withLr(2e-4).lr());
    }
}
