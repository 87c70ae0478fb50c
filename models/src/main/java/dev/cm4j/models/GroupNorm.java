package dev.cm4j.models;

import dev.cm4j.autodiff.NormOps;
import dev.cm4j.autodiff.Var;
import dev.cm4j.tensor.Tensor;

/**
 * {@code torch.nn.GroupNorm}: x (N,C,...) normalised per sample over each of {@code groups} channel groups, then
 * an affine per channel; parameters {@code weight} (C) = 1 and {@code bias} (C) = 0 at init, eps 1e-5.
 */
public final class GroupNorm extends Module implements Layer {
    private final int groups;
    private final float eps;
    private final Var weight;
    private final Var bias;

    public GroupNorm(int groups, int channels) {
        this(groups, channels, 1e-5f);
    }

    public GroupNorm(int groups, int channels, float eps) {
        if (groups <= 0 || channels % groups != 0) {
            throw new IllegalArgumentException("GroupNorm: " + channels + " channels cannot be split into "
                    + groups + " groups");
        }
        this.groups = groups;
        this.eps = eps;
        weight = registerParameter("weight", Tensor.ones(channels));
        bias = registerParameter("bias", Tensor.zeros(channels));
    }

    @Override
    public Var forward(Var x) {
        return NormOps.groupNorm(x, weight, bias, groups, eps);
    }

    /**
     * silu(this(x)) as one node ({@link NormOps#groupNormSilu}): the value of this layer followed by {@link SiLU} up
     * to float rounding, without storing the normalised x.
     */
    public Var forwardSilu(Var x) {
        return NormOps.groupNormSilu(x, weight, bias, null, null, groups, eps);
    }

    /**
     * silu(this(x) (1 + scale) + shift) as one node, scale and shift (N, C): the ADM ResBlock's scale-shift
     * conditioning between this layer and its SiLU.
     */
    public Var forwardSilu(Var x, Var scale, Var shift) {
        return NormOps.groupNormSilu(x, weight, bias, scale, shift, groups, eps);
    }

    @Override
    protected GroupNorm blank() {
        return new GroupNorm(groups, weight.size(), eps);
    }

    @Override
    public GroupNorm copy() {
        return (GroupNorm) super.copy();
    }

    public int groups() {
        return groups;
    }
}
