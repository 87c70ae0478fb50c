/**
 * Reverse-mode automatic differentiation, define-by-run, in the manner of micrograd and PyTorch.
 *
 * <p>{@link dev.cm4j.autodiff.Var} wraps a tensor; every op is a static method in one file per family
 * ({@link dev.cm4j.autodiff.Arithmetic}, {@link dev.cm4j.autodiff.Pointwise}, {@link dev.cm4j.autodiff.Reductions},
 * {@link dev.cm4j.autodiff.ShapeOps}, {@link dev.cm4j.autodiff.LinearOps}, {@link dev.cm4j.autodiff.ConvOps},
 * {@link dev.cm4j.autodiff.NormOps}, {@link dev.cm4j.autodiff.SoftmaxOps}, {@link dev.cm4j.autodiff.AttentionOps},
 * {@link dev.cm4j.autodiff.DropoutOps}) that computes the forward and records the backward rule right beside it.
 * {@link dev.cm4j.autodiff.GradCheck} checks any of them against central finite differences.
 *
 * <p>Forward mode (a Jacobian-vector product for continuous-time consistency models) is meant to come as a second
 * rule beside each backward in the same place: the op set is closed and each op's derivative lives in one method.
 *
 * <p><b>API</b>: public and kept compatible; exported by the module {@code dev.cm4j.autodiff}.
 */
package dev.cm4j.autodiff;
