package dev.cm4j.autodiff;

import dev.cm4j.tensor.Tensor;

/**
 * A backward rule that may write its input gradient over its output gradient when nothing else holds that tensor.
 * {@link Var#backward} passes {@code owned} true when the node's gradient was made for this node alone (an
 * accumulation, or a fresh tensor handed over with {@link Var#accumulateGrad(Tensor, boolean)}); the node is freed
 * before its rule runs, so the rule is then the tensor's last user. Element-wise rules (SiLU, GroupNorm's dx) save
 * one activation-sized allocation per node this way; the arithmetic is the same, only its destination changes.
 */
@FunctionalInterface
interface InPlaceBackward extends Backward {
    /** The rule; {@code owned}: gradOut may be overwritten and handed on. */
    void apply(Tensor gradOut, boolean owned);

    @Override
    default void apply(Tensor gradOut) {
        apply(gradOut, false);
    }
}
