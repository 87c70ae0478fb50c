package dev.cm4j.autodiff;

import dev.cm4j.tensor.Tensor;

/**
 * The backward rule of one recorded operation: given the gradient of the loss with respect to the operation's output,
 * it adds the gradients with respect to the inputs into them with {@link Var#accumulateGrad(Tensor)}.
 *
 * <p>A rule must not modify {@code gradOut} in place (the same tensor may also be the gradient of another value), and
 * it should only compute the gradients of inputs whose {@link Var#requiresGrad()} is true. (The library's own
 * element-wise rules may, when {@link Var#backward} tells them that nothing else holds the tensor: see
 * {@code InPlaceBackward}.)
 */
@FunctionalInterface
public interface Backward {
    void apply(Tensor gradOut);
}
