package dev.cm4j.consistency.sampling;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.cm4j.consistency.PerSample;
import dev.cm4j.consistency.analytic.GaussianData;
import dev.cm4j.tensor.Rng;
import dev.cm4j.tensor.Tensor;
import org.junit.jupiter.api.Test;

/** Euler and Heun against the exact PF-ODE solution for Gaussian data: observed orders 1 and 2. */
class OdeSolverTest {
    private static final GaussianData DATA = new GaussianData(0.5);

    /** Max relative error after integrating from sigma 4 to 0.25 in n uniform steps. */
    private static double error(OdeSolver solver, int n, NfeCounter counter) {
        Tensor x0 = new Rng(3).normal(64, 2);
        double from = 4;
        double to = 0.25;
        Tensor x = x0;
        for (int i = 0; i < n; i++) {
            double t = from + (to - from) * i / n;
            double tNext = from + (to - from) * (i + 1) / n;
            x = solver.step(counter, x, PerSample.fill(64, t), PerSample.fill(64, tNext));
        }
        double k = DATA.odeFactor(from, to);
        double worst = 0;
        for (int i = 0; i < x.size(); i++) {
            double exact = x0.data()[i] * k;
            worst = Math.max(worst, Math.abs(x.data()[i] - exact) / Math.max(1e-3, Math.abs(exact)));
        }
        return worst;
    }

    private static double observedOrder(OdeSolver solver, int[] ns) {
        double[] e = new double[ns.length];
        for (int i = 0; i < ns.length; i++) {
            e[i] = error(solver, ns[i], new NfeCounter(DATA.denoiser()));
        }
        double order = 0;
        for (int i = 1; i < ns.length; i++) {
            order += Math.log(e[i - 1] / e[i]) / Math.log((double) ns[i] / ns[i - 1]);
            assertTrue(e[i] < e[i - 1], solver + ": error must fall with more steps, " + e[i - 1] + " -> " + e[i]);
        }
        order /= ns.length - 1;
        System.out.printf("%s errors %s observed order %.3f%n", solver, java.util.Arrays.toString(e), order);
        return order;
    }

    @Test
    void eulerConvergesAtOrderOne() {
        double order = observedOrder(OdeSolver.EULER, new int[] {8, 16, 32, 64});
        assertEquals(1.0, order, 0.1, "observed Euler order");
    }

    @Test
    void heunConvergesAtOrderTwo() {
        double order = observedOrder(OdeSolver.HEUN, new int[] {4, 8, 16, 32});
        assertEquals(2.0, order, 0.15, "observed Heun order");
    }

    @Test
    void evaluationCountsAndHeunStepFormula() {
        NfeCounter c = new NfeCounter(DATA.denoiser());
        error(OdeSolver.HEUN, 5, c);
        assertEquals(10, c.calls());
        c.reset();
        error(OdeSolver.EULER, 5, c);
        assertEquals(5, c.calls());
        // one Heun step by hand: d1 = (x - D(x,t))/t, x' = x + h d1, d2 = (x' - D(x',t'))/t', x^ = x + h (d1+d2)/2
        double s2 = 0.25;
        double x = 1.3;
        double t = 2;
        double tn = 1.5;
        double d1 = (x - x * s2 / (s2 + t * t)) / t;
        double xe = x + (tn - t) * d1;
        double d2 = (xe - xe * s2 / (s2 + tn * tn)) / tn;
        double expected = x + (tn - t) * (d1 + d2) / 2;
        Tensor y = OdeSolver.HEUN.step(DATA.denoiser(), Tensor.of(new float[] {(float) x}, 1, 1),
                new float[] {(float) t}, new float[] {(float) tn});
        assertEquals(expected, y.item(), 1e-6);
    }

    @Test
    void heunToZeroIsEuler() {
        Tensor x = new Rng(1).normal(4, 3);
        float[] t = PerSample.fill(4, 0.7);
        float[] zero = new float[4];
        NfeCounter c = new NfeCounter(DATA.denoiser());
        Tensor h = OdeSolver.HEUN.step(c, x, t, zero);
        Tensor e = OdeSolver.EULER.step(DATA.denoiser(), x, t, zero);
        assertEquals(1, c.calls(), "the step to sigma = 0 makes one evaluation");
        assertEquals(0f, maxAbsDiff(h, e));
        // Euler to 0 returns the denoiser's output
        assertTrue(maxAbsDiff(e, DATA.denoiser().denoise(x, t)) < 1e-6);
    }

    @Test
    void rejectsStepsThatDoNotDescend() {
        Tensor x = Tensor.zeros(2, 2);
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> OdeSolver.EULER.step(DATA.denoiser(), x, new float[] {1, 1}, new float[] {0.5f, 2}));
        assertTrue(e.getMessage().contains("sample 1") && e.getMessage().contains("t > t' >= 0"), e.getMessage());
    }

    static float maxAbsDiff(Tensor a, Tensor b) {
        float m = 0;
        for (int i = 0; i < a.size(); i++) {
            m = Math.max(m, Math.abs(a.data()[a.offset() + i] - b.data()[b.offset() + i]));
        }
        return m;
    }
}
