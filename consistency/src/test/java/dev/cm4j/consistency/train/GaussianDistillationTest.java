package dev.cm4j.consistency.train;

import dev.cm4j.consistency.model.Preconditioned;
import dev.cm4j.consistency.model.ToyMlpNet;
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
}
