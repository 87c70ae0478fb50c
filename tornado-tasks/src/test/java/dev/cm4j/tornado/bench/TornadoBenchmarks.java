package dev.cm4j.tornado.bench;

import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

import dev.cm4j.tornado.TornadoBackendProvider;
import org.openjdk.jmh.infra.BenchmarkParams;
import org.openjdk.jmh.results.BenchmarkResult;
import org.openjdk.jmh.results.IterationResult;
import org.openjdk.jmh.results.RunResult;
import org.openjdk.jmh.runner.Runner;
import org.openjdk.jmh.runner.RunnerException;
import org.openjdk.jmh.runner.options.ChainedOptionsBuilder;
import org.openjdk.jmh.runner.options.OptionsBuilder;

/**
 * Runs {@link TornadoConvBenchmark} and {@link TornadoAttentionBenchmark} with JMH's Runner API and writes one line
 * per (benchmark, parameters, implementation): the first-execution time and the warm time, and the device.
 *
 * <p>TornadoVM runs get one fresh fork each with no JMH warm-up: iteration 0 is the first execution of the plan,
 * the rest are warm. CPU runs get two warm-up iterations. Start it with TornadoVM's JVM flags (forks inherit them):
 * <pre>
 * java @$TORNADOVM_HOME/tornado-argfile -cp "$(cat tornado-tasks/target/test-classpath.txt)" \
 *     dev.cm4j.tornado.bench.TornadoBenchmarks [conv] [attention] [large] [scalar] [param=value ...]
 * </pre>
 * {@code scalar} adds the CPU backend without the Vector API (a fork with -Dcm4j.simd=false). Results go to stdout
 * and to tornado-tasks/target/tornado-benchmarks.txt.
 */
public final class TornadoBenchmarks {

    private TornadoBenchmarks() {
    }

    public static void main(String[] args) throws RunnerException, IOException {
        List<String> groups = new ArrayList<>();
        Map<String, String> overrides = new TreeMap<>();    // key=value arguments narrow a parameter, e.g. tokens=49
        for (String a : args) {
            if (a.contains("=")) {
                overrides.put(a.substring(0, a.indexOf('=')), a.substring(a.indexOf('=') + 1));
            } else {
                groups.add(a);
            }
        }
        if (groups.isEmpty() || groups.equals(List.of("scalar"))) {
            groups.addAll(List.of("conv", "attention", "large"));
        }
        boolean scalar = groups.contains("scalar");
        String tornado = TornadoBackendProvider.status();
        List<String> lines = new ArrayList<>();
        lines.add("# cm4j TornadoVM benchmarks; TornadoVM device: " + tornado + "; CPU: " + BenchBackend.cpuModel());
        lines.add(String.format("%-20s %-34s %-17s %10s %10s %8s  %s", "benchmark", "params", "impl", "first ms",
                "warm ms", "GFLOPS", "device"));
        String conv = TornadoConvBenchmark.class.getName() + ".conv2d";
        String attn = TornadoAttentionBenchmark.class.getName() + ".attention";
        if (groups.contains("conv")) {
            run(lines, conv, overrides, scalar, 2);
        }
        if (groups.contains("attention")) {
            run(lines, attn, overrides, scalar, 2);
        }
        if (groups.contains("large")) {
            // a 64x64 model's first level at batch 128, and attention at its 16x16 level (T = 256)
            run(lines, conv, Map.of("batch", "128", "shape", "64x64x64"), scalar, 1);
            run(lines, attn, Map.of("batch", "128", "tokens", "256", "heads", "4"), scalar, 1);
        }
        lines.forEach(System.out::println);
        Path out = Path.of("tornado-tasks", "target", "tornado-benchmarks.txt");
        Files.createDirectories(out.getParent());
        Files.write(out, lines);
        System.out.println("written to " + out.toAbsolutePath());
    }

    /** CPU warm runs (and scalar ones if asked), then one fresh fork per TornadoVM implementation: 1 + warm calls. */
    private static void run(List<String> lines, String benchmark, Map<String, String> params, boolean scalar,
                            int warm) throws RunnerException {
        List<String> jvm = new ArrayList<>(ManagementFactory.getRuntimeMXBean().getInputArguments());
        report(lines, new Runner(options(benchmark, params, jvm, "cpu").warmupIterations(2)
                .measurementIterations(3).build()).run(), false);
        if (scalar) {
            List<String> scalarJvm = new ArrayList<>(jvm);
            scalarJvm.add("-Dcm4j.simd=false");
            report(lines, new Runner(options(benchmark, params, scalarJvm, "cpu").warmupIterations(1)
                    .measurementIterations(2).build()).run(), false);
        }
        report(lines, new Runner(options(benchmark, params, jvm, "tornado-parallel", "tornado-tiled")
                .warmupIterations(0).measurementIterations(1 + warm).build()).run(), true);
    }

    private static ChainedOptionsBuilder options(String benchmark, Map<String, String> params, List<String> jvm,
                                                 String... impls) {
        ChainedOptionsBuilder o = new OptionsBuilder().include("^" + benchmark.replace(".", "\\.") + "$")
                .forks(1).jvmArgs(jvm.toArray(new String[0])).param("impl", impls).shouldFailOnError(true);
        params.forEach(o::param);
        return o;
    }

    private static void report(List<String> lines, Collection<RunResult> results, boolean firstIsCold) {
        for (RunResult r : results) {
            BenchmarkParams p = r.getParams();
            Map<String, String> shown = new TreeMap<>();
            for (String key : p.getParamsKeys()) {
                if (!key.equals("impl")) {
                    shown.put(key, p.getParam(key));
                }
            }
            List<Double> scores = new ArrayList<>();
            for (BenchmarkResult br : r.getBenchmarkResults()) {
                for (IterationResult ir : br.getIterationResults()) {
                    scores.add(ir.getPrimaryResult().getScore());
                }
            }
            double first = firstIsCold ? scores.get(0) : Double.NaN;
            List<Double> warm = firstIsCold ? scores.subList(1, scores.size()) : scores;
            double warmMs = warm.stream().mapToDouble(Double::doubleValue).average().orElse(Double.NaN);
            String impl = p.getParam("impl");
            boolean scalarRun = p.getJvmArgs().contains("-Dcm4j.simd=false");
            String name = p.getBenchmark().substring(p.getBenchmark().lastIndexOf('.') + 1);
            lines.add(String.format("%-20s %-34s %-17s %10s %10.1f %8.2f  %s", name, shown,
                    impl + (scalarRun ? "-scalar" : ""), firstIsCold ? String.format("%.0f", first) : "-", warmMs,
                    gflop(name, shown) / (warmMs / 1e3), device(impl, scalarRun)));
        }
    }

    private static double gflop(String name, Map<String, String> p) {
        int batch = Integer.parseInt(p.get("batch"));
        if (name.equals("conv2d")) {
            String[] s = p.get("shape").split("x");
            int size = Integer.parseInt(s[2]);
            return 2.0 * batch * Integer.parseInt(s[0]) * Integer.parseInt(s[1]) * 9 * size * size / 1e9;
        }
        double t = Integer.parseInt(p.get("tokens"));
        return 4.0 * batch * Integer.parseInt(p.get("channels")) * t * t / 1e9;
    }

    private static String device(String impl, boolean scalarRun) {
        if (impl.startsWith("tornado")) {
            return TornadoBackendProvider.status();
        }
        return "JVM on " + BenchBackend.cpuModel() + (scalarRun ? " (scalar kernels)" : " (Vector API kernels)");
    }
}
