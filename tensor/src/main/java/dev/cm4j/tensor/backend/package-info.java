/**
 * The backend service interface: the CPU backend, and accelerator backends (TornadoVM) found with
 * {@link java.util.ServiceLoader} and used only when their runtime and a device are really present
 * ({@code -Dcm4j.backend=cpu|tornado|auto}; docs/GPU.md).
 */
package dev.cm4j.tensor.backend;
