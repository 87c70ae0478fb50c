package dev.cm4j.consistency.schedule;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.cm4j.tensor.Rng;
import org.apache.commons.math3.distribution.NormalDistribution;
import org.junit.jupiter.api.Test;

class IctScheduleTest {
    @Test
    void exponentialCurriculumDoublesEveryStage() {
        IctSchedule s = IctSchedule.paper(400_000);
        assertEquals(50_000, s.stageLength());
        int[] expected = {11, 21, 41, 81, 161, 321, 641, 1281};
        for (int stage = 0; stage < expected.length; stage++) {
            assertEquals(expected[stage], s.n(stage * 50_000L), "stage " + stage);
            assertEquals(expected[stage], s.n(stage * 50_000L + 49_999), "end of stage " + stage);
        }
        assertEquals(1281, s.n(400_000));
        assertEquals(1281, s.n(10_000_000));
        // K smaller than the number of stages: K' is clamped to 1 and N doubles every step
        assertEquals(1, IctSchedule.paper(3).stageLength());
        assertEquals(81, IctSchedule.paper(3).n(3));
        assertEquals(1281, IctSchedule.paper(3).n(7));
    }

    @Test
    void pairProbabilitiesAreTheLogNormalMassOfEachInterval() {
        IctSchedule s = IctSchedule.paper(400_000);
        double[] sigmas = s.sigmas(41);
        double[] p = s.pairProbabilities(sigmas);
        assertEquals(40, p.length);
        NormalDistribution lnSigma = new NormalDistribution(-1.1, 2.0);
        double total = lnSigma.cumulativeProbability(Math.log(80)) - lnSigma.cumulativeProbability(Math.log(0.002));
        double sum = 0;
        for (int i = 0; i < p.length; i++) {
            double mass = lnSigma.cumulativeProbability(Math.log(sigmas[i]))
                    - lnSigma.cumulativeProbability(Math.log(sigmas[i + 1]));
            assertEquals(mass / total, p[i], 1e-9, "p(" + i + ")");
            assertTrue(p[i] > 0);
            sum += p[i];
        }
        assertEquals(1.0, sum, 1e-12);
    }

    @Test
    void sampledPairsFollowTheProbabilities() {
        IctSchedule s = IctSchedule.paper(400_000);
        double[] p = s.pairProbabilities(s.sigmas(21));
        int n = 200_000;
        int[] idx = IctSchedule.samplePairs(p, n, new Rng(3));
        int[] counts = new int[p.length];
        for (int i : idx) {
            counts[i]++;
        }
        for (int i = 0; i < p.length; i++) {
            double mean = n * p[i];
            double sd = Math.sqrt(n * p[i] * (1 - p[i]));
            assertEquals(mean, counts[i], 5 * sd + 1, "count of pair " + i);
        }
    }

    @Test
    void weightsAreInverseGaps() {
        double[] sigmas = {80, 10, 1, 0.002};
        double[] w = IctSchedule.pairWeights(sigmas);
        assertEquals(1 / 70.0, w[0], 1e-15);
        assertEquals(1 / 9.0, w[1], 1e-15);
        assertEquals(1 / 0.998, w[2], 1e-15);
    }

    @Test
    void badSettingsAreRejected() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> new IctSchedule(10, 1280, 100, -1.1, 0, dev.cm4j.consistency.KarrasSchedule.DEFAULT));
        assertTrue(e.getMessage().contains("P_std"), e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> IctSchedule.paper(0));
        assertThrows(IllegalArgumentException.class, () -> IctSchedule.paper(10).n(-5));
    }
}
