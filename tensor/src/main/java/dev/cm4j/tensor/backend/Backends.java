package dev.cm4j.tensor.backend;

import java.util.ArrayList;
import java.util.List;
import java.util.ServiceLoader;
import java.util.logging.Logger;

/**
 * Chooses the backend once per process from {@code -Dcm4j.backend=cpu|auto|<provider name>} (default {@code auto}).
 *
 * <ul>
 *   <li>{@code cpu}: the CPU kernels.</li>
 *   <li>{@code auto}: the first non-CPU {@link BackendProvider} on the class path whose {@code isAvailable()} is
 *       true, otherwise the CPU.</li>
 *   <li>any other name (e.g. {@code tornado}): that provider; an error when it is missing or its runtime is not
 *       available, rather than a silent fall-back that would make a benchmark measure the wrong thing.</li>
 * </ul>
 * One log line says which backend was chosen and why.
 */
public final class Backends {
    public static final String PROPERTY = "cm4j.backend";
    public static final String AUTO = "auto";

    private static final Logger LOG = Logger.getLogger(Backends.class.getName());
    private static volatile Backend current;

    private Backends() {
    }

    /** The process-wide backend, selected on first use. */
    public static Backend current() {
        Backend b = current;
        if (b == null) {
            synchronized (Backends.class) {
                b = current;
                if (b == null) {
                    String requested = System.getProperty(PROPERTY, AUTO);
                    List<BackendProvider> providers = new ArrayList<>();
                    ServiceLoader.load(BackendProvider.class).forEach(providers::add);
                    b = select(requested, providers);
                    current = b;
                }
            }
        }
        return b;
    }

    /**
     * Checks {@code -Dcm4j.backend} before any work, so that a command line reports a bad value in one line: cpu and
     * auto always pass; any other name selects its backend now (the choice {@link #current()} keeps).
     *
     * @throws IllegalArgumentException naming the property and its value when no such backend is on the class path
     *         or its runtime is not available
     */
    public static void checkProperty() {
        String name = System.getProperty(PROPERTY, AUTO).trim().toLowerCase(java.util.Locale.ROOT);
        if (!name.equals(CpuBackend.NAME) && !name.equals(AUTO)) {
            current();
        }
    }

    /** The CPU backend, whatever was selected. */
    public static Backend cpu() {
        return CpuBackend.INSTANCE;
    }

    /**
     * The selection rule of {@link #current()} applied to an explicit request and provider list (logs its choice).
     *
     * @throws IllegalArgumentException when a named backend is missing or unavailable
     */
    public static Backend select(String requested, List<BackendProvider> providers) {
        String name = requested.trim().toLowerCase(java.util.Locale.ROOT);
        if (name.equals(CpuBackend.NAME)) {
            LOG.info("cm4j: backend cpu (" + PROPERTY + "=cpu)");
            return CpuBackend.INSTANCE;
        }
        if (name.equals(AUTO)) {
            for (BackendProvider p : providers) {
                if (!p.name().equalsIgnoreCase(CpuBackend.NAME) && p.isAvailable()) {
                    Backend b = p.create();
                    LOG.info("cm4j: backend " + b.name() + " (" + PROPERTY + "=auto, its runtime is available)");
                    return b;
                }
            }
            LOG.info("cm4j: backend cpu (" + PROPERTY + "=auto, " + (providers.isEmpty()
                    ? "no other backend on the class path)" : "no available runtime among " + names(providers) + ")"));
            return CpuBackend.INSTANCE;
        }
        for (BackendProvider p : providers) {
            if (p.name().equalsIgnoreCase(name)) {
                if (!p.isAvailable()) {
                    throw new IllegalArgumentException("Backends: " + PROPERTY + "=" + requested + " but the " + p.name()
                            + " runtime is not available on this machine; use " + PROPERTY + "=auto or cpu");
                }
                Backend b = p.create();
                LOG.info("cm4j: backend " + b.name() + " (" + PROPERTY + "=" + requested + ")");
                return b;
            }
        }
        throw new IllegalArgumentException("Backends: " + PROPERTY + "=" + requested + " but no such backend is on the "
                + "class path (known: cpu, auto" + (providers.isEmpty() ? "" : ", " + String.join(", ", names(providers)))
                + ")");
    }

    private static List<String> names(List<BackendProvider> providers) {
        List<String> names = new ArrayList<>();
        for (BackendProvider p : providers) {
            names.add(p.name());
        }
        return names;
    }
}
