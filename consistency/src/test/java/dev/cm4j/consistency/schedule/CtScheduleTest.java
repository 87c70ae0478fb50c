package dev.cm4j.consistency.schedule;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

class CtScheduleTest {
    @Test
    void stepCountRunsFromS0ToS1PlusOne() {
        CtSchedule s = CtSchedule.cifar10(800_000);
        assertEquals(2, s.n(0));
        assertEquals(151, s.n(800_000));
        assertEquals(151, s.n(2_000_000), "beyond K the schedule stays at its end");
        int prev = 0;
        for (long k = 0; k <= 800_000; k += 997) {
            int n = s.n(k);
            assertTrue(n >= prev && n >= 2 && n <= 151);
            // the paper's formula, evaluated independently
            double inner = Math.sqrt((double) k / 800_000 * (151.0 * 151 - 4) + 4);
            assertEquals((int) Math.ceil(inner - 1) + 1, n, "N(" + k + ")");
            prev = n;
        }
        // halfway through: sqrt(0.5 (151^2 - 4) + 4) = 106.79 -> ceil(105.79) + 1 = 107
        assertEquals(107, s.n(400_000));
    }

    @Test
    void muFormsDifferByTheNMinusOneDenominator() {
        CtSchedule paper = CtSchedule.cifar10(800_000);
        CtSchedule code = new CtSchedule(2, 150, 0.9, 800_000, CtSchedule.Form.CODE);
        assertEquals(CtSchedule.Form.PAPER, paper.form(), "the paper's form is the default");
        assertEquals(0.9, paper.mu(0), 1e-15);
        // CM-SPEC section 7: the code gives mu(0) = mu0^(s0/(s0-1)) = 0.81
        assertEquals(0.81, code.mu(0), 1e-12);
        for (long k : new long[] {1000, 100_000, 800_000}) {
            int n = paper.n(k);
            assertEquals(Math.pow(0.9, 2.0 / n), paper.mu(k), 1e-12);
            assertEquals(Math.pow(0.9, 2.0 / (n - 1)), code.mu(k), 1e-12);
            assertTrue(code.mu(k) < paper.mu(k));
        }
        assertTrue(paper.mu(800_000) > paper.mu(0), "mu grows as N grows");
        assertEquals(0.0, new CtSchedule(2, 150, 0, 10, CtSchedule.Form.PAPER).mu(5), "mu0 = 0 targets the online net");
    }

    @Test
    void badSettingsAreRejected() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> new CtSchedule(2, 150, -0.1, 10, CtSchedule.Form.PAPER));
        assertTrue(e.getMessage().contains("mu0"), e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> new CtSchedule(2, 150, 1.0, 10, CtSchedule.Form.PAPER));
        assertThrows(IllegalArgumentException.class, () -> new CtSchedule(5, 2, 0.9, 10, CtSchedule.Form.PAPER));
        e = assertThrows(IllegalArgumentException.class, () -> new CtSchedule(2, 150, 0.9, 0, CtSchedule.Form.PAPER));
        assertTrue(e.getMessage().contains("total steps"), e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> CtSchedule.cifar10(10).n(-1));
    }
}
