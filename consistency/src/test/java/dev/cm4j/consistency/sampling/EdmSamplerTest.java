package dev.cm4j.consistency.sampling;

import dev.cm4j.consistency.noise.NoiseSource;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.cm4j.consistency.KarrasSchedule;
import dev.cm4j.consistency.analytic.GaussianData;
import dev.cm4j.tensor.Rng;
import dev.cm4j.tensor.Tensor;
import org.junit.jupiter.api.Test;

/** The EDM sampler with the exact Gaussian denoiser converges to the exact ODE solution x_T s / sqrt(s^2 + T^2). */
class EdmSamplerTest {
    private static final GaussianData DATA = new GaussianData(0.5);

    private static double relativeError(int steps) {
        Tensor z = new Rng(11).normal(256, 2);
        Tensor x = EdmSampler.heun(KarrasSchedule.DEFAULT, steps).sample(DATA.denoiser(), z, (NoiseSource) null);
        double k = 80 * DATA.odeFactor(80, 0);
        double worst = 0;
        for (int i = 0; i < z.size(); i++) {
            double exact = z.data()[i] * k;
            worst = Math.max(worst, Math.abs(x.data()[i] - exact) / Math.max(1e-2, Math.abs(exact)));
        }
        return worst;
    }

    @Test
    void deterministicSamplerIsExactInTheLimit() {
        int[] ns = {18, 36, 72, 144, 288};
        double[] e = new double[ns.length];
        for (int i = 0; i < ns.length; i++) {
            e[i] = relativeError(ns[i]);
        }
        System.out.println("EDM sampler relative errors for N = 18, 36, 72, 144, 288: " + java.util.Arrays.toString(e));
        for (int i = 1; i < ns.length; i++) {
            assertTrue(e[i] < e[i - 1] / 3, "error must fall about 4x per doubling: " + e[i - 1] + " -> " + e[i]);
        }
        assertTrue(e[ns.length - 1] < 2.5e-4, "N = 288 relative error " + e[ns.length - 1]);
    }

    @Test
    void nfeIsTwoNMinusOne() {
        NfeCounter c = new NfeCounter(DATA.denoiser());
        EdmSampler s = EdmSampler.heun(KarrasSchedule.DEFAULT, 18);
        s.sample(c, Tensor.zeros(3, 2), (NoiseSource) null);
        assertEquals(35, c.calls());
        assertEquals(35, s.nfe());
        c.reset();
        EdmSampler euler = EdmSampler.heun(KarrasSchedule.DEFAULT, 18).withSolver(OdeSolver.EULER);
        euler.sample(c, Tensor.zeros(3, 2), (NoiseSource) null);
        assertEquals(18, c.calls());
    }

    @Test
    void stochasticSamplerKeepsTheDataLaw() {
        // with the exact denoiser, churn adds noise and the ODE steps remove it: the output law tends to N(0, s^2) as
        // the grid refines (EDM's stochastic ImageNet setting S_churn 40, S_tmin 0.05, S_tmax 50)
        int n = 40_000;
        Tensor z = new Rng(5).normal(n, 1);
        double[] bias = new double[3];
        int[] ns = {64, 128, 256};
        for (int k = 0; k < ns.length; k++) {
            EdmSampler s = EdmSampler.heun(KarrasSchedule.DEFAULT, ns[k]).withChurn(40, 0.05, 50, 1.0);
            Tensor x = s.sample(DATA.denoiser(), z, new Rng(6));
            double var = 0;
            for (float v : x.data()) {
                var += (double) v * v;
            }
            bias[k] = Math.sqrt(var / n) - 0.5;
            if (k == 0) {
                // churn really changed the samples relative to the deterministic run
                Tensor det = EdmSampler.heun(KarrasSchedule.DEFAULT, ns[k]).sample(DATA.denoiser(), z, (NoiseSource) null);
                assertTrue(OdeSolverTest.maxAbsDiff(x, det) > 0.05);
            }
        }
        System.out.println("stochastic EDM sampler, bias of the sample std for N = 64, 128, 256: "
                + java.util.Arrays.toString(bias));
        assertTrue(Math.abs(bias[2]) < Math.abs(bias[0]) / 2, "bias must fall with N");
        assertEquals(0.0, bias[2], 0.006, "std bias at N = 256");
    }

    @Test
    void badSettingsAreRejected() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> EdmSampler.heun(KarrasSchedule.DEFAULT, 1));
        assertTrue(e.getMessage().contains("N >= 2"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class,
                () -> EdmSampler.heun(KarrasSchedule.DEFAULT, 10).withChurn(-1, 0, 1, 1));
        assertTrue(e.getMessage().contains("S_churn"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> EdmSampler.heun(KarrasSchedule.DEFAULT, 10)
                .withChurn(10, 0, 100, 1).sample(DATA.denoiser(), Tensor.zeros(1, 1), (NoiseSource) null));
        assertTrue(e.getMessage().contains("needs a noise source"), e.getMessage());
    }
}
