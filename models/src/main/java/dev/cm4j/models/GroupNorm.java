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
