package dev.cm4j.tornado.bench;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

import dev.cm4j.tensor.Simd;
import dev.cm4j.tensor.backend.Backend;
import dev.cm4j.tensor.backend.Backends;
import dev.cm4j.tornado.TornadoBackend;

/** The implementations the benchmarks compare, and the device each one runs on. */
final class BenchBackend {
    private BenchBackend() {
    }

    /** cpu (Vector API, or scalar in a fork with -Dcm4j.simd=false), tornado-parallel, tornado-tiled. */
    static Backend open(String impl) {
        return switch (impl) {
            case "cpu" -> Backends.cpu();
            case "tornado-parallel" -> TornadoBackend.open(false, 0);
            case "tornado-tiled" -> TornadoBackend.open(true, 0);
            default -> throw new IllegalArgumentException("benchmark: unknown impl " + impl);
        };
    }

    static void close(Backend b) {
        if (b instanceof TornadoBackend t) {
            t.close();
        }
    }

    /** "OPENCL [Portable Computing Language] pthread-... (CPU)", or the CPU's model and the kernel path. */
    static String device(Backend b) {
        if (b instanceof TornadoBackend t) {
            return t.device();
        }
        return "JVM on " + cpuModel() + " (" + (Simd.ENABLED ? "Vector API" : "scalar") + " kernels)";
    }

    static String cpuModel() {
        try {
            for (String line : Files.readAllLines(Path.of("/proc/cpuinfo"))) {
                if (line.startsWith("model name")) {
                    return line.substring(line.indexOf(':') + 1).trim() + ", "
                            + Runtime.getRuntime().availableProcessors() + " cores";
                }
            }
        } catch (IOException | RuntimeException e) {
            // not Linux: fall through
        }
        return System.getProperty("os.arch") + ", " + Runtime.getRuntime().availableProcessors() + " cores";
    }
}
