/**
 * Dense float32 tensors and their kernels (docs/ARCHITECTURE.md#module-descriptors).
 *
 * <p>The Vector API is a static dependency: a JVM started without {@code --add-modules jdk.incubator.vector} still
 * resolves this module, {@link dev.cm4j.tensor.Simd} finds the incubator module missing in the boot layer and the
 * scalar kernels run. The kernels are internal: only the modules of cm4j built on them read them.
 */
module dev.cm4j.tensor {
    requires static jdk.incubator.vector;
    requires java.logging;

    exports dev.cm4j.tensor;
    exports dev.cm4j.tensor.backend;
    exports dev.cm4j.tensor.kernels to dev.cm4j.autodiff, dev.cm4j.models, dev.cm4j.consistency;

    uses dev.cm4j.tensor.backend.BackendProvider;
}
