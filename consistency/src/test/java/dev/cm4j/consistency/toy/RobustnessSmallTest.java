package dev.cm4j.consistency.toy;

import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.cm4j.consistency.data.Toy2d;
import java.util.Locale;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * The robustness table's small setting as a test: every 2-D data set, seed 0, an MLP of width 64, the small budget of
 * {@link RobustnessRun} (teacher and CD 1500 steps, iCT 2000 steps at batch 512), 5,000 samples scored by SW2.
 *
 * <p>Before iCT's cosine learning-rate decay and a pseudo-Huber c above the paper's, runs of this setting broke: one
 * step at 3.0x (eight Gaussians), 3.7x (checkerboard), 5.9x (two moons) and 23x (Swiss roll) the teacher. Measured
 * with the present recipe (CD with N = 10 and 8 teacher substeps per link, iCT with the stable target and
 * pseudo-Huber c = 0.1), seed 0, as multiples of the teacher's SW2, CD one step / iCT one step / iCT two steps: eight
 * Gaussians 1.08 / 1.38 / 0.81, two moons 1.04 / 1.90 / 1.10, Swiss roll 1.14 / 2.00 / 1.12, checkerboard
 * 1.07 / 1.65 / 1.09 (CD with N = 40 and one teacher step per link: 1.32, 1.29, 1.42, 1.16; iCT with c = 0.01:
 * 1.52 / 0.93, 1.62 / 1.09, 1.98 / 1.17, 1.38 / 1.26; with the paper's pair and c = 0.01: 1.65 / 1.01, 2.14 / 1.58,
 * 2.11 / 1.27, 1.17 / 0.98; docs/RESULTS.md, "The robustness table at the small budget"). The guards sit about 20 % above the
 * largest of these, well below any of the broken runs, so the test fails when a data set breaks again, not when a
 * float's last bits move. The teacher must stay within 3x of the data's floor (measured 1.17-2.11x), so a weak
 * teacher cannot make the ratios look good. The scores are the same bits on 1 and 2 threads and with the Vector API
 * at 256 bits ({@code -Dcm4j.simd.bits=256}, an AVX2 machine's width) as at 512.
 *
 * <p>ECT from the teacher for a quarter of iCT's steps (500) is far from its targets at this budget (one step 4.5x,
 * 5.2x, 9.2x and 9.4x on seed 0, two steps 1.53x, 1.46x, 2.17x and 1.81x; 5.8-11.0x and 2.36-4.03x before the stable
 * target and q = 4): its guards only catch a run that diverges.
 */
class RobustnessSmallTest {
    /** Guards, as multiples of the teacher's SW2: CD one step, iCT one step, iCT two steps. */
    static final double CD_ONE_GUARD = 1.4;
    static final double ICT_ONE_GUARD = 2.4;
    static final double ICT_TWO_GUARD = 1.5;
    /** ECT in one and two steps: far from the targets at this budget, so these catch divergence only. */
    static final double ECT_ONE_GUARD = 12;
    static final double ECT_TWO_GUARD = 3;
    /** The teacher's SW2 as a multiple of the floor (two draws of the data). */
    static final double TEACHER_FLOOR_GUARD = 3.0;

    @ParameterizedTest
    @EnumSource(Toy2d.class)
    void smallBudgetHoldsOnEveryDataSet(Toy2d data) {
        RobustnessRun.Scores s = RobustnessRun.run(RobustnessRun.pipeline("small", data, 0, 64), 5_000);
        String row = String.format(Locale.ROOT, "%s seed 0: floor %.5f, teacher %.5f, CD %.2fx / %.2fx, iCT %.2fx / "
                + "%.2fx, ECT %.2fx / %.2fx", data, s.sw2()[0], s.sw2()[1], s.ratio(2), s.ratio(3), s.ratio(4),
                s.ratio(5), s.ratio(6), s.ratio(7));
        System.out.println(row);
        for (double v : s.sw2()) {
            assertTrue(Double.isFinite(v), row + ": every score finite");
        }
        assertTrue(s.sw2()[1] <= TEACHER_FLOOR_GUARD * s.sw2()[0], row + ": teacher within 3x of the floor");
        assertTrue(s.ratio(2) <= CD_ONE_GUARD, row + ": CD one step within " + CD_ONE_GUARD + "x the teacher");
        assertTrue(s.ratio(4) <= ICT_ONE_GUARD, row + ": iCT one step within " + ICT_ONE_GUARD + "x the teacher");
        assertTrue(s.ratio(5) <= ICT_TWO_GUARD, row + ": iCT two steps within " + ICT_TWO_GUARD + "x the teacher");
        assertTrue(s.ratio(6) <= ECT_ONE_GUARD, row + ": ECT one step within " + ECT_ONE_GUARD + "x the teacher");
        assertTrue(s.ratio(7) <= ECT_TWO_GUARD, row + ": ECT two steps within " + ECT_TWO_GUARD + "x the teacher");
    }
}
