package dev.cm4j.tensor.backend;

/**
 * A service that can create a {@link Backend}, found with {@link java.util.ServiceLoader}: a module that offers a
 * backend lists its provider class in {@code META-INF/services/dev.cm4j.tensor.backend.BackendProvider}.
 */
public interface BackendProvider {

    /** The name users select it by ({@code -Dcm4j.backend=<name>}). */
    String name();

    /** True only when the backend's runtime and a device are really present; must be cheap and must not throw. */
    boolean isAvailable();

    /** Creates the backend; called at most once per process, and only when {@link #isAvailable()} is true. */
    Backend create();
}
