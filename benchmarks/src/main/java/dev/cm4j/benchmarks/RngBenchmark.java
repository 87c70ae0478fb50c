package dev.cm4j.benchmarks;

import dev.cm4j.tensor.Rng;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Warmup;
import org.openjdk.jmh.infra.Blackhole;

/**
 * Bulk Philox draws of 2^20 floats: uniform numbers (dropout masks) and normal numbers (the noise of every training
 * step). {@code simd} selects the vector Philox or the scalar reference; both give the same bits.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(value = 1, jvmArgsAppend = {"--add-modules", "jdk.incubator.vector"})
public class RngBenchmark {
    @Param({"true", "false"})
    public String simd;

    private final float[] out = new float[1 << 20];
    private Rng rng;

    @Setup
    public void setup() {
        System.setProperty("cm4j.simd", simd);
        rng = new Rng(9);
    }

    @Benchmark
    public void uniform(Blackhole bh) {
        rng.fillUniform(out, 0, out.length, 0f, 1f);
        bh.consume(out);
    }

    @Benchmark
    public void normal(Blackhole bh) {
        rng.fillNormal(out, 0, out.length);
        bh.consume(out);
    }
}
