package dev.cm4j.autodiff;

import dev.cm4j.tensor.NN;
import dev.cm4j.tensor.Tensor;
import dev.cm4j.tensor.kernels.GroupNormSilu;

/** Group normalisation (Wu and He 2018), the normalisation of the ADM U-Net, alone and fused with its SiLU. */
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

    /**
     * silu(groupNorm(x) (1 + scale) + shift) as one node (the ADM U-Net's {@code GroupNorm -> SiLU}, with its
     * scale-shift conditioning in the ResBlocks): x (N,C,...), gamma, beta (C), scale and shift (N, C) (e.g. the two
     * halves of the embedding's projection) or both null -> y (N,C,...). Neither the normalised x nor the
     * pre-activation is kept: the backward recomputes them from x, mean and rstd. Equal to
     * {@code groupNorm(x, ...).mul(scale.add(1)).add(shift).silu()} up to float rounding. Without scale and shift,
     * planes where the fused kernel is slower ({@link GroupNormSilu#fusesPlain}) take the two-node route
     * {@code groupNorm(...).silu()}.
     */
    public static Var groupNormSilu(Var x, Var gamma, Var beta, Var scale, Var shift, int groups, float eps) {
        Tensor xv = x.value(), gv = gamma.value(), bv = beta.value();
        int plane = xv.rank() < 2 ? 1 : xv.size() / Math.max(1, xv.dim(0) * xv.dim(1));
        if (scale == null && shift == null && !GroupNormSilu.fusesPlain(plane)) {
            return groupNorm(x, gamma, beta, groups, eps).silu();
        }
        Tensor sv = scale == null ? null : scale.value();
        Tensor hv = shift == null ? null : shift.value();
        NN.GroupNormResult r = NN.groupNormSilu(xv, gv, bv, sv, hv, groups, eps);
        Tensor mean = r.mean(), rstd = r.rstd();
        InPlaceBackward rule = (g, owned) -> {
            // an owned g is overwritten with dx; every gradient handed on is this rule's own
            NN.GroupNormSiluGrads d = NN.groupNormSiluBackward(g, xv, gv, bv, sv, hv, mean, rstd, groups, owned);
            x.accumulateGrad(d.dx(), true);
            gamma.accumulateGrad(d.dgamma(), true);
            beta.accumulateGrad(d.dbeta(), true);
            if (scale != null) {
                scale.accumulateGrad(d.dscale(), true);
                shift.accumulateGrad(d.dshift(), true);
            }
        };
        return scale == null ? Var.result("groupNormSilu", r.y(), rule, x, gamma, beta)
                : Var.result("groupNormSilu", r.y(), rule, x, gamma, beta, scale, shift);
    }
}
