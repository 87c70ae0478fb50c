package dev.cm4j.consistency.metrics;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.cm4j.consistency.data.Toy2d;
import dev.cm4j.tensor.Rng;
import dev.cm4j.tensor.Tensor;
import org.apache.commons.math3.distribution.NormalDistribution;
import org.junit.jupiter.api.Test;

class MetricsTest {
    private static Tensor shifted(Tensor a, float dx, float dy) {
        Tensor b = a.copy();
        for (int i = 0; i < b.dim(0); i++) {
            b.set(b.get(i, 0) + dx, i, 0);
            b.set(b.get(i, 1) + dy, i, 1);
        }
        return b;
    }

    @Test
    void oneDimensionalWassersteinHandlesUnequalSizes() {
        assertEquals(0.5, SlicedWasserstein.wassersteinPowP(new double[] {0, 1}, new double[] {0.5}, 1), 1e-15);
        // quantiles of {0,1,2} vs {0,2}: they differ by 1 on (1/3, 2/3)
        assertEquals(1 / 3.0, SlicedWasserstein.wassersteinPowP(new double[] {0, 1, 2}, new double[] {0, 2}, 1), 1e-15);
        assertEquals(1 / 3.0, SlicedWasserstein.wassersteinPowP(new double[] {0, 1, 2}, new double[] {0, 2}, 2), 1e-15);
        assertEquals(0.0, SlicedWasserstein.wassersteinPowP(new double[] {1, 2, 3}, new double[] {1, 2, 3}, 1));
    }

    @Test
    void slicedWassersteinOfAShiftIsTheMeanProjectedShift() {
        // every 1-D projection of a shifted copy is shifted by theta.delta, so W1 = |theta.delta| exactly, and the
        // average over directions uniform on the circle is |delta| 2/pi
        Tensor a = Toy2d.TWO_MOONS.sample(3000, new Rng(1));
        Tensor b = shifted(a, 0.3f, 0);
        SlicedWasserstein sw = new SlicedWasserstein(4096, 1, 0);
        assertEquals(0.3 * 2 / Math.PI, sw.distance(a, b), 0.3 * 2 / Math.PI * 0.04);
        assertEquals(0.0, sw.distance(a, a));
        assertEquals(sw.distance(a, b), sw.distance(b, a), 1e-12);
        // SW2 of a shift: sqrt(mean (theta.delta)^2) = |delta| / sqrt 2
        SlicedWasserstein sw2 = new SlicedWasserstein(4096, 2, 0);
        assertEquals(0.3 / Math.sqrt(2), sw2.distance(a, b), 0.3 / Math.sqrt(2) * 0.03);
        assertEquals("SW1", SlicedWasserstein.sw1().name());
    }

    @Test
    void energyDistanceOfShiftedGaussiansMatchesTheClosedForm() {
        // 1-D N(0,1) vs N(d,1): X - Y ~ N(-d, 2), E|N(m, v)| = sqrt(v) sqrt(2/pi) exp(-m^2/2v) + m (1 - 2 Phi(-m/sqrt v))
        double d = 0.5;
        NormalDistribution std = new NormalDistribution();
        double v = 2;
        double exy = Math.sqrt(v) * Math.sqrt(2 / Math.PI) * Math.exp(-d * d / (2 * v))
                + d * (1 - 2 * std.cumulativeProbability(-d / Math.sqrt(v)));
        double exx = 2 / Math.sqrt(Math.PI);
        double expected = 2 * exy - 2 * exx;
        int n = 4000;
        Tensor a = new Rng(5).normal(n, 1);
        Tensor b = new Rng(6).normal(n, 1);
        for (int i = 0; i < n; i++) {
            b.set(b.get(i, 0) + (float) d, i, 0);
        }
        double e = new EnergyDistance().distance(a, b);
        System.out.printf("energy distance^2 %.5f, closed form %.5f%n", e * e, expected);
        assertEquals(expected, e * e, 0.1 * expected);
        assertEquals(0.0, new EnergyDistance().distance(a, a), 1e-6);
    }

    @Test
    void floorsShrinkWithSampleSizeAndSitFarBelowARealDifference() {
        Toy2d toy = Toy2d.EIGHT_GAUSSIANS;
        for (SampleMetric m : new SampleMetric[] {SlicedWasserstein.sw1(), new EnergyDistance()}) {
            Rng small = new Rng(10);
            Rng large = new Rng(10);
            double floorSmall = m.floor(() -> toy.sample(250, small));
            double floorLarge = m.floor(() -> toy.sample(4000, large));
            Tensor data = toy.sample(4000, new Rng(11));
            Tensor gaussian = new Rng(12).normal(4000, 2);
            double real = m.distance(data, shifted(gaussian, 0, 0));
            System.out.printf("%s floors %.4f (n=250) %.4f (n=4000), N(0,I) vs 8 Gaussians %.4f%n", m.name(),
                    floorSmall, floorLarge, real);
            assertTrue(floorLarge < floorSmall / 2, m.name() + " floor must shrink with n");
            assertTrue(real > 5 * floorLarge, m.name() + " must separate different laws from the floor");
        }
    }

    @Test
    void rejectsMismatchedSampleSets() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> SlicedWasserstein.sw1().distance(Tensor.zeros(5, 2), Tensor.zeros(5, 3)));
        assertTrue(e.getMessage().contains("[5, 2]") && e.getMessage().contains("[5, 3]"), e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> new SlicedWasserstein(0, 1, 0));
        assertThrows(IllegalArgumentException.class, () -> new EnergyDistance().distance(Tensor.zeros(0, 2),
                Tensor.zeros(3, 2)));
    }
}
