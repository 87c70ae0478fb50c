package dev.cm4j.tornado.bench;

import java.util.concurrent.TimeUnit;

import dev.cm4j.tensor.Rng;
import dev.cm4j.tensor.backend.Backend;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;

/**
 * Multi-head attention forward over a fused qkv (B, 3C, T), writing out and the probabilities a backward pass needs:
 * the CPU backend against the TornadoVM backend (row kernel or flash kernel plus the probabilities pass). Single-shot
 * invocations, as {@link TornadoConvBenchmark}. {@code tokens} 49 and 196 are 7x7 and 14x14 feature maps.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.SingleShotTime)
@OutputTimeUnit(TimeUnit.MILLISECONDS)
public class TornadoAttentionBenchmark {
    @Param({"64"})
    public int batch;

    @Param({"128"})
    public int channels;

    @Param({"49", "196"})
    public int tokens;

    @Param({"1", "4"})
    public int heads;

    @Param({"cpu", "tornado-parallel", "tornado-tiled"})
    public String impl;

    private Backend backend;
    private float[] qkv;
    private float[] out;
    private float[] probs;

    @Setup(Level.Trial)
    public void setUp() {
        Rng rng = new Rng(6);
        qkv = rng.normal(batch, 3 * channels, tokens).data();
        out = new float[batch * channels * tokens];
        probs = new float[batch * heads * tokens * tokens];
        backend = BenchBackend.open(impl);
        System.out.println("\ndevice: " + BenchBackend.device(backend) + "; " + gflop() + " GFLOP per call");
    }

    /** Two T x T x d products per (batch, head): 4 B C T^2 flops, in GFLOP. */
    double gflop() {
        return 4.0 * batch * channels * tokens * tokens / 1e9;
    }

    @Benchmark
    public float attention() {
        backend.qkvAttention(batch, heads, channels / heads, tokens, qkv, 0, out, 0, probs, 0);
        return out[0];
    }

    @TearDown(Level.Trial)
    public void tearDown() {
        BenchBackend.close(backend);
    }
}
