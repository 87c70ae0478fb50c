package dev.cm4j.consistency.toy;

import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.cm4j.consistency.data.Toy2d;
import dev.cm4j.consistency.model.Denoiser;
import dev.cm4j.consistency.train.EdmTeacherTrainer;
import dev.cm4j.consistency.model.Preconditioned;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The acceptance criteria with the demo's fixed-seed settings on the checkerboard ({@link ToyPipeline#defaults}).
 *
 * <p>The teacher, sampled as the demo samples it (Heun on {@value ToyEvaluation#TEACHER_GRID_POINTS} points), is within
 * 1.5x of the metric's floor. Against that teacher CD meets the bars of the paper-style criteria (within 1.5x in one
 * step and 1.25x in two): seed 0 measured 1.010x and 1.015x with N = 10 and 8 teacher substeps per link (1.21x and
 * 1.16x with N = 40, one step per link and 12,000 steps; 1.65x and 1.87x with the 1500-step recipe before); iCT
 * with the pipeline's stable target and c = 0.1 meets its bar (within 2x in one step) at 1.35x, and two steps score
 * 0.98x
 * (docs/RESULTS.md#cm4j-demo--2-d-checkerboard-std-05-per-coordinate).
 * The tests assert those bars against the teacher on EDM's 18-point grid, the reference they were first stated for,
 * and guards a little above the measured ratios against the demo's teacher, each far below an untrained consistency
 * model.
 */
class ToyAcceptanceTest {
    private static final ToyPipeline PIPELINE = ToyPipeline.defaults(Toy2d.CHECKERBOARD, 0);
    private static final double SIGMA_MAX = ToyPipeline.GRID.sigmaMax();

    private static ToyEvaluation eval;
    private static Preconditioned teacher;
    /** SW1 of the teacher on the demo's grid and on EDM's 18-point grid. */
    private static double teacherSw;
    private static double teacher18Sw;
    private static double untrainedSw;

    @BeforeAll
    static void trainTeacher() {
        eval = new ToyEvaluation(PIPELINE.data(), 20_000, 100);
        EdmTeacherTrainer t = PIPELINE.teacher();
        t.train();
        teacher = t.emaModel();
        teacherSw = eval.edm(teacher.denoiser()).sw();
        teacher18Sw = eval.edm(teacher.denoiser(), 18).sw();
        untrainedSw = eval.consistency(PIPELINE.untrained().denoiser(), SIGMA_MAX).sw();
        double floor = eval.floor().sw();
        System.out.printf("floor %.5f, teacher (Heun, %d points) %.5f (%.3fx floor), on 18 points %.5f, untrained "
                + "consistency model %.5f%n", floor, ToyEvaluation.TEACHER_GRID_POINTS, teacherSw, teacherSw / floor,
                teacher18Sw, untrainedSw);
        assertTrue(teacherSw < untrainedSw / 10, "the teacher learned the data");
        assertTrue(teacherSw <= 1.5 * floor, "teacher " + teacherSw + " within 1.5x of the floor " + floor);
    }

    /**
     * Scores {@code f} in one and two steps and asserts both against multiples of the teacher's SW1 on 18 points
     * ({@code bars18}) and on the demo's grid ({@code guards}), and one step far below the untrained model.
     */
    private static void assertNearTeacher(String name, Denoiser f, double[] bars18, double[] guards) {
        double one = eval.consistency(f, SIGMA_MAX).sw();
        double mid = eval.bestMiddleSigma(f);
        double two = eval.consistency(f, SIGMA_MAX, mid).sw();
        System.out.printf("%s: 1 step %.5f (%.3fx teacher, %.3fx on 18 points), 2 steps at %.3f %.5f (%.3fx, %.3fx)%n",
                name, one, one / teacherSw, one / teacher18Sw, mid, two, two / teacherSw, two / teacher18Sw);
        double[] sw = {one, two};
        for (int k = 0; k < 2; k++) {
            String what = name + " " + (k + 1) + "-step " + sw[k];
            assertTrue(sw[k] <= bars18[k] * teacher18Sw, what + " vs teacher on 18 points " + teacher18Sw);
            assertTrue(sw[k] <= guards[k] * teacherSw, what + " vs teacher " + teacherSw);
        }
        assertTrue(one < untrainedSw / 10, name + " far below the untrained model's " + untrainedSw);
    }

    @Test
    void distillationMatchesTheTeacher() {
        var cd = PIPELINE.distillation(teacher);
        cd.train();
        // measured 1.010x and 1.015x the demo's teacher; the guards fail at the former recipe's 1.21x and 1.16x
        assertNearTeacher("CD", cd.emaModel().denoiser(), new double[] {1.5, 1.25}, new double[] {1.12, 1.12});
    }

    @Test
    void improvedConsistencyTrainingFromScratchApproachesTheTeacher() {
        var ict = PIPELINE.improvedTraining();
        ict.train();
        // iCT's two-step sampling has no bar of its own; 1.5x guards it. Measured 1.35x and 0.98x the demo's teacher
        // with the stable target and c = 0.1 (1.42x and 0.95x with c = 0.01; 1.67x and 1.14x with the paper's pair;
        // 2.82x and 1.60x with the pair and the paper's c = 0.00054 sqrt 2; 3.35x and 2.59x before the learning
        // rate's cosine decay).
        assertNearTeacher("iCT", ict.emaModel().denoiser(), new double[] {2.0, 1.5}, new double[] {1.65, 1.15});
    }
}
