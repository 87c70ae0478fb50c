package dev.cm4j.consistency;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

class KarrasScheduleTest {
    /** docs/ALGORITHMS.md#karras-grid: the N = 18 grid to four significant digits. */
    private static final double[] N18 = {80, 57.59, 40.79, 28.37, 19.35, 12.91, 8.401, 5.315, 3.257, 1.923, 1.088,
        0.5853, 0.2964, 0.1395, 0.0599, 0.0229, 0.0075, 0.002};

    @Test
    void gridForN18MatchesPublishedValues() {
        double[] s = KarrasSchedule.DEFAULT.sigmas(18);
        assertEquals(18, s.length);
        for (int i = 0; i < 18; i++) {
            // the published values are rounded to 4 significant digits (0.0599 and 0.0075 to 3)
            double tol = N18[i] < 0.1 ? 6e-3 : 6e-4;
            assertEquals(N18[i], s[i], tol * N18[i], "sigma_" + i + " of the N = 18 grid");
        }
        assertEquals(80.0, s[0]);
        assertEquals(0.002, s[17]);
    }

    @Test
    void gridDescendsAndIndexFormulaAgrees() {
        KarrasSchedule k = KarrasSchedule.DEFAULT;
        double[] s = k.sigmas(40);
        for (int i = 1; i < s.length; i++) {
            assertTrue(s[i] < s[i - 1], "grid must descend at " + i);
        }
        // the released sampler's index form: ImageNet-64 CD two-step middle time is index 22 of 40 -> 1.382
        assertEquals(1.382, k.sigma(22, 40), 1e-3);
        double[] z = k.sigmasWithZero(18);
        assertEquals(19, z.length);
        assertEquals(0.0, z[18]);
        assertEquals(0.002, k.clip(1e-5));
        assertEquals(80.0, k.clip(1e5));
    }

    @Test
    void badSettingsAreRejectedWithClearMessages() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> new KarrasSchedule(80, 0.002, 7));
        assertTrue(e.getMessage().contains("sigmaMin < sigmaMax"), e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> new KarrasSchedule(1, 1, 7));
        assertThrows(IllegalArgumentException.class, () -> new KarrasSchedule(0, 1, 7));
        e = assertThrows(IllegalArgumentException.class, () -> new KarrasSchedule(0.002, 80, -1));
        assertTrue(e.getMessage().contains("rho"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> KarrasSchedule.DEFAULT.sigmas(1));
        assertTrue(e.getMessage().contains("N >= 2"), e.getMessage());
    }
}
