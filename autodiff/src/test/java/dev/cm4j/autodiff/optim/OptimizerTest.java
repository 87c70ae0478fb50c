package dev.cm4j.autodiff.optim;

import dev.cm4j.autodiff.Var;
import dev.cm4j.tensor.Tensor;
import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Each optimizer against its published update rule evaluated by hand in double, over several steps with changing
 * gradients, to 1e-6.
 */
class OptimizerTest {
    private static final float[] P0 = {0.5f, -1.2f, 2.0f, 0.0f, 3e-3f};
    /** Gradient of step t (1-based) for element i: varied signs and scales, including a zero. */
    private static double grad(int t, int i) {
        return i == 3 && t == 2 ? 0.0 : Math.sin(1.3 * t + 0.7 * i) * (1 + i) * 0.5;
    }

    private interface Rule {
        /** Advances the hand-computed state one step for element values p[i]. */
        void step(int t, double[] p, double[] g);
    }

    private static void compare(Optimizer opt, Var param, Rule rule, int steps) {
        double[] p = new double[P0.length];
        for (int i = 0; i < p.length; i++) {
            p[i] = P0[i];
        }
        for (int t = 1; t <= steps; t++) {
            float[] gf = new float[P0.length];
            double[] g = new double[P0.length];
            for (int i = 0; i < g.length; i++) {
                gf[i] = (float) grad(t, i);
                g[i] = gf[i];
            }
            param.zeroGrad();
            param.accumulateGrad(Tensor.of(gf, gf.length));
            opt.step();
            rule.step(t, p, g);
            for (int i = 0; i < p.length; i++) {
                assertEquals(p[i], param.value().data()[i], 1e-6,
                        opt.getClass().getSimpleName() + " step " + t + " element " + i);
            }
        }
    }

    private static Var param() {
        return Var.param(Tensor.of(P0, P0.length));
    }

    @Test
    void adamFollowsKingmaBaAlgorithm1() {
        Var w = param();
        double lr = 0.01, b1 = 0.9, b2 = 0.999, eps = 1e-8;
        double[] m = new double[P0.length], v = new double[P0.length];
        compare(new Adam(Optimizer.indexed(List.of(w)), lr), w, (t, p, g) -> {
            for (int i = 0; i < p.length; i++) {
                m[i] = b1 * m[i] + (1 - b1) * g[i];
                v[i] = b2 * v[i] + (1 - b2) * g[i] * g[i];
                double mHat = m[i] / (1 - Math.pow(b1, t)), vHat = v[i] / (1 - Math.pow(b2, t));
                p[i] -= lr * mHat / (Math.sqrt(vHat) + eps);
            }
        }, 12);
    }

    @Test
    void adamWithL2AndAdamWDecoupledDecay() {
        double lr = 0.02, b1 = 0.8, b2 = 0.99, eps = 1e-8, wd = 0.1;
        Var w = param();
        double[] m = new double[P0.length], v = new double[P0.length];
        compare(new Adam(Optimizer.indexed(List.of(w)), lr, b1, b2, eps, wd, false), w, (t, p, g) -> {
            for (int i = 0; i < p.length; i++) {
                double gi = g[i] + wd * p[i];
                m[i] = b1 * m[i] + (1 - b1) * gi;
                v[i] = b2 * v[i] + (1 - b2) * gi * gi;
                p[i] -= lr * (m[i] / (1 - Math.pow(b1, t))) / (Math.sqrt(v[i] / (1 - Math.pow(b2, t))) + eps);
            }
        }, 8);
        Var u = param();
        double[] m2 = new double[P0.length], v2 = new double[P0.length];
        compare(new Adam(Optimizer.indexed(List.of(u)), lr, b1, b2, eps, wd, true), u, (t, p, g) -> {
            for (int i = 0; i < p.length; i++) {
                p[i] *= 1 - lr * wd;
                m2[i] = b1 * m2[i] + (1 - b1) * g[i];
                v2[i] = b2 * v2[i] + (1 - b2) * g[i] * g[i];
                p[i] -= lr * (m2[i] / (1 - Math.pow(b1, t))) / (Math.sqrt(v2[i] / (1 - Math.pow(b2, t))) + eps);
            }
        }, 8);
    }

    @Test
    void radamFollowsLiuEtAlAlgorithm2AcrossTheRectificationThreshold() {
        // beta2 = 0.9: rho_inf = 19, rho_t > 5 from step 3 on, so both branches run
        double lr = 0.05, b1 = 0.9, b2 = 0.9, eps = 1e-8;
        Var w = param();
        double[] m = new double[P0.length], v = new double[P0.length];
        double rhoInf = 2 / (1 - b2) - 1;
        int[] adaptiveSteps = {0};
        compare(new RAdam(Optimizer.indexed(List.of(w)), lr, b1, b2, eps, 0), w, (t, p, g) -> {
            double rhoT = rhoInf - 2 * t * Math.pow(b2, t) / (1 - Math.pow(b2, t));
            if (rhoT > 5) {
                adaptiveSteps[0]++;
            }
            for (int i = 0; i < p.length; i++) {
                m[i] = b1 * m[i] + (1 - b1) * g[i];
                v[i] = b2 * v[i] + (1 - b2) * g[i] * g[i];
                double mHat = m[i] / (1 - Math.pow(b1, t));
                if (rhoT > 5) {
                    double lt = Math.sqrt(1 - Math.pow(b2, t)) / (Math.sqrt(v[i]) + eps);
                    double rt = Math.sqrt((rhoT - 4) * (rhoT - 2) * rhoInf / ((rhoInf - 4) * (rhoInf - 2) * rhoT));
                    p[i] -= lr * mHat * rt * lt;
                } else {
                    p[i] -= lr * mHat;
                }
            }
        }, 10);
        assertTrue(adaptiveSteps[0] > 0 && adaptiveSteps[0] < 10, "both branches must be exercised");
        assertTrue(Double.isNaN(RAdam.rectification(0.999, 1)));
    }

    /** Adam's rule with eps added where {@code epsAfterCorrection} says; AdamW's decay when {@code wd} > 0. */
    private static Rule adamRule(double lr, double b1, double b2, double eps, double wd, boolean epsAfterCorrection) {
        double[] m = new double[P0.length], v = new double[P0.length];
        return (t, p, g) -> {
            double bc1 = 1 - Math.pow(b1, t), bc2 = 1 - Math.pow(b2, t);
            for (int i = 0; i < p.length; i++) {
                p[i] *= 1 - lr * wd;
                m[i] = b1 * m[i] + (1 - b1) * g[i];
                v[i] = b2 * v[i] + (1 - b2) * g[i] * g[i];
                double denom = epsAfterCorrection ? Math.sqrt(v[i] / bc2) + eps : (Math.sqrt(v[i]) + eps) / Math.sqrt(bc2);
                p[i] -= lr * (m[i] / bc1) / denom;
            }
        };
    }

    /** RAdam's rule with eps added to sqrt(v) before ({@code epsOnRawV}) or after the bias correction. */
    private static Rule radamRule(double lr, double b1, double b2, double eps, boolean epsOnRawV) {
        double[] m = new double[P0.length], v = new double[P0.length];
        double rhoInf = 2 / (1 - b2) - 1;
        return (t, p, g) -> {
            double bc2 = 1 - Math.pow(b2, t);
            double rhoT = rhoInf - 2 * t * Math.pow(b2, t) / bc2;
            for (int i = 0; i < p.length; i++) {
                m[i] = b1 * m[i] + (1 - b1) * g[i];
                v[i] = b2 * v[i] + (1 - b2) * g[i] * g[i];
                double mHat = m[i] / (1 - Math.pow(b1, t));
                if (rhoT > 5) {
                    double lt = epsOnRawV ? Math.sqrt(bc2) / (Math.sqrt(v[i]) + eps) : 1 / (Math.sqrt(v[i] / bc2) + eps);
                    double rt = Math.sqrt((rhoT - 4) * (rhoT - 2) * rhoInf / ((rhoInf - 4) * (rhoInf - 2) * rhoT));
                    p[i] -= lr * mHat * rt * lt;
                } else {
                    p[i] -= lr * mHat;
                }
            }
        };
    }

    /**
     * With eps = 0.05, comparable to sqrt(v), the place where eps is added changes the steps well beyond 1e-6: PyTorch
     * adds it to the bias-corrected sqrt(v) in Adam and AdamW, and to the raw sqrt(v) in RAdam. Each rule with eps in
     * the other place must fail the same comparison, which shows the comparison can see it.
     */
    @Test
    void epsSitsWherePyTorchAddsIt() {
        double lr = 0.01, b1 = 0.9, b2 = 0.999, eps = 0.05, wd = 0.1;
        Var w = param();
        compare(new Adam(Optimizer.indexed(List.of(w)), lr, b1, b2, eps, 0, false), w,
                adamRule(lr, b1, b2, eps, 0, true), 8);
        Var w2 = param();
        assertThrows(AssertionError.class, () -> compare(new Adam(Optimizer.indexed(List.of(w2)), lr, b1, b2, eps, 0,
                false), w2, adamRule(lr, b1, b2, eps, 0, false), 8));

        Var u = param();
        compare(Adam.adamW(Optimizer.indexed(List.of(u)), lr, wd), u, adamRule(lr, b1, b2, 1e-8, wd, true), 8);
        Var u2 = param();
        compare(new Adam(Optimizer.indexed(List.of(u2)), lr, b1, b2, eps, wd, true), u2,
                adamRule(lr, b1, b2, eps, wd, true), 8);
        Var u3 = param();
        assertThrows(AssertionError.class, () -> compare(new Adam(Optimizer.indexed(List.of(u3)), lr, b1, b2, eps, wd,
                true), u3, adamRule(lr, b1, b2, eps, wd, false), 8));

        // beta2 = 0.9 so that the adaptive branch runs from step 3 on
        Var r = param();
        compare(new RAdam(Optimizer.indexed(List.of(r)), 0.05, b1, 0.9, eps, 0), r, radamRule(0.05, b1, 0.9, eps, true), 10);
        Var r2 = param();
        assertThrows(AssertionError.class, () -> compare(new RAdam(Optimizer.indexed(List.of(r2)), 0.05, b1, 0.9, eps,
                0), r2, radamRule(0.05, b1, 0.9, eps, false), 10));
    }

    @Test
    void settingsAndStepsAreVisible() {
        Var w = param();
        Adam adamW = Adam.adamW(Optimizer.indexed(List.of(w)), 1e-3, 0.01);
        assertEquals(Map.of("beta1", 0.9, "beta2", 0.999, "eps", 1e-8, "weight_decay", 0.01,
                "decoupled_weight_decay", 1.0), adamW.settings());
        assertEquals(Map.of("beta1", 0.8, "beta2", 0.99, "eps", 1e-6, "weight_decay", 0.0),
                new RAdam(Optimizer.indexed(List.of(w)), 1e-3, 0.8, 0.99, 1e-6, 0).settings());
        // a step writes the parameter in place: its version advances
        int before = w.value().version();
        w.accumulateGrad(Tensor.ones(P0.length));
        adamW.step();
        assertEquals(before + 1, w.value().version());
    }

    @Test
    void sgdWithMomentumDampeningAndNesterov() {
        double lr = 0.1, mu = 0.9, wd = 0.01;
        Var w = param();
        double[] buf = new double[P0.length];
        compare(new Sgd(Optimizer.indexed(List.of(w)), lr, mu, 0, wd, true), w, (t, p, g) -> {
            for (int i = 0; i < p.length; i++) {
                double d = g[i] + wd * p[i];
                buf[i] = t == 1 ? d : mu * buf[i] + d;
                p[i] -= lr * (d + mu * buf[i]);
            }
        }, 6);
        Var u = param();
        double[] buf2 = new double[P0.length];
        compare(new Sgd(Optimizer.indexed(List.of(u)), lr, mu, 0.3, 0, false), u, (t, p, g) -> {
            for (int i = 0; i < p.length; i++) {
                buf2[i] = t == 1 ? g[i] : mu * buf2[i] + 0.7 * g[i];
                p[i] -= lr * buf2[i];
            }
        }, 6);
    }

    @Test
    void parameterWithoutGradientIsSkippedAndKeepsItsStepCount() {
        Var a = param(), b = param();
        Adam opt = new Adam(Map.of("a", a, "b", b), 0.1);
        a.accumulateGrad(Tensor.ones(P0.length));
        opt.step();
        assertEquals(1L, opt.stepCounts().get("a"));
        assertEquals(0L, opt.stepCounts().get("b"));
        assertEquals(P0[0], b.value().data()[0]);
    }

    @Test
    void loadStateIsStrict() {
        Var a = param();
        Adam opt = new Adam(Map.of("a", a), 0.1);
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> opt.loadState(Map.of("a.exp_avg", Tensor.zeros(P0.length), "a.exp_avg_sq", Tensor.zeros(2),
                        "x.exp_avg", Tensor.zeros(1)), Map.of("a", 3L)));
        String msg = e.getMessage();
        assertEquals("Adam.loadState: unexpected [x.exp_avg]; shape mismatch [a.exp_avg_sq: saved [2] vs optimizer [5]]",
                msg);
        assertEquals(0.0, opt.stateTensors().get("a.exp_avg").data()[0], "nothing loaded");
    }

    @Test
    void schedulesWarmUpAndDecay() {
        LrSchedule w = LrSchedule.warmup(4, LrSchedule.constant(1e-3));
        assertEquals(0.25e-3, w.at(0), 1e-15);
        assertEquals(1e-3, w.at(3), 1e-15);
        assertEquals(1e-3, w.at(100), 1e-15);
        LrSchedule c = LrSchedule.cosine(1.0, 0.1, 10);
        assertEquals(1.0, c.at(0), 1e-12);
        assertEquals(0.55, c.at(5), 1e-12);
        assertEquals(0.1, c.at(10), 1e-12);
        assertEquals(0.1, c.at(20), 1e-12);
        assertEquals(0.5, LrSchedule.linear(1.0, 0.0, 4).at(2), 1e-12);
    }

    @Test
    void clippingScalesToTheMaxGlobalNorm() {
        Var a = Var.param(Tensor.zeros(2)), b = Var.param(Tensor.zeros(1));
        a.accumulateGrad(Tensor.of(new float[] {3, 0}, 2));
        b.accumulateGrad(Tensor.of(new float[] {4}, 1));
        double norm = GradClip.clipGlobalNorm(List.of(a, b), 1.0);
        assertEquals(5.0, norm, 1e-12);
        assertEquals(1.0, GradClip.globalNorm(List.of(a, b)), 1e-6);
        assertEquals(0.6, a.grad().data()[0], 1e-6);
        // below the limit nothing changes
        assertEquals(1.0, GradClip.clipGlobalNorm(List.of(a, b), 2.0), 1e-6);
        assertEquals(0.8, b.grad().data()[0], 1e-6);
        // with the norm given: scaled and reported only above the bound
        assertFalse(GradClip.scaleToNorm(List.of(a, b), 1.0, 2.0));
        assertEquals(0.8, b.grad().data()[0], 1e-6);
        assertTrue(GradClip.scaleToNorm(List.of(a, b), 1.0, 0.5));
        assertEquals(0.4, b.grad().data()[0], 1e-6);
    }

    @Test
    void emaByRateAndByEdmHalfLife() {
        Var w = Var.param(Tensor.of(new float[] {1, 2}, 2));
        Ema ema = new Ema(Map.of("w", w));
        w.value().fill(3f);
        ema.update(0.9);
        assertEquals(0.9 * 1 + 0.1 * 3, ema.shadow().get("w").data()[0], 1e-6);
        assertEquals(0.9 * 2 + 0.1 * 3, ema.shadow().get("w").data()[1], 1e-6);
        // docs/ALGORITHMS.md#edm-teacher-loss: half-life 0.5 Mimg at batch 512 gives 0.5^(512/5e5) ~ 0.99929
        assertEquals(Math.pow(0.5, 512 / 5e5), Ema.betaForHalfLife(512, 5e5), 1e-15);
        assertEquals(0.99929, Ema.betaForHalfLife(512, 5e5), 1e-5);
        assertEquals(0.9999432189950708, Ema.betaForHalfLife(4096, 50e6), 1e-15);
        // EDM ramp: after 10k images with ratio 0.05 the half-life is 500 images, not 500k
        assertEquals(Math.pow(0.5, 512 / 500.0), Ema.edmBeta(10_000, 512, 5e5, 0.05), 1e-15);
        assertEquals(Math.pow(0.5, 512 / 5e5), Ema.edmBeta(100_000_000, 512, 5e5, 0.05), 1e-15);
        assertEquals(Math.pow(0.5, 512 / 5e5), Ema.edmBeta(0, 512, 5e5, 0), 1e-15);
        assertEquals(0.0, Ema.edmBeta(0, 512, 5e5, 0.05), 1e-15);
    }
}
