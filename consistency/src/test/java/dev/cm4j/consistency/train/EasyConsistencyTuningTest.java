package dev.cm4j.consistency.train;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.cm4j.autodiff.Var;
import dev.cm4j.consistency.PerSample;
import dev.cm4j.consistency.data.Toy2d;
import dev.cm4j.consistency.model.Preconditioned;
import dev.cm4j.consistency.model.Preconditioning;
import dev.cm4j.consistency.model.ToyMlpNet;
import dev.cm4j.consistency.schedule.EctSchedule;
import dev.cm4j.models.ToyMlp;
import dev.cm4j.models.io.TrainingState;
import dev.cm4j.tensor.Rng;
import dev.cm4j.tensor.Tensor;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** The ECT loss per sample, its shared noise and masks, the data target where r = 0, and a seeded run. */
class EasyConsistencyTuningTest {
    /** An MLP with random weights everywhere (the output layer too), so that F reaches the output. */
    private static Preconditioned randomModel(float dropout, Preconditioning p) {
        ToyMlp mlp = new ToyMlp(new ToyMlp.Config(2, 32, 2, 8, 10, dropout), new Rng(1));
        mlp.net().namedParameters().values().forEach(v -> new Rng(2).fillNormal(v.value().data(), v.value().offset(),
                v.value().size(), 0f, 0.3f));
        mlp.train(true);
        return new Preconditioned(new ToyMlpNet(mlp), p);
    }

    @Test
    void lossIsTheWeightedDistanceToTheTargetAndTheDataWhereRIsZero() {
        Preconditioned model = randomModel(0, Preconditioning.edm(0.5));
        int batch = 6;
        Tensor x = new Rng(3).normal(batch, 2);
        Tensor z = new Rng(4).normal(batch, 2);
        float[] t = {0.5f, 1.0f, 3.0f, 10f, 0.01f, 80f};
        float[] r = {0f, 0.8f, 0f, 9f, 0.005f, 40f};
        float[] w = {1 / 0.5f, 1 / 0.2f, 1 / 3f, 1f, 200f, 1 / 40f};
        float c = 0.003f;
        double loss = EasyConsistencyTuning.pairLoss(model, x, null, z, t, r, w, c).item();

        Tensor online = model.forward(PerSample.combine("test", x, PerSample.fill(batch, 1), z, t), t).value();
        double expected = 0;
        for (int b = 0; b < batch; b++) {
            float[] xb = {x.data()[2 * b], x.data()[2 * b + 1]};
            float[] target;
            if (r[b] == 0) {
                target = xb; // the boundary f(x, 0) = x: the data point itself
            } else {
                Tensor in = Tensor.wrap(new float[] {xb[0] + r[b] * z.data()[2 * b], xb[1] + r[b] * z.data()[2 * b + 1]},
                        new int[] {1, 2});
                target = model.forward(in, new float[] {r[b]}).value().data();
            }
            double dx = online.data()[2 * b] - target[0];
            double dy = online.data()[2 * b + 1] - target[1];
            expected += w[b] * (Math.sqrt(dx * dx + dy * dy + c * c) - c);
        }
        expected /= batch;
        assertEquals(expected, loss, 1e-5 * expected, "mean_b w_b (sqrt(|f(x_t,t) - target|^2 + c^2) - c)");
    }

    @Test
    void targetAndOnlinePassesShareNoiseAndDropoutMasks() {
        Preconditioned model = randomModel(0.5f, Preconditioning.edm(0.5));
        int batch = 64;
        Tensor x = new Rng(3).normal(batch, 2);
        Tensor z = new Rng(4).normal(batch, 2);
        float[] t = PerSample.fill(batch, 1.3);
        // r = t: the same input (one z) and the same masks give the same output, so the distance is 0
        Var loss = EasyConsistencyTuning.pairLoss(model, x, null, z, t, t, PerSample.fill(batch, 1), 0f);
        assertEquals(0f, loss.item(), "loss of two passes with one noise draw and one mask");
    }

    private static EasyConsistencyTuning trainer(Preconditioned teacher, long seed, int steps) {
        EasyConsistencyTuning.Config config = EasyConsistencyTuning.Config.preset("toy2d", steps);
        return new EasyConsistencyTuning(Preconditioned.fromTeacher(teacher, teacher.preconditioning()),
                Toy2d.CHECKERBOARD::sample, config, OptimConfig.adam(steps, 64, 3e-4).withEvalEma(0.99), seed);
    }

    @Test
    void sameSeedGivesTheSameWeightsAndAnotherSeedOthers() {
        Preconditioned teacher = randomModel(0, Preconditioning.edm(0.5));
        // 30 steps over 6 stages of 5: every stage's mapping is used
        EasyConsistencyTuning a = trainer(teacher, 11, 30);
        EasyConsistencyTuning b = trainer(teacher, 11, 30);
        EasyConsistencyTuning c = trainer(teacher, 12, 30);
        a.train();
        b.train();
        c.train();
        Map<String, Tensor> wa = TrainingTestSupport.values(a.model().net().module().namedParameters());
        Map<String, Tensor> wb = TrainingTestSupport.values(b.model().net().module().namedParameters());
        Map<String, Tensor> wc = TrainingTestSupport.values(c.model().net().module().namedParameters());
        assertEquals(0f, TrainingTestSupport.maxDiff(wa, wb), "same seed, same weights");
        assertEquals(a.losses(), b.losses());
        assertTrue(TrainingTestSupport.maxDiff(wa, wc) > 1e-6, "another seed, other weights");
        Map<String, Tensor> start = TrainingTestSupport.values(teacher.net().module().namedParameters());
        assertTrue(TrainingTestSupport.maxDiff(wa, start) > 1e-6, "training moved the weights");
    }

    @Test
    void startsFromTheTeacherAndRecordsItAsParent() {
        Preconditioned teacher = randomModel(0, Preconditioning.edm(0.5));
        EasyConsistencyTuning ect = trainer(teacher, 1, 10);
        assertEquals(TrainingState.contentHash(teacher.net().module().stateDict()), ect.identity().parent());
        Tensor x = new Rng(5).normal(8, 2);
        float[] sigma = {0.01f, 0.1f, 0.5f, 1, 2, 5, 20, 80};
        Tensor f = ect.model().forward(x, sigma).value();
        Tensor d = teacher.forward(x, sigma).value();
        for (int i = 0; i < f.size(); i++) {
            assertEquals(d.data()[i], f.data()[i], 0f, "at step 0 the model is the teacher");
        }
    }

    @Test
    void weightings() {
        assertEquals(2.0, EasyConsistencyTuning.Weighting.INVERSE_GAP.of(2, 1.5, 0.5), 1e-15);
        assertEquals(0.25 + 4, EasyConsistencyTuning.Weighting.EDM.of(2, 1.5, 0.5), 1e-15);
        assertEquals(0.01f, EasyConsistencyTuning.Config.preset("toy2d", 100).huberC());
        assertEquals(0f, EasyConsistencyTuning.Config.preset("paper", 100).huberC());
        assertEquals(EctSchedule.paper(100), EasyConsistencyTuning.Config.preset("paper", 100).schedule());
    }

    @Test
    void badSettingsAreRefusedWithTheirValue() {
        EasyConsistencyTuning.Config config = EasyConsistencyTuning.Config.preset("paper", 10);
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> config.withHuberC(-0.1f));
        assertTrue(e.getMessage().contains("c = -0.1"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> config.withWeighting(null));
        assertTrue(e.getMessage().contains("weighting"), e.getMessage());
        // an eps-shifted consistency model has no f(x, 0) = x boundary for the r = 0 targets
        Preconditioned shifted = randomModel(0, Preconditioning.consistency(0.5, 0.002));
        e = assertThrows(IllegalArgumentException.class, () -> new EasyConsistencyTuning(shifted,
                Toy2d.CHECKERBOARD::sample, config, OptimConfig.adam(10, 8, 1e-4), 0));
        assertTrue(e.getMessage().contains("epsilon = 0.002"), e.getMessage());
    }

    private static EasyConsistencyTuning trainer(Preconditioned teacher, EasyConsistencyTuning.Config config,
                                                 int batch) {
        return new EasyConsistencyTuning(Preconditioned.fromTeacher(teacher, teacher.preconditioning()),
                Toy2d.CHECKERBOARD::sample, config, OptimConfig.adam(12, batch, 3e-4)
                .withEvalEma(0.99), 7);
    }

    @Test
    void theStableTargetWithABatchOfOneIsThePapersTargetExactly() {
        Preconditioned teacher = randomModel(0, Preconditioning.edm(0.5));
        EasyConsistencyTuning.Config paper = EasyConsistencyTuning.Config.preset("toy2d", 12);
        EasyConsistencyTuning.Config stable = paper.withTarget(ImprovedConsistencyTraining.Target.BATCH_POSTERIOR, 0);
        // batch 1: the own sample is the only reference, so x0_hat = x and every target (r = 0 rows included) is the
        // paper's
        EasyConsistencyTuning a = trainer(teacher, paper, 1);
        EasyConsistencyTuning b = trainer(teacher, stable, 1);
        a.train();
        b.train();
        assertEquals(a.losses(), b.losses());
        assertEquals(0f, TrainingTestSupport.maxDiff(
                TrainingTestSupport.values(a.model().net().module().namedParameters()),
                TrainingTestSupport.values(b.model().net().module().namedParameters())), "weights after 12 steps");
        // batch 64 (and extra references): another run
        for (EasyConsistencyTuning.Config other : new EasyConsistencyTuning.Config[] {stable,
                paper.withTarget(ImprovedConsistencyTraining.Target.BATCH_POSTERIOR, 32)}) {
            EasyConsistencyTuning c = trainer(teacher, paper, 64);
            EasyConsistencyTuning d = trainer(teacher, other, 64);
            c.train();
            d.train();
            assertTrue(!c.losses().equals(d.losses()), other + ": " + c.losses() + " vs " + d.losses());
            for (double v : d.losses()) {
                assertTrue(Double.isFinite(v), other + ": finite losses " + d.losses());
            }
        }
    }

    @Test
    void thePapersTargetKeepsTheSettingsTextOfEarlierCheckpoints() {
        EctSchedule s = EctSchedule.paper(10);
        EasyConsistencyTuning.Config c = new EasyConsistencyTuning.Config(s, 0f,
                EasyConsistencyTuning.Weighting.INVERSE_GAP);
        assertEquals("Config[schedule=" + s + ", huberC=0.0, weighting=INVERSE_GAP]", c.toString());
        assertEquals("Config[schedule=" + s + ", huberC=0.0, weighting=INVERSE_GAP, target=BATCH_POSTERIOR, "
                + "extraReferences=4]", c.withTarget(ImprovedConsistencyTraining.Target.BATCH_POSTERIOR, 4).toString());
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> c.withTarget(ImprovedConsistencyTraining.Target.SAMPLE, 4));
        assertTrue(e.getMessage().contains("0 for the target SAMPLE"), e.getMessage());
        assertThrows(IllegalArgumentException.class,
                () -> c.withTarget(ImprovedConsistencyTraining.Target.BATCH_POSTERIOR, -1));
        assertThrows(IllegalArgumentException.class, () -> c.withTarget(null, 0));
    }
}
