package dev.cm4j.cli;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.cm4j.consistency.api.ConsistencyModel;
import dev.cm4j.consistency.api.Sampling;
import dev.cm4j.consistency.model.ImageCheckpoint;
import dev.cm4j.models.unet.UNet;
import dev.cm4j.tensor.Rng;
import java.awt.image.BufferedImage;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.jar.JarEntry;
import java.util.jar.JarOutputStream;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * examples/sample-fashion-mnist built and run as a user's project would be: against cm4j's artifacts in a local
 * repository, importing cm4j-bom. The artifacts of this build (the modules' jars, or their classes when the reactor
 * stopped before {@code package}, and their poms) are laid out in a temporary repository; the example is copied to a
 * temporary folder and packaged offline by the Maven wrapper ({@code ./mvnw -o package}) with
 * {@code -Dmaven.repo.local} on that repository and {@code -Dmaven.repo.local.tail} on the user's own, which is only
 * read (plugins and third-party jars). Nothing is written to ~/.m2 or to the source tree. The example's jar then
 * samples a tiny random U-Net checkpoint written here; its PNGs must equal the ones the facade gives in this JVM for
 * the same seed.
 */
class ExampleProjectTest {
    private static final String EXAMPLE = "examples/sample-fashion-mnist";
    private static final List<String> MODULES = List.of("tensor", "autodiff", "models", "consistency");
    /**
     * The plugins the example's build needs from the user's repository: the versions the cm4j build itself uses, so
     * a repository that built cm4j has them.
     */
    private static final List<String> PLUGINS = List.of("org/apache/maven/plugins/maven-toolchains-plugin/3.2.0",
            "org/apache/maven/plugins/maven-compiler-plugin/3.13.0",
            "org/apache/maven/plugins/maven-surefire-plugin/3.5.4", "org/apache/maven/plugins/maven-jar-plugin/3.4.2",
            "org/apache/maven/plugins/maven-shade-plugin/3.6.0");
    private static final long TIMEOUT_S = 300;

    @Test
    void theExampleBuildsAgainstTheArtifactsAndSamples(@TempDir Path tmp) throws Exception {
        String version = System.getProperty("cm4j.version");
        String userRepo = System.getProperty("cm4j.localRepository");
        assertNotNull(version, "cm4j.version is not set: run this test through Maven (cli/pom.xml sets it)");
        assertNotNull(userRepo, "cm4j.localRepository is not set: run this test through Maven (cli/pom.xml sets it)");
        Path root = Path.of("").toAbsolutePath().getParent();
        Path mvnw = root.resolve("mvnw");
        assertTrue(Files.isRegularFile(root.resolve(EXAMPLE).resolve("pom.xml")), "no " + EXAMPLE + " under " + root);
        assertTrue(Files.isExecutable(mvnw), mvnw + " is missing or not executable");
        List<String> missing = PLUGINS.stream().filter(p -> !Files.isDirectory(Path.of(userRepo, p))).toList();
        assumeTrue(missing.isEmpty(), "skipped: the example's build needs these plugins in " + userRepo
                + ", which an offline build cannot download: " + missing);
        String bom = Files.readString(root.resolve("bom/pom.xml"));
        List<String> versions = Pattern.compile("<version>([^<]*)</version>").matcher(bom).results()
                .map(r -> r.group(1)).toList();
        assertTrue(versions.size() >= 7 && versions.stream().allMatch(version::equals), "bom/pom.xml: its own "
                + "version and its artifacts' must be the reactor's " + version + ", found " + versions);

        Path repo = tmp.resolve("repo");
        install(repo, "cm4j-parent", version, root.resolve("pom.xml"), null);
        install(repo, "cm4j-bom", version, root.resolve("bom/pom.xml"), null);
        for (String m : MODULES) {
            install(repo, "cm4j-" + m, version, root.resolve(m).resolve("pom.xml"), jar(root.resolve(m), "cm4j-" + m,
                    version, tmp));
        }
        Path project = tmp.resolve("example");
        copyTree(root.resolve(EXAMPLE), project);
        Path checkpoint = tmp.resolve("cd.safetensors");
        UNet.Config tiny = new UNet.Config(8, 1, 1, 8, List.of(1), 1, List.of(), 0f, 0, 1, -1, false, false,
                false, 4);
        ImageCheckpoint.write(checkpoint, "cd", new UNet(tiny, new Rng(7)), 1);
        Path out = tmp.resolve("out");
        Files.createDirectories(out);

        List<String> build = List.of(mvnw.toString(), "-B", "-o", "-q", "-f", project.resolve("pom.xml").toString(),
                "-Dmaven.repo.local=" + repo, "-Dmaven.repo.local.tail=" + userRepo, "package");
        long t0 = System.nanoTime();
        String buildLog = run(build, project, tmp.resolve("build.log"));
        double buildSeconds = (System.nanoTime() - t0) / 1e9;
        Path jar = project.resolve("target/sample.jar");
        assertTrue(Files.isRegularFile(jar), "the example's build wrote no " + jar + "\n" + buildLog);
        long t1 = System.nanoTime();
        String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        String runLog = run(List.of(java, "--add-modules", "jdk.incubator.vector", "-jar", jar.toString(),
                checkpoint.toString(), out.toString()), project, tmp.resolve("run.log"));
        double runSeconds = (System.nanoTime() - t1) / 1e9;
        System.out.printf("ExampleProjectTest: %s built in %.1f s, ran in %.1f s%n", EXAMPLE, buildSeconds,
                runSeconds);
        assertTrue(runLog.contains("wrote one-step.png and two-step.png"), runLog);

        // the example's samples are the facade's in this JVM, pixel for pixel
        ConsistencyModel model = ConsistencyModel.load(checkpoint);
        ConsistencyModel.savePng(model.sample(16, Sampling.oneStep(), 42), tmp.resolve("one-step.png"));
        ConsistencyModel.savePng(model.sample(16, Sampling.sigmas(80, 0.821), 42), tmp.resolve("two-step.png"));
        for (String png : List.of("one-step.png", "two-step.png")) {
            assertArrayEquals(pixels(tmp.resolve(png)), pixels(out.resolve(png)), png);
        }
    }

    /** Runs {@code cmd} in {@code dir} with this JVM's JDK as JAVA_HOME; its output, or a failure that shows it. */
    private static String run(List<String> cmd, Path dir, Path log) throws IOException, InterruptedException {
        ProcessBuilder pb = new ProcessBuilder(cmd).directory(dir.toFile()).redirectErrorStream(true)
                .redirectOutput(log.toFile());
        Map<String, String> env = pb.environment();
        env.put("JAVA_HOME", System.getProperty("java.home"));
        env.remove("MAVEN_OPTS");
        env.remove("MAVEN_ARGS");
        Process p = pb.start();
        boolean done = p.waitFor(TIMEOUT_S, TimeUnit.SECONDS);
        if (!done) {
            p.destroyForcibly().waitFor();
        }
        String out = new String(Files.readAllBytes(log), StandardCharsets.UTF_8);
        if (!done || p.exitValue() != 0) {
            fail((done ? "exit code " + p.exitValue() : "ran past " + TIMEOUT_S + " s") + ": " + String.join(" ", cmd)
                    + "\n" + out);
        }
        return out;
    }

    /** Lays out a pom (and a jar) as a local repository holds them: dev/cm4j/ARTIFACT/VERSION/ARTIFACT-VERSION.*. */
    private static void install(Path repo, String artifact, String version, Path pom, Path jar) throws IOException {
        Path dir = repo.resolve("dev/cm4j").resolve(artifact).resolve(version);
        Files.createDirectories(dir);
        Files.copy(pom, dir.resolve(artifact + "-" + version + ".pom"));
        if (jar != null) {
            Files.copy(jar, dir.resolve(artifact + "-" + version + ".jar"));
        }
    }

    /** The module's jar of this build, or one made of its classes when the build stopped before package. */
    private static Path jar(Path module, String artifact, String version, Path tmp) throws IOException {
        Path built = module.resolve("target").resolve(artifact + "-" + version + ".jar");
        Path classes = module.resolve("target/classes");
        assertTrue(Files.isDirectory(classes), classes + " is missing: build the modules first");
        if (Files.isRegularFile(built) && Files.getLastModifiedTime(built).compareTo(newest(classes)) >= 0) {
            return built;
        }
        Path jar = tmp.resolve(artifact + ".jar");
        try (OutputStream os = Files.newOutputStream(jar); JarOutputStream out = new JarOutputStream(os);
             Stream<Path> files = Files.walk(classes)) {
            for (Path f : files.filter(Files::isRegularFile).sorted().toList()) {
                out.putNextEntry(new JarEntry(classes.relativize(f).toString().replace('\\', '/')));
                Files.copy(f, out);
                out.closeEntry();
            }
        }
        return jar;
    }

    private static java.nio.file.attribute.FileTime newest(Path dir) throws IOException {
        try (Stream<Path> files = Files.walk(dir)) {
            return files.filter(Files::isRegularFile).map(f -> {
                try {
                    return Files.getLastModifiedTime(f);
                } catch (IOException e) {
                    throw new java.io.UncheckedIOException(e);
                }
            }).max(java.nio.file.attribute.FileTime::compareTo).orElse(java.nio.file.attribute.FileTime.fromMillis(0));
        }
    }

    /** The example's sources and pom, without a target folder an earlier build by hand may have left. */
    private static void copyTree(Path from, Path to) throws IOException {
        List<Path> all = new ArrayList<>();
        try (Stream<Path> files = Files.walk(from)) {
            files.filter(f -> !from.relativize(f).startsWith("target")).forEach(all::add);
        }
        for (Path f : all) {
            Path t = to.resolve(from.relativize(f).toString());
            if (Files.isDirectory(f)) {
                Files.createDirectories(t);
            } else {
                Files.copy(f, t, StandardCopyOption.COPY_ATTRIBUTES);
            }
        }
    }

    private static int[] pixels(Path png) throws IOException {
        BufferedImage img = ImageIO.read(png.toFile());
        assertNotNull(img, png + " is not a PNG");
        return img.getRGB(0, 0, img.getWidth(), img.getHeight(), null, 0, img.getWidth());
    }
}
