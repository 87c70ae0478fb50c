package dev.cm4j.tornado;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import java.util.ServiceLoader;

import dev.cm4j.tensor.backend.Backend;
import dev.cm4j.tensor.backend.BackendProvider;
import dev.cm4j.tensor.backend.Backends;
import org.junit.jupiter.api.Test;

/** The service: found by ServiceLoader, available only with a live TornadoVM runtime, selected by name. */
class TornadoBackendProviderTest {

    @Test
    void serviceLoaderFindsTheProvider() {
        List<String> names = new ArrayList<>();
        ServiceLoader.load(BackendProvider.class).forEach(p -> names.add(p.name()));
        assertTrue(names.contains("tornado"), "providers: " + names);
    }

    @Test
    void availableWhenNamedOnThisDevice() {
        String before = System.getProperty(Backends.PROPERTY);
        System.setProperty(Backends.PROPERTY, "tornado");
        try {
            TornadoBackendProvider p = new TornadoBackendProvider();
            assertTrue(p.isAvailable(), TornadoBackendProvider.status());
            List<BackendProvider> providers = List.of(p);
            Backend b = Backends.select("tornado", providers);
            assertEquals("tornado", b.name());
            System.out.println("selected: " + b);
            ((TornadoBackend) b).close();
        } finally {
            restore(before);
        }
    }

    @Test
    void autoSkipsCpuDevicesOnly() {
        String before = System.getProperty(Backends.PROPERTY);
        System.setProperty(Backends.PROPERTY, "auto");
        try {
            TornadoRuntimeProbe.Result r = TornadoRuntimeProbe.probe();
            assertTrue(r.found(), r.reason());
            assertEquals(!r.cpuDevice(), new TornadoBackendProvider().isAvailable(), r.device());
        } finally {
            restore(before);
        }
    }

    @Test
    void withoutTornadoFlagsTheProbeSaysWhy() {
        String key = TornadoRuntimeProbe.RUNTIME_PROPERTY;
        String before = System.getProperty(key);
        System.clearProperty(key);
        try {
            TornadoRuntimeProbe.Result r = TornadoRuntimeProbe.probe();
            assertFalse(r.found());
            assertTrue(r.reason().contains("tornado-argfile"), r.reason());
        } finally {
            System.setProperty(key, before);
        }
    }

    @Test
    void closedBackendRefusesWork() {
        TornadoBackend b = TornadoBackend.open(true, 0);
        b.close();
        b.close();
        IllegalStateException e = assertThrows(IllegalStateException.class, () -> b.qkvAttention(1, 1, 2, 2,
                new float[12], 0, new float[4], 0, new float[4], 0));
        assertTrue(e.getMessage().contains("after close"), e.getMessage());
    }

    private static void restore(String before) {
        if (before == null) {
            System.clearProperty(Backends.PROPERTY);
        } else {
            System.setProperty(Backends.PROPERTY, before);
        }
    }
}
