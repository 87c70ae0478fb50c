package dev.cm4j.consistency;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/**
 * The rules of docs/ARCHITECTURE.md that a reader relies on, checked on the sources of the reactor (tests run in the
 * module's folder, so the reactor is its parent): samplers and the model side never reach into training, every
 * package says what it holds, and source comments cite pages inside the repository.
 */
class PackageRulesTest {
    private static final Path REACTOR = Path.of("..").toAbsolutePath().normalize();

    private static List<Path> mainSources() {
        List<Path> out = new ArrayList<>();
        try (Stream<Path> modules = Files.list(REACTOR)) {
            for (Path m : modules.filter(p -> Files.isDirectory(p.resolve("src/main/java"))).toList()) {
                try (Stream<Path> files = Files.walk(m.resolve("src/main/java"))) {
                    files.filter(p -> p.toString().endsWith(".java")).forEach(out::add);
                }
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return out;
    }

    private static String read(Path p) {
        try {
            return Files.readString(p);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    @Test
    void samplingModelAndNoiseNeverImportTraining() {
        List<String> offenders = new ArrayList<>();
        for (Path p : mainSources()) {
            String s = p.toString().replace('\\', '/');
            boolean lower = s.contains("/dev/cm4j/consistency/sampling/") || s.contains("/dev/cm4j/consistency/model/")
                    || s.contains("/dev/cm4j/consistency/noise/");
            if (lower && read(p).contains("dev.cm4j.consistency.train")) {
                offenders.add(REACTOR.relativize(p).toString());
            }
        }
        assertTrue(mainSources().size() > 100, "the reactor's sources were found under " + REACTOR);
        assertEquals(List.of(), offenders, "these files of sampling/model/noise use the train package");
    }

    @Test
    void everyPackageHasAPackageInfo() {
        List<String> missing = mainSources().stream()
                .filter(p -> !p.getFileName().toString().equals("module-info.java"))
                .map(Path::getParent).distinct()
                .filter(d -> !Files.exists(d.resolve("package-info.java")))
                .map(d -> REACTOR.relativize(d).toString()).sorted().toList();
        assertEquals(List.of(), missing, "packages without a package-info.java");
    }

    @Test
    void commentsCitePagesOfTheRepository() {
        List<String> offenders = new ArrayList<>();
        for (Path p : mainSources()) {
            String s = read(p);
            if (s.contains("CM-SPEC") || s.contains("shared/docs")) {
                offenders.add(REACTOR.relativize(p).toString());
            }
            java.util.regex.Matcher m = java.util.regex.Pattern.compile("docs/([A-Z]+\\.md)(#[a-z0-9-]+)?").matcher(s);
            while (m.find()) {
                Path page = REACTOR.resolve("docs").resolve(m.group(1));
                if (!Files.exists(page)) {
                    offenders.add(REACTOR.relativize(p) + " cites the missing page " + m.group(1));
                } else if (m.group(2) != null && !anchors(page).contains(m.group(2).substring(1))) {
                    offenders.add(REACTOR.relativize(p) + " cites the missing section " + m.group());
                }
            }
        }
        assertEquals(List.of(), offenders, "citations outside the repository or of missing pages and sections");
    }

    /** GitHub-style anchors of a page's headings: lower case, spaces to hyphens, punctuation dropped. */
    private static List<String> anchors(Path page) {
        return read(page).lines().filter(l -> l.startsWith("#"))
                .map(l -> l.replaceFirst("^#+\\s*", "").toLowerCase().replaceAll("[^a-z0-9 _-]", "")
                        .replace(' ', '-'))
                .toList();
    }
}
