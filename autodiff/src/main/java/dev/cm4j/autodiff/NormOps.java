package dev.cm4j.autodiff;

import dev.cm4j.tensor.NN;
import dev.cm4j.tensor.Tensor;

/** Group normalisation (Wu and He 2018), the normalisation of the ADM U-Net. */
public final class NormOps {
    private NormOps() {
    }

    /**
     * x (N,C,...), gamma (C), beta (C) -> y (N,C,...): each of {@code groups} channel groups of each sample is
     * normalised to zero mean and unit (population) variance, then scaled by gamma and shifted by beta. The forward
     * keeps the per-group mean and 1/std for the backward.
     */
    public static Var groupNorm(Var x, Var gamma, Var beta, int groups, float eps) {
        Tensor xv = x.value(), gv = gamma.value();
        NN.GroupNormResult r = NN.groupNorm(xv, gv, beta.value(), groups, eps);
        Tensor mean = r.mean(), rstd = r.rstd();
        return Var.result("groupNorm", r.y(), (InPlaceBackward) (g, owned) -> {
            // an owned g is overwritten with dx; every gradient handed on is this rule's own
            NN.GroupNormGrads d = NN.groupNormBackward(g, xv, gv, mean, rstd, groups, owned);
            x.accumulateGrad(d.dx(), true);
            gamma.accumulateGrad(d.dgamma(), true);
            beta.accumulateGrad(d.dbeta(), true);
        }, x, gamma, beta);
    }
}
