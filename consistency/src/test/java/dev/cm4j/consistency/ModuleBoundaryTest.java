package dev.cm4j.consistency;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.lang.module.ModuleDescriptor;
import java.lang.module.ModuleFinder;
import java.lang.module.ModuleReference;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import org.junit.jupiter.api.Test;

/**
 * The module descriptors enforce what the package documentation states (docs/ARCHITECTURE.md#module-descriptors): every
 * package of the library's modules says <b>API</b> or <b>Internal</b>; an API package is exported to everyone, an
 * internal one not at all or only to modules of cm4j. The descriptors are read from the compiled classes of the
 * reactor (tests run on the class path, where the boot layer has no cm4j module).
 */
class ModuleBoundaryTest {
    private static final Path REACTOR = Path.of("..").toAbsolutePath().normalize();

    /** Artifact folder and module name of each library module. */
    private static final Map<String, String> MODULES = Map.of("tensor", "dev.cm4j.tensor", "autodiff",
            "dev.cm4j.autodiff", "models", "dev.cm4j.models", "consistency", "dev.cm4j.consistency");

    private static ModuleDescriptor descriptor(String folder) {
        Path classes = REACTOR.resolve(folder).resolve("target/classes");
        assertTrue(Files.exists(classes.resolve("module-info.class")), "no module-info.class in " + classes);
        Optional<ModuleReference> ref = ModuleFinder.of(classes).find(MODULES.get(folder));
        assertTrue(ref.isPresent(), "module " + MODULES.get(folder) + " not found in " + classes);
        return ref.get().descriptor();
    }

    /** "API", "Internal" or what the package-info says instead. */
    private static String status(String folder, String pkg) {
        Path info = REACTOR.resolve(folder).resolve("src/main/java").resolve(pkg.replace('.', '/'))
                .resolve("package-info.java");
        try {
            String s = Files.readString(info);
            // a paragraph that opens with the marker; the facade's page also names the internal packages
            boolean api = s.contains("<p><b>API</b>") || s.contains("<b>API.</b>");
            boolean internal = s.contains("<p><b>Internal</b>");
            return api == internal ? info + " says neither or both of API and Internal" : api ? "API" : "Internal";
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    @Test
    void apiPackagesAreExportedAndInternalOnesOnlyToCm4j() {
        List<String> offenders = new ArrayList<>();
        for (String folder : new TreeSet<>(MODULES.keySet())) {
            ModuleDescriptor d = descriptor(folder);
            Map<String, Set<String>> exports = new TreeMap<>();
            for (ModuleDescriptor.Exports e : d.exports()) {
                exports.put(e.source(), e.isQualified() ? e.targets() : Set.of());
            }
            for (String pkg : new TreeSet<>(d.packages())) {
                String status = status(folder, pkg);
                Set<String> targets = exports.get(pkg);
                if (status.equals("API")) {
                    if (targets == null || !targets.isEmpty()) {
                        offenders.add(d.name() + ": the API package " + pkg + " is "
                                + (targets == null ? "not exported" : "exported only to " + targets));
                    }
                } else if (status.equals("Internal")) {
                    if (targets != null && (targets.isEmpty() || !MODULES.values().containsAll(targets))) {
                        offenders.add(d.name() + ": the internal package " + pkg + " is exported to "
                                + (targets.isEmpty() ? "everyone" : targets));
                    }
                } else {
                    offenders.add(status);
                }
            }
            if (!d.opens().stream().allMatch(o -> o.targets().equals(Set.of("com.fasterxml.jackson.databind")))) {
                offenders.add(d.name() + " opens a package to more than Jackson: " + d.opens());
            }
        }
        assertEquals(List.of(), offenders, "the module descriptors and the package documentation disagree");
    }

    @Test
    void theInternalPackagesNamedInTheDocumentationAreNotApi() {
        Set<String> consistency = exported(descriptor("consistency"));
        assertTrue(consistency.contains("dev.cm4j.consistency.api"), "the facade is exported: " + consistency);
        for (String internal : List.of("dev.cm4j.consistency.analytic", "dev.cm4j.consistency.toy")) {
            assertTrue(!consistency.contains(internal), internal + " is exported: " + consistency);
        }
        ModuleDescriptor tensor = descriptor("tensor");
        assertTrue(!exported(tensor).contains("dev.cm4j.tensor.kernels"), "the kernels are exported to everyone");
        assertTrue(tensor.packages().contains("dev.cm4j.tensor.kernels"), "the kernels are in dev.cm4j.tensor");
    }

    @Test
    void theVectorApiIsOptionalAtRunTimeAndBackendsAreServices() {
        ModuleDescriptor tensor = descriptor("tensor");
        ModuleDescriptor.Requires vector = tensor.requires().stream()
                .filter(r -> r.name().equals("jdk.incubator.vector")).findFirst().orElseThrow();
        assertEquals(Set.of(ModuleDescriptor.Requires.Modifier.STATIC), vector.modifiers(),
                "a JVM without --add-modules jdk.incubator.vector must still resolve dev.cm4j.tensor");
        assertEquals(Set.of("dev.cm4j.tensor.backend.BackendProvider"), tensor.uses());
    }

    /** The packages a descriptor exports to everyone. */
    private static Set<String> exported(ModuleDescriptor d) {
        Set<String> out = new TreeSet<>();
        d.exports().stream().filter(e -> !e.isQualified()).forEach(e -> out.add(e.source()));
        return out;
    }
}
