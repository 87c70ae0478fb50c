package dev.cm4j.consistency.train;

import dev.cm4j.consistency.model.Preconditioned;
import dev.cm4j.consistency.model.ToyMlpNet;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.cm4j.consistency.KarrasSchedule;
import dev.cm4j.consistency.PerSample;
import dev.cm4j.consistency.model.Preconditioning;
import dev.cm4j.consistency.analytic.GaussianData;
import dev.cm4j.consistency.model.Denoiser;
import dev.cm4j.consistency.sampling.OdeSolver;
import dev.cm4j.models.ToyMlp;
import dev.cm4j.tensor.Rng;
import dev.cm4j.tensor.Tensor;
import org.junit.jupiter.api.Test;

/**
 * Consistency distillation from the exact denoiser of N(0, s^2 I) data learns the exact consistency function
 * {@code f(x, sigma) = x sqrt((s^2 + eps^2) / (s^2 + sigma^2))} (derived in {@link GaussianData}).
 */
class GaussianDistillationTest {
    private static final GaussianData DATA = new GaussianData(0.5);
    private static final double EPS = 0.002;

    /** Least-squares slope k of f(x) ~ k x over draws of the sigma-marginal, and the relative residual. */
    private static double[] fitSlope(Denoiser f, double sigma, long seed) {
        int n = 2000;
        Tensor x = new Rng(seed).normal(n, 2).mul((float) Math.sqrt(0.25 + sigma * sigma));
        Tensor y = f.denoise(x, PerSample.fill(n, sigma));
        double xy = 0;
        double xx = 0;
        for (int i = 0; i < x.size(); i++) {
            xy += (double) x.data()[i] * y.data()[i];
            xx += (double) x.data()[i] * x.data()[i];
        }
        double k = xy / xx;
        double res = 0;
        for (int i = 0; i < x.size(); i++) {
            double r = y.data()[i] - k * x.data()[i];
            res += r * r;
        }
        return new double[] {k, Math.sqrt(res / xx) / Math.abs(k)};
    }

    @Test
    void distillationFromTheExactTeacherLearnsTheExactConsistencyFunction() {
        KarrasSchedule grid = KarrasSchedule.DEFAULT;
        int n = 40;
        Preconditioned student = new Preconditioned(ToyMlpNet.create(new ToyMlp.Config(2, 64, 2, 16, 100, 0f),
                new Rng(1)), Preconditioning.consistency(0.5, EPS));
        Denoiser untrained = student.copy().denoiser();
        ConsistencyDistillation cd = new ConsistencyDistillation(student, DATA.denoiser(),
                (m, rng) -> DATA.sample(m, 2, rng),
                new ConsistencyDistillation.Config(n, OdeSolver.HEUN, 0.9, Distance.L2, 0f, grid),
                OptimConfig.adam(1500, 256, 2e-3).withEvalEma(0.99), 1);
        cd.train();
        Denoiser learned = cd.emaModel().denoiser();
        double[] sigmas = grid.sigmas(n);
        double worst = 0;
        double worstResidual = 0;
        double untrainedWorst = 0;
        for (int i = 0; i < n - 1; i += 3) {
            double exact = DATA.odeFactor(sigmas[i], EPS);
            double[] fit = fitSlope(learned, sigmas[i], 50 + i);
            double rel = Math.abs(fit[0] / exact - 1);
            System.out.printf("sigma %8.4f learned slope %.5f exact %.5f rel. error %.4f residual %.4f%n", sigmas[i],
                    fit[0], exact, rel, fit[1]);
            worst = Math.max(worst, rel);
            worstResidual = Math.max(worstResidual, fit[1]);
            untrainedWorst = Math.max(untrainedWorst, Math.abs(fitSlope(untrained, sigmas[i], 50 + i)[0] / exact - 1));
        }
        // the Heun chain of 40 steps itself deviates from the exact ODE by about 1 % at sigma 80
        assertTrue(worst < 0.05, "slope error " + worst);
        assertTrue(worstResidual < 0.06, "f must be linear in x, relative residual " + worstResidual);
        assertTrue(untrainedWorst > 0.9, "the untrained model is far from the truth: " + untrainedWorst);
    }

    /** The teacher's chain over a grid: the factor by which Euler steps from sigmas[0] to the last sigma scale x. */
    private static double eulerChain(double[] sigmas) {
        Tensor x = Tensor.of(new float[] {1f, 1f}, 1, 2);
        for (int i = 0; i + 1 < sigmas.length; i++) {
            x = OdeSolver.EULER.step(DATA.denoiser(), x, PerSample.fill(1, sigmas[i]),
                    PerSample.fill(1, sigmas[i + 1]));
        }
        return x.data()[0];
    }

    /**
     * With substeps, the student learns the teacher's chain on the finer grid: on a 5-point grid the Euler chain
     * from sigma 80 scales x by 0.00292, under half the exact factor 0.00625 (the step from 2.5 to 0.17 overshoots),
     * and a student distilled with one step per link learns that factor (measured 0.002906), one distilled with 10
     * Euler substeps per link the 41-point grid's 0.00582 (measured 0.005812).
     */
    @Test
    void substepsMakeTheStudentLearnTheFinerGridsChain() {
        KarrasSchedule grid = KarrasSchedule.DEFAULT;
        int n = 5;
        double coarse = eulerChain(grid.sigmas(n));
        double fine = eulerChain(grid.sigmas((n - 1) * 10 + 1));
        double exact = DATA.odeFactor(grid.sigmaMax(), EPS);
        assertTrue(Math.abs(fine / exact - 1) < 0.1, "the fine chain is near the ODE: " + fine + " vs " + exact);
        assertTrue(fine / coarse > 1.5, "the two chains must differ for the test to tell them apart: " + coarse
                + " vs " + fine);
        for (int sub : new int[] {1, 10}) {
            Preconditioned student = new Preconditioned(ToyMlpNet.create(new ToyMlp.Config(2, 64, 2, 16, 100, 0f),
                    new Rng(1)), Preconditioning.consistency(0.5, EPS));
            ConsistencyDistillation cd = new ConsistencyDistillation(student, DATA.denoiser(),
                    (m, rng) -> DATA.sample(m, 2, rng),
                    new ConsistencyDistillation.Config(n, OdeSolver.EULER, 0.9, Distance.L2, 0f, grid)
                            .withSubsteps(sub),
                    OptimConfig.adam(800, 256, 2e-3).withEvalEma(0.99), 1);
            cd.train();
            double slope = fitSlope(cd.emaModel().denoiser(), grid.sigmaMax(), 7)[0];
            double expected = sub == 1 ? coarse : fine;
            System.out.printf("substeps %d: learned slope at sigma max %.6f, chain %.6f (coarse %.6f, fine %.6f)%n",
                    sub, slope, expected, coarse, fine);
            assertTrue(Math.abs(slope / expected - 1) < 0.03, "substeps " + sub + ": learned " + slope
                    + ", the chain it distils " + expected);
        }
    }

    @Test
    void substepsBelowOneAreRefusedAndOneKeepsTheFormerSettingsText() {
        var config = ConsistencyDistillation.Config.toy2d();
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> config.withSubsteps(0));
        assertTrue(e.getMessage().contains("substeps") && e.getMessage().contains("got 0"), e.getMessage());
        assertEquals(1, config.substeps());
        assertFalse(config.toString().contains("substeps"), config.toString());
        assertTrue(config.withSubsteps(3).toString().endsWith(", substeps=3]"), config.withSubsteps(3).toString());
        assertEquals("Config[n=40, solver=HEUN, mu=0.95, distance=L2, huberC=0.0, grid=" + config.grid() + "]",
                config.toString());
    }

    /**
     * The teacher's grid, (N - 1) substeps + 1 points, is bounded where its times stay distinct floats: a finer one
     * (including one whose point count overflows an int) is refused naming N and substeps, and every neighbouring
     * pair of the largest allowed grid differs as floats, the type the teacher's times are stepped in.
     */
    @Test
    void aTeacherGridTooFineForFloatTimesIsRefused() {
        var config = ConsistencyDistillation.Config.toy2d();
        int max = ConsistencyDistillation.Config.MAX_TEACHER_POINTS;
        for (int sub : new int[] {max / 39 + 1, 1 << 26}) {
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> config.withSubsteps(sub));
            assertTrue(e.getMessage().contains("N = 40") && e.getMessage().contains("substeps = " + sub),
                    e.getMessage());
        }
        var largest = config.withN(2).withSubsteps(max - 1);
        double[] sigmas = largest.grid().sigmas((largest.n() - 1) * largest.substeps() + 1);
        assertEquals(max, sigmas.length);
        for (int i = 1; i < sigmas.length; i++) {
            if (!((float) sigmas[i] < (float) sigmas[i - 1])) {
                throw new AssertionError("grid points " + (i - 1) + " and " + i + " are the same float: "
                        + (float) sigmas[i]);
            }
        }
    }
}
