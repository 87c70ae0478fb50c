package dev.cm4j.consistency.schedule;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.function.Executable;

class EctScheduleTest {
    private static final EctSchedule PAPER = EctSchedule.paper(200_000);

    @Test
    void mappingMatchesHandComputedValues() {
        // r = max(0, t (1 - 2^-(stage+1) (1 + 8 sigmoid(-t)))), sigmoid(-t) = 1 / (1 + e^t)
        // t = 1, stage 0: 1 - 0.5 (1 + 8 / (1 + e)) = 1 - 0.5 * 3.15153 < 0, so r = 0 (the target is the data)
        assertEquals(0.0, PAPER.r(1, 0));
        // t = 10, stage 0: sigmoid(-10) = 4.53979e-5; r = 10 (1 - 0.5 * 1.000363183) = 4.998184085
        assertEquals(4.998184085251902, PAPER.r(10, 0), 1e-12);
        // t = 2, stage 3: sigmoid(-2) = 0.119202922; r = 2 (1 - (1/16) * 1.953623376) = 1.755797078
        assertEquals(1.7557970779778824, PAPER.r(2, 3), 1e-12);
        // t = 0.5, stage 7: sigmoid(-0.5) = 0.377540669; r = 0.5 (1 - (1/256) * 4.020325350) = 0.492147802
        assertEquals(0.492147802050029, PAPER.r(0.5, 7), 1e-12);
        // large t: the sigmoid vanishes and r = t (1 - q^-(stage+1)) = t / 2 at stage 0
        assertEquals(40.0, PAPER.r(80, 0), 1e-12);
        // r = 0 exactly below t = ln 7 at stage 0 (8 sigmoid(-t) >= 1), above it r > 0
        assertEquals(0.0, PAPER.r(Math.log(7) - 1e-9, 0));
        assertTrue(PAPER.r(Math.log(7) + 1e-6, 0) > 0);
    }

    @Test
    void targetTimeIsBelowTAndApproachesItStageByStage() {
        double[] ts = {0.002, 0.01, 0.1, 0.5, 1, 2, 5, 20, 80};
        for (double t : ts) {
            double previousGap = Double.POSITIVE_INFINITY;
            for (int stage = 0; stage < 40; stage++) {
                double r = PAPER.r(t, stage);
                assertTrue(r >= 0 && r < t, "0 <= r(" + t + ") = " + r + " < t at stage " + stage);
                double gap = t - r;
                assertTrue(gap <= previousGap, "the gap shrinks: stage " + stage + ", t " + t);
                // once r > 0 the gap is t q^-(stage+1) (1 + k sigmoid(-b t)) <= t 2^-(stage+1) 5
                if (r > 0) {
                    assertTrue(gap <= t * 5 * Math.pow(2, -(stage + 1)) * (1 + 1e-12), "gap bound at stage " + stage);
                }
                previousGap = gap;
            }
            assertEquals(t, PAPER.r(t, 40), t * 1e-11, "r(t) -> t");
        }
    }

    @Test
    void oneHourVariantIsTheEighthStageOfTheFullRun() {
        // run_ecm_1hour.sh: q = 256 and no doubling, i.e. stage 0; the full run's last stage has q^-(7+1) = 1/256 too
        EctSchedule oneHour = PAPER.withQ(256);
        assertEquals(PAPER.decay(7), oneHour.decay(0), 1e-18);
        for (double t : new double[] {0.01, 0.3, 3, 30}) {
            assertEquals(PAPER.r(t, 7), oneHour.r(t, 0), 1e-15);
        }
    }

    @Test
    void stagesAdvanceEveryStageLengthSteps() {
        assertEquals(25_000, PAPER.stageLength());
        assertEquals(0, PAPER.stage(0));
        assertEquals(0, PAPER.stage(24_999));
        assertEquals(1, PAPER.stage(25_000));
        assertEquals(7, PAPER.stage(199_999));
        assertEquals(8, PAPER.stage(200_000));
        // the 2-D preset cuts K into 6 stages, rounding the stage length up so that the last stage is 5
        EctSchedule toy = EctSchedule.toy2d(1500);
        assertEquals(250, toy.stageLength());
        assertEquals(5, toy.stage(1499));
        assertEquals(5, EctSchedule.toy2d(1501).stage(1500));
        assertEquals(1, EctSchedule.paper(3).stageLength());
    }

    @Test
    void tIsLogNormalClampedToTheRange() {
        assertEquals(Math.exp(-1.1), PAPER.t(0), 1e-15);
        assertEquals(Math.exp(-1.1 + 2.0 * 1.5), PAPER.t(1.5), 1e-12);
        assertEquals(80.0, PAPER.t(3));
        assertEquals(0.002, PAPER.t(-3));
        assertEquals(Math.exp(-1.1 + 3.0), EctSchedule.toy2d(10).t(1), 1e-12);
    }

    @Test
    void presetsAndWithers() {
        assertEquals(new EctSchedule(2, 8, 1, 25_000, -1.1, 2.0, 0.002, 80), EctSchedule.preset("paper", 200_000));
        assertEquals(EctSchedule.toy2d(1500), EctSchedule.preset("toy2d", 1500));
        assertEquals(4.0, PAPER.withK(4).k());
        assertEquals(0.5, PAPER.withB(0.5).b());
        assertEquals(10, PAPER.withStageLength(10).stageLength());
        assertEquals(-1.0, PAPER.withPMean(-1.0).pMean());
        assertEquals(1.5, PAPER.withPStd(1.5).pStd());
        assertEquals(1.0, PAPER.withTRange(0.01, 1.0).tMax());
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> EctSchedule.preset("ict", 10));
        assertEquals("EctSchedule: no preset named \"ict\"; the presets are paper, toy2d", e.getMessage());
    }

    @Test
    void badSettingsNameTheirValue() {
        assertMessage(() -> PAPER.withQ(1), "q = 1.0");
        assertMessage(() -> PAPER.withQ(0.5), "q = 0.5");
        assertMessage(() -> PAPER.withQ(Double.NaN), "q = NaN");
        assertMessage(() -> PAPER.withK(-1), "k = -1.0");
        assertMessage(() -> PAPER.withB(-0.5), "b = -0.5");
        assertMessage(() -> PAPER.withStageLength(0), "stageLength = 0");
        assertMessage(() -> PAPER.withPStd(0), "P_std 0.0");
        assertMessage(() -> PAPER.withTRange(0, 80), "tMin 0.0");
        assertMessage(() -> PAPER.withTRange(1, 0.5), "tMax 0.5");
        assertMessage(() -> EctSchedule.paper(0), "K must be >= 1, got 0");
        assertMessage(() -> PAPER.r(0, 0), "t must be finite and > 0, got 0.0");
        assertMessage(() -> PAPER.stage(-1), "step must be >= 0, got -1");
    }

    private static void assertMessage(Executable call, String part) {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, call);
        assertTrue(e.getMessage().contains(part), e.getMessage());
    }
}
