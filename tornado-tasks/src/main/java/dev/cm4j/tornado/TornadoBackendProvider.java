package dev.cm4j.tornado;

import java.util.logging.Logger;

import dev.cm4j.tensor.backend.Backend;
import dev.cm4j.tensor.backend.BackendProvider;
import dev.cm4j.tensor.backend.Backends;

/**
 * The {@code tornado} backend service ({@code -Dcm4j.backend=tornado}). Available when TornadoVM's classes load, its
 * runtime starts and it finds a device.
 *
 * <p>With {@code -Dcm4j.backend=auto} (the default) a CPU OpenCL device such as PoCL is not taken: cm4j's own Vector
 * API kernels are faster on the same cores (see docs/GPU.md), so auto keeps the CPU backend and says why. Naming the
 * backend ({@code -Dcm4j.backend=tornado}) uses any device.
 *
 * <p>This class references TornadoVM only through {@link TornadoRuntimeProbe}, inside a catch-all, so the service
 * loads on any JVM.
 */
public final class TornadoBackendProvider implements BackendProvider {
    private static final Logger LOG = Logger.getLogger(TornadoBackendProvider.class.getName());
    private static volatile TornadoRuntimeProbe.Result probed;

    @Override
    public String name() {
        return TornadoBackend.NAME;
    }

    @Override
    public boolean isAvailable() {
        TornadoRuntimeProbe.Result r = probe();
        if (!r.found()) {
            return false;
        }
        boolean named = TornadoBackend.NAME.equalsIgnoreCase(System.getProperty(Backends.PROPERTY, "").trim());
        if (r.cpuDevice() && !named) {
            LOG.info("cm4j: TornadoVM's device is a CPU (" + r.device() + "); " + Backends.PROPERTY
                    + "=auto keeps the CPU backend, " + Backends.PROPERTY + "=tornado would use it");
            return false;
        }
        return true;
    }

    @Override
    public Backend create() {
        TornadoRuntimeProbe.Result r = probe();
        if (!r.found()) {
            throw new IllegalStateException("tornado backend: TornadoVM is not available: " + r.reason());
        }
        TornadoBackend backend = new TornadoBackend(r.device(), r.cpuDevice());
        // the process-wide backend frees its device buffers when the JVM exits
        Runtime.getRuntime().addShutdownHook(new Thread(backend::close, "cm4j-tornado-close"));
        return backend;
    }

    /** Why TornadoVM is or is not usable here (a device description, or the reason), for logs and tools. */
    public static String status() {
        TornadoRuntimeProbe.Result r = probe();
        return r.found() ? r.device() : "not available: " + r.reason();
    }

    private static TornadoRuntimeProbe.Result probe() {
        TornadoRuntimeProbe.Result r = probed;
        if (r == null) {
            try {
                r = TornadoRuntimeProbe.probe();
            } catch (Throwable t) {       // missing jars (LinkageError), a runtime that fails to start, no driver ...
                r = TornadoRuntimeProbe.Result.absent("TornadoVM did not start: " + t);
            }
            probed = r;
        }
        return r;
    }
}
