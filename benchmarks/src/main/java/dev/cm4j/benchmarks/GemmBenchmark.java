package dev.cm4j.benchmarks;

import dev.cm4j.tensor.Rng;
import dev.cm4j.tensor.kernels.Gemm;
import dev.cm4j.tensor.kernels.GemmVector;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.AuxCounters;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Warmup;

/**
 * Square SGEMM, C (n, n) = A (n, n) B (n, n), for the Vector API and the scalar micro-kernel on 1 or 2 threads.
 *
 * <p>The primary score is products per second; the secondary {@code gflop} counter is GFLOPS (2 n^3 flops per
 * product). The peer to compare with is numpy.matmul on OpenBLAS measured in the same session (docs/PERFORMANCE.md).
 * Run one size: {@code java -jar benchmarks/target/benchmarks.jar GemmBenchmark -p n=1024 -p impl=vector}.
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
@Warmup(iterations = 4, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(value = 1, jvmArgsAppend = {"--add-modules", "jdk.incubator.vector", "-Xmx4g"})
public class GemmBenchmark {
    @Param({"128", "256", "512", "1024", "2048"})
    public int n;

    /** vector: the Vector API micro-kernel; scalar: the plain Java twin (what runs without the incubator module). */
    @Param({"vector", "scalar"})
    public String impl;

    /** Largest number of pool threads one product may use (the pool has -Dcm4j.threads, default all cores). */
    @Param({"1", "2"})
    public int threads;

    private float[] a;
    private float[] b;
    private float[] c;

    /** GFLOP done, reported by JMH as a rate: GFLOPS. */
    @State(Scope.Thread)
    @AuxCounters(AuxCounters.Type.OPERATIONS)
    public static class Flops {
        public double gflop;
    }

    @Setup(Level.Trial)
    public void setUp() {
        Rng rng = new Rng(1);
        a = new float[n * n];
        b = new float[n * n];
        c = new float[n * n];
        rng.fillUniform(a, 0, a.length, -1f, 1f);
        rng.fillUniform(b, 0, b.length, -1f, 1f);
    }

    @Benchmark
    public float[] sgemm(Flops flops) {
        if (impl.equals("vector")) {
            GemmVector.sgemm(threads, false, false, n, n, n, 1f, a, 0, n, b, 0, n, 0f, c, 0, n);
        } else {
            Gemm.sgemmScalar(threads, false, false, n, n, n, 1f, a, 0, n, b, 0, n, 0f, c, 0, n);
        }
        flops.gflop += 2e-9 * n * n * n;
        return c;
    }
}
