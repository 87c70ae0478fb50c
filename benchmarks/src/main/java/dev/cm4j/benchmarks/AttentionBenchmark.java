package dev.cm4j.benchmarks;

import dev.cm4j.tensor.Rng;
import dev.cm4j.tensor.backend.Backend;
import dev.cm4j.tensor.backend.Backends;
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
 * Attention core softmax(q^T k / sqrt(d)) v from a fused qkv (B, 3C, T), batch 64, C = 128, as in BASELINES.md
 * section c. The primary score is passes per second (ms per pass = 1000 / score); the {@code gflop} counter is GFLOPS
 * with the peer's conventions: forward 4*B*T^2*C, forward+backward 3x that.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
@Warmup(iterations = 3, time = 2)
@Measurement(iterations = 5, time = 2)
@Fork(value = 1, jvmArgsAppend = {"--add-modules", "jdk.incubator.vector"})
public class AttentionBenchmark {
    @Param({"49", "196"})
    public int tokens;

    @Param({"1", "4"})
    public int heads;

    @Param("64")
    public int batch;

    @Param("128")
    public int channels;

    private Backend backend;
    private float[] qkv;
    private float[] out;
    private float[] probs;
    private float[] dout;
    private float[] dqkv;

    @Setup
    public void setup() {
        backend = Backends.current();
        Rng rng = new Rng(7);
        qkv = rng.normal(batch, 3 * channels, tokens).toArray();
        dout = rng.normal(batch, channels, tokens).toArray();
        out = new float[batch * channels * tokens];
        probs = new float[batch * heads * tokens * tokens];
        dqkv = new float[qkv.length];
    }

    @Benchmark
    public void forward(Blackhole bh, Gflops flops) {
        backend.qkvAttention(batch, heads, channels / heads, tokens, qkv, 0, out, 0, probs, 0);
        bh.consume(out);
        flops.gflop += forwardGflop();
    }

    @Benchmark
    public void forwardBackward(Blackhole bh, Gflops flops) {
        backend.qkvAttention(batch, heads, channels / heads, tokens, qkv, 0, out, 0, probs, 0);
        backend.qkvAttentionBackward(batch, heads, channels / heads, tokens, dout, 0, qkv, 0, probs, 0, dqkv, 0);
        bh.consume(dqkv);
        flops.gflop += 3 * forwardGflop();
    }

    /** GFLOP of one forward pass: two (T x T x d) products per (batch, head). */
    private double forwardGflop() {
        return 4e-9 * batch * (double) tokens * tokens * channels;
    }
}
