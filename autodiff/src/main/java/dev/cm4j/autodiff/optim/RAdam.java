package dev.cm4j.autodiff.optim;

import dev.cm4j.autodiff.Var;

import java.util.Map;

/**
 * Rectified Adam (Liu et al. 2020, Algorithm 2) in the form of PyTorch's {@code torch.optim.RAdam}, the optimizer of
 * the ADM/consistency-models teachers and of ECT:
 * <pre>
 *   g = g + wd p
 *   m = b1 m + (1 - b1) g;  v = b2 v + (1 - b2) g^2;  m^ = m / (1 - b1^t)
 *   rho_inf = 2 / (1 - b2) - 1;  rho_t = rho_inf - 2 t b2^t / (1 - b2^t)
 *   rho_t > 5: r = sqrt((rho_t - 4)(rho_t - 2) rho_inf / ((rho_inf - 4)(rho_inf - 2) rho_t))
 *              p = p - lr m^ r sqrt(1 - b2^t) / (sqrt(v) + eps)
 *   else:      p = p - lr m^          (un-adapted momentum SGD while the variance estimate is unreliable)
 * </pre>
 */
public final class RAdam extends AdamFamily {
    /** PyTorch's defaults: betas (0.9, 0.999), eps 1e-8, no weight decay. */
    public RAdam(Map<String, Var> params, double lr) {
        this(params, lr, 0.9, 0.999, 1e-8, 0);
    }

    /** RAdam with L2 weight decay {@code weightDecay}; eps is added to the uncorrected sqrt(v), as in PyTorch. */
    public RAdam(Map<String, Var> params, double lr, double beta1, double beta2, double eps, double weightDecay) {
        super(params, lr, beta1, beta2, eps, weightDecay);
    }

    /** The variance rectification term r_t, or NaN while rho_t &lt;= 5 (no adaptive step yet). */
    public static double rectification(double beta2, long t) {
        double rhoInf = 2 / (1 - beta2) - 1;
        double b2t = Math.pow(beta2, t);
        double rhoT = rhoInf - 2 * t * b2t / (1 - b2t);
        if (rhoT <= 5) {
            return Double.NaN;
        }
        return Math.sqrt((rhoT - 4) * (rhoT - 2) * rhoInf / ((rhoInf - 4) * (rhoInf - 2) * rhoT));
    }

    @Override
    protected Update prepare(long t, double lr) {
        double bc1 = 1 - Math.pow(beta1, t);
        double r = rectification(beta2, t);
        boolean adaptive = !Double.isNaN(r);
        // lr m^ r sqrt(1 - b2^t) / (sqrt(v) + eps) = (lr r sqrt(bc2) / bc1) m / (sqrt(v) + eps)
        float scale = adaptive ? (float) (lr * r * Math.sqrt(1 - Math.pow(beta2, t)) / bc1) : (float) (lr / bc1);
        return update((float) beta1, (float) beta2, 1f, (float) weightDecay, scale, 1f, (float) eps,
                adaptive);
    }
}
