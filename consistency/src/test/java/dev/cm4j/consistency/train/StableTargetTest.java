package dev.cm4j.consistency.train;

import static dev.cm4j.consistency.train.TrainingTestSupport.maxDiff;
import static dev.cm4j.consistency.train.TrainingTestSupport.values;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.cm4j.consistency.KarrasSchedule;
import dev.cm4j.consistency.PerSample;
import dev.cm4j.consistency.data.Toy2d;
import dev.cm4j.consistency.model.Preconditioned;
import dev.cm4j.consistency.model.Preconditioning;
import dev.cm4j.consistency.model.ToyMlpNet;
import dev.cm4j.consistency.schedule.IctSchedule;
import dev.cm4j.consistency.train.ImprovedConsistencyTraining.Config;
import dev.cm4j.consistency.train.ImprovedConsistencyTraining.Target;
import dev.cm4j.models.ToyMlp;
import dev.cm4j.tensor.Rng;
import dev.cm4j.tensor.Tensor;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The stable-target-field estimate of iCT's target pair ({@link StableTarget}) and its option in the trainer. */
class StableTargetTest {
    private static final ToyMlp.Config NET = new ToyMlp.Config(2, 32, 2, 16, 10, 0f);
    private static final Preconditioning CM = Preconditioning.consistency(0.5, KarrasSchedule.DEFAULT.sigmaMin());

    @Test
    void weightsAndShiftMatchTheBruteForceFormula() {
        Rng rng = new Rng(3);
        for (int trial = 0; trial < 20; trial++) {
            int batch = 1 + trial % 5;
            int refs = batch + trial % 4;
            int d = 1 + trial % 3;
            Tensor ref = rng.normal(refs, d);
            // the batch is the first `batch` references, as the trainer passes them
            Tensor x = Tensor.wrap(java.util.Arrays.copyOf(ref.data(), batch * d), new int[] {batch, d});
            float[] t = new float[batch];
            for (int b = 0; b < batch; b++) {
                t[b] = (float) Math.exp(rng.nextDouble() * 4 - 2.5);
            }
            Tensor xt = PerSample.combine("test", x, PerSample.fill(batch, 1), rng.normal(batch, d), t);
            boolean labelled = trial % 2 == 1;
            int[] refLabels = labelled ? new int[refs] : null;
            if (labelled) {
                for (int j = 0; j < refs; j++) {
                    refLabels[j] = j % 2;
                }
            }
            int[] labels = labelled ? java.util.Arrays.copyOf(refLabels, batch) : null;
            double[] shift = StableTarget.shift(x, xt, t, ref, labels, refLabels);
            for (int b = 0; b < batch; b++) {
                // brute force: exp of the plain logits (no max subtracted; they are moderate here), normalised
                double[] w = new double[refs];
                double sum = 0;
                for (int j = 0; j < refs; j++) {
                    if (labelled && refLabels[j] != labels[b]) {
                        continue;
                    }
                    double d2 = 0;
                    for (int e = 0; e < d; e++) {
                        double diff = (double) xt.data()[b * d + e] - ref.data()[j * d + e];
                        d2 += diff * diff;
                    }
                    w[j] = Math.exp(-d2 / (2.0 * t[b] * t[b]));
                    sum += w[j];
                }
                double[] got = StableTarget.weights(xt, t, ref, labels, refLabels, b);
                for (int j = 0; j < refs; j++) {
                    w[j] /= sum;
                    assertEquals(w[j], got[j], 1e-12 * Math.max(1, w[j]), "weight " + b + "," + j + " of trial "
                            + trial);
                }
                for (int e = 0; e < d; e++) {
                    double expected = 0;
                    for (int j = 0; j < refs; j++) {
                        expected += w[j] * ((double) ref.data()[j * d + e] - x.data()[b * d + e]);
                    }
                    assertEquals(expected, shift[b * d + e], 1e-12, "shift " + b + "," + e + " of trial " + trial);
                }
            }
        }
    }

    @Test
    void largeNoiseAveragesOverTheReferences() {
        Tensor ref = Tensor.wrap(new float[] {-1, 0, 1, 0, 0, 2}, new int[] {3, 2});
        Tensor x = Tensor.wrap(new float[] {-1, 0}, new int[] {1, 2});
        float[] t = {1e4f};
        double[] w = StableTarget.weights(x, t, ref, null, null, 0);
        for (double v : w) {
            assertEquals(1.0 / 3, v, 1e-6);
        }
        double[] shift = StableTarget.shift(x, x, t, ref, null, null);
        // mean of the references (0, 2/3) minus x (-1, 0)
        assertEquals(1, shift[0], 1e-6);
        assertEquals(2.0 / 3, shift[1], 1e-6);
    }

    @Test
    void aBatchOfOneOrFarApartSamplesAtSmallNoiseGiveIctsPairExactly() {
        Rng rng = new Rng(5);
        // far apart: samples 10 apart, t up to 0.05: every other weight is below exp(-10^4) and underflows
        int batch = 6;
        float[] xs = new float[batch * 2];
        for (int b = 0; b < batch; b++) {
            xs[2 * b] = 10 * b;
            xs[2 * b + 1] = -10 * b + 0.3f;
        }
        Tensor x = Tensor.wrap(xs, new int[] {batch, 2});
        Tensor z = rng.normal(batch, 2);
        float[] t = {0.05f, 0.01f, 0.002f, 0.03f, 0.05f, 0.004f};
        float[] s = new float[batch];
        for (int b = 0; b < batch; b++) {
            s[b] = t[b] * 0.7f;
        }
        Tensor xt = PerSample.combine("test", x, PerSample.fill(batch, 1), z, t);
        Tensor ict = PerSample.combine("test", x, PerSample.fill(batch, 1), z, s);
        Tensor stf = StableTarget.targetInput(ict, StableTarget.shift(x, xt, t, x, null, null), t, s);
        assertArrayEquals(ict.data(), stf.data(), "far-apart samples at small t");
        // a batch of one at any noise level
        for (float level : new float[] {0.002f, 1f, 80f}) {
            Tensor one = rng.normal(1, 2);
            Tensor zOne = rng.normal(1, 2);
            float[] tOne = {level};
            float[] sOne = {level / 2};
            Tensor xtOne = PerSample.combine("test", one, new float[] {1}, zOne, tOne);
            Tensor ictOne = PerSample.combine("test", one, new float[] {1}, zOne, sOne);
            Tensor stfOne = StableTarget.targetInput(ictOne,
                    StableTarget.shift(one, xtOne, tOne, one, null, null), tOne, sOne);
            assertArrayEquals(ictOne.data(), stfOne.data(), "a batch of one at t = " + level);
        }
    }

    @Test
    void trainingWithABatchOfOneIsIctExactly() {
        ImprovedConsistencyTraining ict = trainer(new Config(IctSchedule.toy2d(8), 7.6e-4f), 1);
        ImprovedConsistencyTraining stf = trainer(new Config(IctSchedule.toy2d(8), 7.6e-4f)
                .withTarget(Target.BATCH_POSTERIOR, 0), 1);
        ict.train();
        stf.train();
        assertEquals(ict.losses(), stf.losses());
        assertEquals(0f, maxDiff(values(ict.model().net().module().namedParameters()),
                values(stf.model().net().module().namedParameters())), "weights after 8 steps");
        // a larger batch does change the run: the option is not a no-op
        ImprovedConsistencyTraining a = trainer(new Config(IctSchedule.toy2d(4), 7.6e-4f), 64);
        ImprovedConsistencyTraining b = trainer(new Config(IctSchedule.toy2d(4), 7.6e-4f)
                .withTarget(Target.BATCH_POSTERIOR, 0), 64);
        a.train();
        b.train();
        assertTrue(!a.losses().equals(b.losses()), "batch 64: " + a.losses() + " vs " + b.losses());
    }

    @Test
    void theTargetRoundTripsThroughCheckpoints(@TempDir Path dir) {
        Config config = new Config(IctSchedule.toy2d(6), 7.6e-4f).withTarget(Target.BATCH_POSTERIOR, 16);
        ImprovedConsistencyTraining straight = trainer(config, 32);
        straight.train();

        Path mid = dir.resolve("ict.safetensors");
        ImprovedConsistencyTraining partial = trainer(config, 32);
        partial.stopAt(3).checkpointing(new Checkpointing(mid, 100, false));
        partial.train();
        ImprovedConsistencyTraining rest = trainer(config, 32);
        rest.checkpointing(new Checkpointing(mid, 100, true));
        rest.train();
        assertEquals(6, rest.step());
        assertEquals(straight.losses().subList(3, 6), rest.losses());
        assertEquals(0f, maxDiff(values(straight.model().net().module().namedParameters()),
                values(rest.model().net().module().namedParameters())), "weights after resuming at step 3");

        // the paper's target, or another number of extra references, is another run
        for (Config other : List.of(config.withTarget(Target.SAMPLE, 0),
                config.withTarget(Target.BATCH_POSTERIOR, 8))) {
            ImprovedConsistencyTraining wrong = trainer(other, 32);
            UncheckedIOException e = assertThrows(UncheckedIOException.class, () -> wrong.load(mid));
            assertTrue(e.getMessage().contains("is a checkpoint of another run")
                    && e.getMessage().contains("target=BATCH_POSTERIOR, extraReferences=16"), e.getMessage());
        }
    }

    @Test
    void thePapersTargetKeepsTheSettingsTextOfEarlierCheckpoints() {
        IctSchedule s = IctSchedule.paper(10);
        Config c = new Config(s, 0.03f);
        assertEquals(Target.SAMPLE, c.target());
        assertEquals("Config[schedule=" + s + ", huberC=0.03]", c.toString());
        assertEquals("Config[schedule=" + s + ", huberC=0.03, target=BATCH_POSTERIOR, extraReferences=4]",
                c.withTarget(Target.BATCH_POSTERIOR, 4).toString());
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> c.withTarget(Target.SAMPLE, 4));
        assertTrue(e.getMessage().contains("0 for the target SAMPLE"), e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> c.withTarget(Target.BATCH_POSTERIOR, -1));
        assertThrows(IllegalArgumentException.class, () -> c.withTarget(null, 0));
    }

    private static ImprovedConsistencyTraining trainer(Config config, int batch) {
        return new ImprovedConsistencyTraining(new Preconditioned(ToyMlpNet.create(NET, new Rng(11)), CM),
                Toy2d.CHECKERBOARD::sample, config.withSchedule(config.schedule().withGrid(KarrasSchedule.DEFAULT)),
                OptimConfig.adam(config.schedule().totalSteps(), batch, 2e-3).withEvalEma(0.9), 13);
    }
}
