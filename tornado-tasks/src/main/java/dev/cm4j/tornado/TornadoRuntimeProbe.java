package dev.cm4j.tornado;

import uk.ac.manchester.tornado.api.TornadoBackend;
import uk.ac.manchester.tornado.api.TornadoRuntime;
import uk.ac.manchester.tornado.api.common.TornadoDevice;
import uk.ac.manchester.tornado.api.runtime.TornadoRuntimeProvider;

/**
 * Looks for a working TornadoVM runtime and its default device. Only {@link TornadoBackendProvider} touches this class,
 * inside a catch-all, so a JVM without TornadoVM's jars or flags never fails on it.
 */
final class TornadoRuntimeProbe {

    /** What was found: a device (name, type) or the reason there is none. */
    record Result(boolean found, String device, boolean cpuDevice, String reason) {
        static Result absent(String reason) {
            return new Result(false, null, false, reason);
        }
    }

    /** The property TornadoVM's launcher and argfile set; without it the runtime cannot start. */
    static final String RUNTIME_PROPERTY = "tornado.load.runtime.implementation";

    private TornadoRuntimeProbe() {
    }

    static Result probe() {
        if (System.getProperty(RUNTIME_PROPERTY) == null) {
            return Result.absent("the JVM was not started with TornadoVM's flags (use the tornado launcher or "
                    + "java @$TORNADOVM_HOME/tornado-argfile)");
        }
        TornadoRuntime runtime = TornadoRuntimeProvider.getTornadoRuntime();
        if (runtime == null || runtime.getNumBackends() == 0) {
            return Result.absent("TornadoVM has no backend");
        }
        int devices = 0;
        for (int i = 0; i < runtime.getNumBackends(); i++) {
            TornadoBackend backend = runtime.getBackend(i);
            devices += backend == null ? 0 : backend.getNumDevices();
        }
        if (devices == 0) {
            return Result.absent("TornadoVM found no device");
        }
        TornadoDevice device = runtime.getDefaultDevice();
        return new Result(true, describe(device), device.getDeviceType().name().equals("CPU"), null);
    }

    /** "OPENCL [Portable Computing Language] pthread-skylake-avx512-AMD EPYC (CPU)" and the like. */
    static String describe(TornadoDevice device) {
        String name = device.getPhysicalDevice() == null ? device.getDeviceName()
                : device.getPhysicalDevice().getDeviceName();
        return device.getTornadoVMBackend() + " [" + device.getPlatformName().trim() + "] " + name.trim()
                + " (" + device.getDeviceType() + ")";
    }
}
