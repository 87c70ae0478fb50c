package dev.cm4j.consistency.sampling;

import dev.cm4j.consistency.noise.NoiseSource;
import dev.cm4j.consistency.model.Denoiser;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.cm4j.consistency.KarrasSchedule;
import dev.cm4j.consistency.analytic.GaussianData;
import dev.cm4j.tensor.Rng;
import dev.cm4j.tensor.Tensor;
import org.junit.jupiter.api.Test;

class MultistepSamplerTest {
    private static final MultistepSampler SAMPLER = new MultistepSampler(KarrasSchedule.DEFAULT, false);

    @Test
    void indexSettingsOfTheReleasedScriptsGiveTheirSigmas() {
        // docs/ALGORITHMS.md#multistep-sampling, the released launch.sh two-step settings: (ts, steps) -> middle sigma
        assertEquals(1.382, SAMPLER.indicesToSigmas(new int[] {0, 22, 39}, 40)[1], 1e-3);
        assertEquals(1.913, SAMPLER.indicesToSigmas(new int[] {0, 106, 200}, 201)[1], 1e-3);
        assertEquals(4.366, SAMPLER.indicesToSigmas(new int[] {0, 17, 39}, 40)[1], 1e-3);
        assertEquals(3.520, SAMPLER.indicesToSigmas(new int[] {0, 18, 39}, 40)[1], 1e-3);
        assertEquals(3.991, SAMPLER.indicesToSigmas(new int[] {0, 67, 150}, 151)[1], 1e-3);
        assertEquals(5.249, SAMPLER.indicesToSigmas(new int[] {0, 62, 150}, 151)[1], 1e-3);
        assertEquals(0.585, SAMPLER.indicesToSigmas(new int[] {0, 11, 17}, 18)[1], 1e-3);
        double[] s = SAMPLER.indicesToSigmas(new int[] {0, 22, 39}, 40);
        assertEquals(2, s.length, "ts = (0, 22, 39) makes two evaluations");
        assertEquals(80.0, s[0]);
    }

    @Test
    void followsAlgorithmOneWithTheEpsilonCorrectedNoise() {
        GaussianData data = new GaussianData(0.5);
        Denoiser f = data.consistencyFunction(0.002);
        Tensor z = new Rng(1).normal(8, 2);
        NfeCounter c = new NfeCounter(f);
        Tensor x = SAMPLER.sample(c, z, new double[] {80, 1.5, 0.3}, new Rng(2));
        assertEquals(3, c.calls());
        // the same steps by hand, with the same noise stream
        Rng rng = new Rng(2);
        double eps = 0.002;
        float[] expected = new float[z.size()];
        for (int i = 0; i < expected.length; i++) {
            expected[i] = (float) (80 * z.data()[i] * data.odeFactor(80, eps));
        }
        for (double tau : new double[] {1.5, 0.3}) {
            Tensor zn = rng.normal(8, 2);
            for (int i = 0; i < expected.length; i++) {
                double xHat = expected[i] + Math.sqrt(tau * tau - eps * eps) * zn.data()[i];
                expected[i] = (float) (xHat * data.odeFactor(tau, eps));
            }
        }
        for (int i = 0; i < expected.length; i++) {
            assertEquals(expected[i], x.data()[i], 1e-5);
        }
    }

    @Test
    void exactConsistencyFunctionKeepsTheDataLawAtEveryStepCount() {
        // with a large eps the sqrt(tau^2 - eps^2) noise scale is visibly right: the variance stays s^2 + eps^2 after
        // every step, while noise of scale tau would inflate it to (s^2 + eps^2)(s^2 + eps^2 + tau^2)/(s^2 + tau^2)
        double s = 0.5;
        double eps = 0.3;
        KarrasSchedule grid = new KarrasSchedule(eps, 80, 7);
        MultistepSampler sampler = new MultistepSampler(grid, false);
        Denoiser f = new GaussianData(s).consistencyFunction(eps);
        int n = 100_000;
        Tensor z = new Rng(9).normal(n, 1);
        double target = s * s + eps * eps;
        for (double[] times : new double[][] {{80}, {80, 1.0}, {80, 2.0, 0.6}}) {
            Tensor x = sampler.sample(f, z, times, new Rng(10));
            double var = 0;
            for (float v : x.data()) {
                var += (double) v * v;
            }
            var /= n;
            // one-step variance is (s^2 + eps^2) 80^2 / (s^2 + 80^2), 0.004 % below the target
            assertEquals(target, var, 0.006, "variance after " + times.length + " steps");
        }
        double wrong = target * (target + 1.0) / (s * s + 1.0);
        assertTrue(wrong - target > 0.02, "the test separates the two noise scales");
    }

    @Test
    void clampingIsOptional() {
        Denoiser wide = (x, sigma, labels) -> {
            Tensor y = x.copy();
            for (int i = 0; i < y.size(); i++) {
                y.data()[i] *= 10;
            }
            return y;
        };
        Tensor z = new Rng(4).normal(100, 2);
        Tensor free = SAMPLER.sample(wide, z, new double[] {80}, (NoiseSource) null);
        Tensor clamped = new MultistepSampler(KarrasSchedule.DEFAULT, true).sample(wide, z, new double[] {80}, (NoiseSource) null);
        float maxFree = 0;
        float maxClamped = 0;
        for (int i = 0; i < free.size(); i++) {
            maxFree = Math.max(maxFree, Math.abs(free.data()[i]));
            maxClamped = Math.max(maxClamped, Math.abs(clamped.data()[i]));
        }
        assertTrue(maxFree > 100, "unclamped output keeps its range");
        assertEquals(1f, maxClamped);
    }

    @Test
    void badTimesAreRejected() {
        Denoiser f = new GaussianData(0.5).consistencyFunction(0.002);
        Tensor z = Tensor.zeros(2, 2);
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> SAMPLER.sample(f, z, new double[] {1, 2}, new Rng(0)));
        assertTrue(e.getMessage().contains("decrease"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> SAMPLER.indicesToSigmas(new int[] {0, 22, 30}, 40));
        assertTrue(e.getMessage().contains("must end at 39"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> SAMPLER.indicesToSigmas(new int[] {0, 41, 39}, 40));
        assertTrue(e.getMessage().contains("must increase"), e.getMessage());
    }
}
