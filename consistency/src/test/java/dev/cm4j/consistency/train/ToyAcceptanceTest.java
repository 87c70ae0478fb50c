package dev.cm4j.consistency.train;

import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.cm4j.consistency.KarrasSchedule;
import dev.cm4j.consistency.Preconditioning;
import dev.cm4j.consistency.data.Toy2d;
import dev.cm4j.consistency.metrics.SlicedWasserstein;
import dev.cm4j.consistency.sampling.Denoiser;
import dev.cm4j.consistency.sampling.EdmSampler;
import dev.cm4j.consistency.sampling.MultistepSampler;
import dev.cm4j.consistency.sampling.OdeSolver;
import dev.cm4j.consistency.sampling.TernarySearch;
import dev.cm4j.consistency.schedule.IctSchedule;
import dev.cm4j.models.ToyMlp;
import dev.cm4j.tensor.Rng;
import dev.cm4j.tensor.Tensor;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The acceptance criteria on a small fixed-seed configuration (Swiss roll, a 3 x 64 MLP, batch 256): consistency
 * distillation reaches 1.5x the teacher's sliced Wasserstein distance in one step and 1.25x in two, improved
 * consistency training from scratch 2x in one step, each far below an untrained consistency model.
 */
class ToyAcceptanceTest {
    private static final Toy2d TOY = Toy2d.SWISS_ROLL;
    private static final KarrasSchedule GRID = KarrasSchedule.DEFAULT;
    private static final ToyMlp.Config NET = new ToyMlp.Config(2, 64, 3, 32, 10, 0f);
    private static final Preconditioning CM = Preconditioning.consistency(0.5, GRID.sigmaMin());
    private static final int N_EVAL = 5000;
    private static final SlicedWasserstein SW = SlicedWasserstein.sw1();
    private static final MultistepSampler SAMPLER = new MultistepSampler(GRID, false);

    private static Tensor reference;
    private static Tensor validation;
    private static Tensor noise;
    private static Preconditioned teacher;
    private static double teacherSw;
    private static double untrainedSw;

    @BeforeAll
    static void trainTeacher() {
        reference = TOY.sample(N_EVAL, new Rng(100));
        validation = TOY.sample(N_EVAL, new Rng(101));
        noise = new Rng(102).normal(N_EVAL, 2);
        EdmTeacherTrainer t = new EdmTeacherTrainer(new Preconditioned(ToyMlpNet.create(NET, new Rng(1)),
                Preconditioning.edm(0.5)), TOY::sample, EdmTeacherTrainer.Config.edm(),
                OptimConfig.adam(2000, 256, 1e-3).withEvalEma(0.995), 1);
        t.train();
        teacher = t.emaModel();
        teacherSw = SW.distance(reference, EdmSampler.heun(GRID, 18).sample(teacher.denoiser(), noise, null));
        Denoiser untrained = new Preconditioned(ToyMlpNet.create(NET, new Rng(9)), CM).denoiser();
        untrainedSw = SW.distance(reference, SAMPLER.sample(untrained, noise, new double[] {80}, null));
        double floor = SW.distance(reference, validation);
        System.out.printf("floor %.4f, teacher (Heun, 35 NFE) %.4f, untrained consistency model %.4f%n", floor,
                teacherSw, untrainedSw);
        assertTrue(teacherSw < untrainedSw / 8, "the teacher learned the data");
    }

    private static double oneStep(Denoiser f) {
        return SW.distance(reference, SAMPLER.sample(f, noise, new double[] {80}, null));
    }

    /** Two-step score at the middle grid index (of 18) that a ternary search picks on the validation draw. */
    private static double twoStep(Denoiser f) {
        int mid = TernarySearch.minimise(0, 17, p -> SW.distance(validation, SAMPLER.sample(f, noise,
                new double[] {80, GRID.sigma(p, 18)}, new Rng(7)))).best();
        return SW.distance(reference, SAMPLER.sample(f, noise, new double[] {80, GRID.sigma(mid, 18)}, new Rng(8)));
    }

    @Test
    void distillationMatchesTheTeacher() {
        ConsistencyDistillation cd = new ConsistencyDistillation(Preconditioned.fromTeacher(teacher, CM),
                teacher.denoiser(), TOY::sample,
                new ConsistencyDistillation.Config(18, OdeSolver.HEUN, 0.95, Distance.L2, 0f, GRID),
                OptimConfig.adam(1000, 256, 1e-3).withEvalEma(0.995), 2);
        cd.train();
        Denoiser f = cd.emaModel().denoiser();
        double one = oneStep(f);
        double two = twoStep(f);
        System.out.printf("CD: 1 step %.4f (%.2fx teacher), 2 steps %.4f (%.2fx)%n", one, one / teacherSw, two,
                two / teacherSw);
        assertTrue(one <= 1.5 * teacherSw, "CD 1-step " + one + " vs teacher " + teacherSw);
        assertTrue(two <= 1.25 * teacherSw, "CD 2-step " + two + " vs teacher " + teacherSw);
        assertTrue(one < untrainedSw / 5, "far below the untrained model's " + untrainedSw);
    }

    @Test
    void improvedConsistencyTrainingFromScratchApproachesTheTeacher() {
        ImprovedConsistencyTraining ict = new ImprovedConsistencyTraining(
                new Preconditioned(ToyMlpNet.create(NET, new Rng(3)), CM), TOY::sample,
                new ImprovedConsistencyTraining.Config(new IctSchedule(10, 320, 2000, -1.1, 2.0, GRID),
                        Distance.ictHuberC(2)),
                OptimConfig.adam(2000, 256, 2e-3).withBetas(0.9, 0.995).withEvalEma(0.995), 3);
        ict.train();
        Denoiser f = ict.emaModel().denoiser();
        double one = oneStep(f);
        double two = twoStep(f);
        System.out.printf("iCT: 1 step %.4f (%.2fx teacher), 2 steps %.4f (%.2fx)%n", one, one / teacherSw, two,
                two / teacherSw);
        assertTrue(one <= 2 * teacherSw, "iCT 1-step " + one + " vs teacher " + teacherSw);
        assertTrue(two < one, "a second step improves iCT samples");
        assertTrue(one < untrainedSw / 5, "far below the untrained model's " + untrainedSw);
    }
}
