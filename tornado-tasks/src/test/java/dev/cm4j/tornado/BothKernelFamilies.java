package dev.cm4j.tornado;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;

/** Base of the device tests: a TornadoVM backend with the tiled kernels and one with the @Parallel shells. */
abstract class BothKernelFamilies {
    static TornadoBackend tiled;
    static TornadoBackend parallel;

    @BeforeAll
    static void openBackends() {
        tiled = TornadoBackend.open(true, 0);
        parallel = TornadoBackend.open(false, 0);
        System.out.println("device: " + tiled.device());
    }

    @AfterAll
    static void closeBackends() {
        tiled.close();
        parallel.close();
    }

    static TornadoBackend[] both() {
        return new TornadoBackend[] {tiled, parallel};
    }

    static String family(TornadoBackend b) {
        return b.tiled() ? "tiled" : "parallel";
    }
}
