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
        CtSchedule code = CtSchedule.cifar10(800_000);
        CtSchedule paper = code.withForm(CtSchedule.Form.PAPER);
        assertEquals(CtSchedule.Form.CODE, code.form(), "the named preset follows the released code");
        assertEquals(new CtSchedule(2, 150, 0.9, 800_000, CtSchedule.Form.CODE), code);
        assertEquals(0.9, paper.mu(0), 1e-15);
        // docs/ALGORITHMS.md#consistency-training: the code gives mu(0) = mu0^(s0/(s0-1)) = 0.81
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
    void presetsByName() {
        assertEquals(CtSchedule.cifar10(1000), CtSchedule.preset("cifar10", 1000));
        assertEquals(new CtSchedule(2, 200, 0.95, 1000, CtSchedule.Form.CODE), CtSchedule.preset("imagenet64", 1000));
        assertEquals(new CtSchedule(2, 150, 0.95, 1000, CtSchedule.Form.CODE), CtSchedule.preset("lsun256", 1000));
        assertEquals(new CtSchedule(3, 150, 0.9, 5, CtSchedule.Form.PAPER),
                CtSchedule.cifar10(1000).withS0(3).withTotalSteps(5).withForm(CtSchedule.Form.PAPER));
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> CtSchedule.preset("cifar100", 1000));
        assertEquals("CtSchedule: no preset named \"cifar100\"; the presets are cifar10, imagenet64, lsun256",
                e.getMessage());
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
