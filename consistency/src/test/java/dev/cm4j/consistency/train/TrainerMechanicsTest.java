package dev.cm4j.consistency.train;

import dev.cm4j.consistency.model.Preconditioned;
import dev.cm4j.consistency.model.ToyMlpNet;
import static dev.cm4j.consistency.train.TrainingTestSupport.maxDiff;
import static dev.cm4j.consistency.train.TrainingTestSupport.snapshot;
import static dev.cm4j.consistency.train.TrainingTestSupport.values;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.cm4j.autodiff.Var;
import dev.cm4j.consistency.KarrasSchedule;
import dev.cm4j.consistency.model.Preconditioning;
import dev.cm4j.consistency.analytic.GaussianData;
import dev.cm4j.consistency.data.Toy2d;
import dev.cm4j.consistency.sampling.OdeSolver;
import dev.cm4j.consistency.schedule.CtSchedule;
import dev.cm4j.consistency.schedule.IctSchedule;
import dev.cm4j.models.ToyMlp;
import dev.cm4j.models.io.TrainingState;
import dev.cm4j.tensor.Rng;
import dev.cm4j.tensor.Tensor;
import java.nio.file.Files;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Update order, exact resume, NaN handling and settings checks of the training loops. */
class TrainerMechanicsTest {
    private static final ToyMlp.Config NET = new ToyMlp.Config(2, 32, 2, 16, 100, 0f);
    private static final KarrasSchedule GRID = KarrasSchedule.DEFAULT;
    private static final Preconditioning CM = Preconditioning.consistency(0.5, 0.002);

    private static Preconditioned student(long seed) {
        return new Preconditioned(ToyMlpNet.create(NET, new Rng(seed)), CM);
    }

    private static ConsistencyDistillation cd(Preconditioned student, long steps, double mu) {
        // a teacher that is exact for N(0, 0.25 I) data; the toy data differ, which does not matter for mechanics
        return new ConsistencyDistillation(student, new GaussianData(0.5).denoiser(), Toy2d.TWO_MOONS::sample,
                new ConsistencyDistillation.Config(10, OdeSolver.HEUN, mu, Distance.L2, 0f, GRID),
                OptimConfig.adam(steps, 64, 1e-3).withEvalEma(0.9), 7);
    }

    @Test
    void cdUpdatesTheEvalEmaThenTheTargetAfterTheOptimizerStep() {
        Preconditioned s = student(1);
        // give the output layer non-zero weights so that the first step moves every parameter
        s.net().module().namedParameters().values().forEach(p -> {
            if (p.value().size() > 0 && allZero(p.value())) {
                new Rng(3).fillNormal(p.value().data(), p.value().offset(), p.value().size(), 0f, 0.1f);
            }
        });
        ConsistencyDistillation trainer = cd(s, 1, 0.95);
        Map<String, Var> params = s.net().module().namedParameters();
        Map<String, Tensor> before = snapshot(params);
        trainer.train();
        Map<String, Tensor> after = snapshot(params);
        assertTrue(maxDiff(before, after) > 0, "the optimizer moved the weights");
        // theta- = mu theta-_0 + (1 - mu) theta_1 and ema = r ema_0 + (1 - r) theta_1, with theta-_0 = ema_0 = theta_0
        Map<String, Tensor> target = values(trainer.target().net().module().namedParameters());
        Map<String, Tensor> ema = values(trainer.emaModel().net().module().namedParameters());
        Map<String, Tensor> expectTarget = new java.util.LinkedHashMap<>();
        Map<String, Tensor> expectEma = new java.util.LinkedHashMap<>();
        before.forEach((k, t0) -> {
            expectTarget.put(k, t0.mul(0.95f).add(after.get(k).mul(0.05f)));
            expectEma.put(k, t0.mul(0.9f).add(after.get(k).mul(0.1f)));
        });
        assertTrue(maxDiff(expectTarget, target) < 1e-6, "target EMA with mu after the step");
        assertTrue(maxDiff(expectEma, ema) < 1e-6, "evaluation EMA after the step");
    }

    @Test
    void ctUsesMuOfTheStepJustTaken() {
        Preconditioned s = student(2);
        CtSchedule schedule = new CtSchedule(2, 150, 0.9, 100, CtSchedule.Form.CODE);
        ConsistencyTraining trainer = new ConsistencyTraining(s, Toy2d.TWO_MOONS::sample,
                new ConsistencyTraining.Config(schedule, Distance.L2, 0f, GRID), OptimConfig.adam(1, 64, 1e-2), 3);
        Map<String, Tensor> before = snapshot(s.net().module().namedParameters());
        trainer.train();
        Map<String, Tensor> after = snapshot(s.net().module().namedParameters());
        double mu = schedule.mu(0);
        assertEquals(0.81, mu, 1e-12);
        Map<String, Tensor> expect = new java.util.LinkedHashMap<>();
        before.forEach((k, t0) -> expect.put(k, t0.mul((float) mu).add(after.get(k).mul((float) (1 - mu)))));
        assertTrue(maxDiff(expect, values(trainer.target().net().module().namedParameters())) < 1e-6);
    }

    @Test
    void resumeContinuesBitIdentically(@TempDir Path dir) {
        ConsistencyDistillation straight = cd(student(4), 12, 0.9);
        straight.train();

        Path file = dir.resolve("cd.safetensors");
        ConsistencyDistillation first = cd(student(4), 12, 0.9);
        first.checkpointing(new Checkpointing(file, 5, true));
        first.train();
        assertTrue(Files.exists(file));
        ConsistencyDistillation resumed = cd(student(4), 12, 0.9);
        // the final checkpoint holds the finished state: a fresh trainer (same starting weights, its parent) loads
        // exactly the trained weights
        resumed.load(file);
        assertEquals(12, resumed.step());
        assertEquals(0f, maxDiff(values(straight.model().net().module().namedParameters()),
                values(resumed.model().net().module().namedParameters())));

        // a real interruption: save mid-run, then a new trainer picks up from the file and finishes
        Path mid = dir.resolve("mid.safetensors");
        ConsistencyDistillation partial = cd(student(4), 12, 0.9);
        partial.listener((phase, step, total, loss) -> {
            if (step == 5) {
                partial.save(mid);
            }
        });
        partial.train();
        ConsistencyDistillation rest = cd(student(4), 12, 0.9);
        rest.checkpointing(new Checkpointing(mid, 100, true));
        rest.train();
        assertEquals(12, rest.step());
        assertSameWeights(straight, rest);
        // the loss values agree to rounding only: a full float sum (ReduceVector.reduceSum's reduceLanes) may add its
        // lanes in another order once the JIT compiles it; the weights above are bit-identical
        for (int i = 0; i < 7; i++) {
            assertEquals(straight.losses().get(5 + i), rest.losses().get(i), 1e-6 * straight.losses().get(5 + i),
                    "loss of resumed step " + (6 + i));
        }
    }

    @Test
    void aRequestedCheckpointAndAStopSaveWhereAskedAndTheRunContinuesExactly(@TempDir Path dir) {
        ConsistencyDistillation straight = cd(student(5), 10, 0.9);
        straight.train();

        Path file = dir.resolve("cd.safetensors");
        ConsistencyDistillation first = cd(student(5), 10, 0.9);
        // no interval: only the requested save (after step 3) and the stop (after step 7) write checkpoints
        first.checkpointing(new Checkpointing(file, Long.MAX_VALUE, false)).stopAt(7);
        first.listener((phase, step, total, loss) -> {
            if (step == 3) {
                first.requestCheckpoint();
            }
        });
        first.train();
        assertEquals(7, first.step(), "stopped after step 7");
        ConsistencyDistillation atPrev = cd(student(5), 10, 0.9);
        atPrev.load(dir.resolve("cd.safetensors.prev"));
        assertEquals(3, atPrev.step(), "the requested checkpoint, kept as the previous one");

        ConsistencyDistillation rest = cd(student(5), 10, 0.9);
        rest.checkpointing(new Checkpointing(file, Long.MAX_VALUE, true));
        rest.train();
        assertEquals(10, rest.step());
        assertSameWeights(straight, rest);
        assertThrows(IllegalArgumentException.class, () -> cd(student(5), 10, 0.9).stopAt(-1));
    }

    /** The weights, the target network and the EMA of two runs hold the same bits. */
    private static void assertSameWeights(ConsistencyDistillation a, ConsistencyDistillation b) {
        assertEquals(0f, maxDiff(values(a.model().net().module().namedParameters()),
                values(b.model().net().module().namedParameters())), "weights");
        assertEquals(0f, maxDiff(values(a.target().net().module().namedParameters()),
                values(b.target().net().module().namedParameters())), "target weights");
        assertEquals(0f, maxDiff(values(a.emaModel().net().module().namedParameters()),
                values(b.emaModel().net().module().namedParameters())), "EMA weights");
    }

    @Test
    void nanLossStopsWithoutSavingAndNamesTheStepAndTheLastGoodCheckpoint(@TempDir Path dir) throws Exception {
        int[] calls = {0};
        DataSource poisoned = (n, rng) -> {
            Tensor x = Toy2d.TWO_MOONS.sample(n, rng);
            if (calls[0]++ == 3) {
                x.data()[x.offset()] = Float.NaN;
            }
            return x;
        };
        Preconditioned s = student(5);
        EdmTeacherTrainer trainer = new EdmTeacherTrainer(new Preconditioned(s.net(), Preconditioning.edm(0.5)),
                poisoned, EdmTeacherTrainer.Config.edm(), OptimConfig.adam(10, 32, 1e-3), 1);
        Path file = dir.resolve("teacher.safetensors");
        trainer.checkpointing(new Checkpointing(file, 1, false));
        Map<String, Tensor> good = new java.util.LinkedHashMap<>();
        trainer.listener((phase, step, total, loss) -> {
            if (step == 3) {
                good.putAll(snapshot(s.net().module().namedParameters()));
            }
        });
        TrainingDivergedException e = assertThrows(TrainingDivergedException.class, trainer::train);
        assertEquals(3, e.step());
        assertEquals(file, e.checkpoint());
        assertEquals("teacher: loss is NaN at step 3; stopped without saving; the last good checkpoint is " + file
                + " (3 steps done)", e.getMessage());
        // the checkpoint of step 3 is untouched: the NaN step wrote nothing
        assertEquals(3L, Long.parseLong(dev.cm4j.models.io.SafeTensors.read(file).metadata().get("step")));
        EdmTeacherTrainer reloaded = new EdmTeacherTrainer(new Preconditioned(student(8).net(),
                Preconditioning.edm(0.5)), poisoned, EdmTeacherTrainer.Config.edm(), OptimConfig.adam(10, 32, 1e-3), 1);
        reloaded.load(file);
        assertEquals(3, reloaded.step());
        assertEquals(0f, maxDiff(good, values(reloaded.model().net().module().namedParameters())));
    }

    /** A teacher trainer whose update of step {@code poisonAt} leaves a NaN in one parameter. */
    private static Trainer poisonedUpdate(Preconditioned s, long poisonAt, Runnable beforePoison) {
        return new Trainer("teacher", s, Toy2d.TWO_MOONS::sample, OptimConfig.adam(10, 32, 1e-3), 1) {
            @Override
            protected Var loss(long k) {
                Tensor x = data.batch(32, rng).x();
                float[] sigma = new float[32];
                java.util.Arrays.fill(sigma, 1f);
                return dev.cm4j.autodiff.Losses.msePerSample(model.forward(x, sigma), Var.constant(x)).mean();
            }

            @Override
            protected void afterUpdate(long k) {
                if (k == poisonAt) {
                    beforePoison.run();
                    Tensor w = model.net().module().namedParameters().values().iterator().next().value();
                    w.data()[w.offset() + 5] = Float.POSITIVE_INFINITY;
                }
            }

            @Override
            protected String settings() {
                return "poisoned at " + poisonAt;
            }
        };
    }

    @Test
    void aNonFiniteParameterStopsBeforeTheNextSaveNamingTheTensorAndIndex(@TempDir Path dir) throws Exception {
        Preconditioned s = new Preconditioned(student(6).net(), Preconditioning.edm(0.5));
        Path file = dir.resolve("teacher.safetensors");
        byte[][] kept = new byte[1][];
        Trainer trainer = poisonedUpdate(s, 2, () -> {
            try {
                kept[0] = Files.readAllBytes(file);
            } catch (java.io.IOException e) {
                throw new UncheckedIOException(e);
            }
        });
        trainer.checkpointing(new Checkpointing(file, 1, false));
        TrainingDivergedException e = assertThrows(TrainingDivergedException.class, trainer::train);
        String first = s.net().module().namedParameters().keySet().iterator().next();
        assertEquals(2, e.step());
        assertEquals("teacher: after the update, tensor '" + first + "' is Infinity at index 5"
                + (s.net().module().namedParameters().get(first).value().shape().length > 1 ? " [0, 5]" : "")
                + " at step 2; stopped without saving; the last good checkpoint is " + file + " (2 steps done)",
                e.getMessage());
        // the checkpoint of step 2 is byte for byte the one the listener saw before the poisoned update
        assertTrue(java.util.Arrays.equals(kept[0], Files.readAllBytes(file)));
        assertEquals("2", dev.cm4j.models.io.SafeTensors.read(file).metadata().get("step"));
        assertTrue(Files.exists(dev.cm4j.models.io.CheckpointFiles.prevPath(file)));
    }

    @Test
    void aCheckpointOfOtherSettingsIsRefused(@TempDir Path dir) {
        Path file = dir.resolve("cd.safetensors");
        ConsistencyDistillation a = cd(student(1), 2, 0.9);
        a.train();
        a.save(file);
        ConsistencyDistillation b = cd(student(1), 2, 0.5);
        UncheckedIOException e = assertThrows(UncheckedIOException.class, () -> b.load(file));
        assertTrue(e.getMessage().contains(file.toString())
                && e.getMessage().contains("is a checkpoint of another run") && e.getMessage().contains("setting"
                + " 'settings': saved '") && e.getMessage().contains("mu=0.5"), e.getMessage());
        // another role: a CD checkpoint copied over a teacher's is not loaded as the teacher
        EdmTeacherTrainer teacher = new EdmTeacherTrainer(new Preconditioned(student(1).net(),
                Preconditioning.edm(0.5)), Toy2d.TWO_MOONS::sample, EdmTeacherTrainer.Config.edm(),
                OptimConfig.adam(2, 64, 1e-3), 7);
        e = assertThrows(UncheckedIOException.class, () -> teacher.load(file));
        assertTrue(e.getMessage().contains("role: saved 'cd', this run 'teacher'"), e.getMessage());
        // another parent (the teacher a student distils) and a setting the trainer cannot see (the data set)
        ConsistencyDistillation c = cd(student(1), 2, 0.9);
        c.parent("feed").setting("data", "moons");
        e = assertThrows(UncheckedIOException.class, () -> c.load(file));
        assertTrue(e.getMessage().contains("setting 'data': saved (none), this run 'moons'; parent: saved '"
                + TrainingState.contentHash(student(1).net().module().stateDict()) + "', this run 'feed'"),
                e.getMessage());
        // a student that starts from other weights (another teacher) is refused on its parent without being told
        ConsistencyDistillation stranger = cd(student(2), 2, 0.9);
        e = assertThrows(UncheckedIOException.class, () -> stranger.load(file));
        assertTrue(e.getMessage().contains("(1 difference): parent: saved '"), e.getMessage());
    }

    @Test
    void learningRateWarmsUpThenFollowsTheCosine() {
        ConsistencyDistillation constant = cd(student(1), 100, 0.9);
        assertEquals(1e-3, constant.learningRate(0), 1e-15);
        assertEquals(1e-3, constant.learningRate(99), 1e-15);
        ConsistencyDistillation decayed = new ConsistencyDistillation(student(1), new GaussianData(0.5).denoiser(),
                Toy2d.TWO_MOONS::sample, new ConsistencyDistillation.Config(10, OdeSolver.HEUN, 0.9, Distance.L2, 0f,
                GRID), OptimConfig.adam(100, 64, 1e-3).withWarmup(10).withCosineDecay(0.1), 7);
        assertEquals(1e-4, decayed.learningRate(0), 1e-15, "first warm-up step: 1/10 of the rate");
        assertEquals(0.55e-3, decayed.learningRate(50), 1e-12, "half way down the cosine to 1e-4");
        assertEquals(1e-4, decayed.learningRate(100), 1e-12);
    }

    @Test
    void gradientNormsAreRecordedAndABoundScalesOnlyTheStepsAboveIt() {
        ConsistencyDistillation plain = cd(student(1), 6, 0.9);
        java.util.List<Double> heard = new java.util.ArrayList<>();
        java.util.List<Long> heardSteps = new java.util.ArrayList<>();
        plain.listener(new TrainingListener() {
            @Override
            public void onStep(String phase, long step, long total, double loss) {
                throw new AssertionError("the trainer reports the norm with the loss");
            }

            @Override
            public void onStep(String phase, long step, long total, double loss, double gradNorm) {
                heardSteps.add(step);
                heard.add(gradNorm);
            }
        });
        plain.train();
        assertEquals(6, plain.gradNorms().size());
        assertEquals(plain.gradNorms(), heard, "the listener hears each step's norm");
        assertEquals(java.util.List.of(1L, 2L, 3L, 4L, 5L, 6L), heardSteps);
        assertEquals(0, plain.clippedSteps());
        double smallest = plain.gradNorms().stream().mapToDouble(Double::doubleValue).min().orElseThrow();
        double largest = plain.gradNorms().stream().mapToDouble(Double::doubleValue).max().orElseThrow();
        assertTrue(smallest > 0, "every step had a gradient: " + plain.gradNorms());

        // a bound above every norm: the same run, bit for bit
        ConsistencyDistillation loose = cdWithBound(6, 2 * largest);
        loose.train();
        assertEquals(0, loose.clippedSteps());
        assertEquals(plain.gradNorms(), loose.gradNorms());
        assertEquals(0f, maxDiff(values(plain.model().net().module().namedParameters()),
                values(loose.model().net().module().namedParameters())));

        // a bound below every norm: each step is scaled; the first norm (before clipping) is the same, the weights
        // differ from the second step on (Adam's first update does not depend on the gradient's scale)
        ConsistencyDistillation tight = cdWithBound(6, smallest / 4);
        tight.train();
        assertEquals(6, tight.clippedSteps());
        assertEquals(plain.gradNorms().get(0), tight.gradNorms().get(0));
        assertTrue(maxDiff(values(plain.model().net().module().namedParameters()),
                values(tight.model().net().module().namedParameters())) > 1e-6, "clipping changed the updates");
    }

    private static ConsistencyDistillation cdWithBound(long steps, double bound) {
        return new ConsistencyDistillation(student(1), new GaussianData(0.5).denoiser(), Toy2d.TWO_MOONS::sample,
                new ConsistencyDistillation.Config(10, OdeSolver.HEUN, 0.9, Distance.L2, 0f, GRID),
                OptimConfig.adam(steps, 64, 1e-3).withEvalEma(0.9).withMaxGradNorm(bound), 7);
    }

    @Test
    void aGradientBoundAppearsInTheSettingsOnlyWhenSet() {
        OptimConfig plain = OptimConfig.adam(10, 8, 1e-3);
        // the text checkpoints saved before the bound existed hold
        assertEquals("OptimConfig[steps=10, batch=8, lr=0.001, warmupSteps=0, optimizer=ADAM, beta1=0.9, beta2=0.999, "
                + "evalEmaRate=0.0, finalLrFraction=1.0]", plain.toString());
        assertEquals(plain.toString().replace("]", ", maxGradNorm=2.5]"), plain.withMaxGradNorm(2.5).toString());
        assertEquals(plain, new OptimConfig(10, 8, 1e-3, 0, OptimConfig.Optimizer.ADAM, 0.9, 0.999, 0, 1));
    }

    @Test
    void badSettingsGiveClearErrors() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> new ConsistencyDistillation.Config(1, OdeSolver.HEUN, 0.9, Distance.L2, 0f, GRID));
        assertTrue(e.getMessage().contains("N >= 2"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class,
                () -> new ConsistencyDistillation.Config(18, OdeSolver.HEUN, -0.5, Distance.L2, 0f, GRID));
        assertTrue(e.getMessage().contains("mu"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> OptimConfig.adam(10, 8, -1e-3));
        assertTrue(e.getMessage().contains("learning rate"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> OptimConfig.adam(10, 8, 1e-3).withCosineDecay(-1));
        assertTrue(e.getMessage().contains("fraction"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> OptimConfig.adam(10, 8, 1e-3).withEvalEma(-0.1));
        assertTrue(e.getMessage().contains("EMA rate"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> OptimConfig.adam(10, 8, 1e-3).withMaxGradNorm(-1));
        assertTrue(e.getMessage().contains("gradient norm bound") && e.getMessage().contains("-1.0"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> new KarrasSchedule(1.0, 1.0, 7));
        assertTrue(e.getMessage().contains("sigmaMin < sigmaMax"), e.getMessage());
        // a consistency model whose epsilon is not the grid's sigmaMin would break f(x, eps) = x
        e = assertThrows(IllegalArgumentException.class, () -> new ImprovedConsistencyTraining(
                new Preconditioned(ToyMlpNet.create(NET, new Rng(1)), Preconditioning.consistency(0.5, 0.01)),
                Toy2d.TWO_MOONS::sample, new ImprovedConsistencyTraining.Config(IctSchedule.paper(10), 0.001f),
                OptimConfig.adam(10, 8, 1e-3), 1));
        assertTrue(e.getMessage().contains("epsilon"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> new EdmTeacherTrainer(student(1),
                Toy2d.TWO_MOONS::sample, EdmTeacherTrainer.Config.edm(), OptimConfig.adam(10, 8, 1e-3), 1));
        assertTrue(e.getMessage().contains("epsilon = 0"), e.getMessage());
    }

    private static boolean allZero(Tensor t) {
        for (int i = 0; i < t.size(); i++) {
            if (t.data()[t.offset() + i] != 0) {
                return false;
            }
        }
        return true;
    }
}
