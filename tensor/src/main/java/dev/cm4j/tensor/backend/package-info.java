/**
 * The backend service interface: the CPU backend, and accelerator backends (TornadoVM) found with
 * {@link java.util.ServiceLoader} and used only when their runtime and a device are really present
 * ({@code -Dcm4j.backend=cpu|tornado|auto}; docs/GPU.md).
 *
 * <p><b>API</b>: public and kept compatible; exported by the module {@code dev.cm4j.tensor} to everyone, because a
 * backend in another artifact (tornado-tasks) implements {@link dev.cm4j.tensor.backend.BackendProvider}. The module
 * declares that it {@code uses} the service; a provider on the class path lists itself in
 * {@code META-INF/services}, one on the module path {@code provides} it.
 */
package dev.cm4j.tensor.backend;
