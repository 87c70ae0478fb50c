/**
 * Reverse-mode automatic differentiation over cm4j tensors, and the optimizers
 * (docs/ARCHITECTURE.md#module-descriptors).
 */
module dev.cm4j.autodiff {
    requires transitive dev.cm4j.tensor;

    exports dev.cm4j.autodiff;
    exports dev.cm4j.autodiff.optim;
}
