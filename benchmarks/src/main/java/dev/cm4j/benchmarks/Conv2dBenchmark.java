package dev.cm4j.benchmarks;

import dev.cm4j.tensor.Rng;
import dev.cm4j.tensor.backend.Backend;
import dev.cm4j.tensor.backend.Backends;
import dev.cm4j.tensor.kernels.ConvolutionReference;
import dev.cm4j.tensor.kernels.ConvolutionShape;
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
 * conv2d 3x3, padding 1, stride 1 (or 2: {@code -p stride=2}), with bias, batch 64, at the shapes of the peer table
 * (BASELINES.md section b) and of the small U-Net.
 * The primary score is passes per second (ms per pass = 1000 / score); the {@code gflop} counter is GFLOPS with the
 * peer's conventions: forward 2*B*Cout*H*W*Cin*9, forward+backward (data, weight, bias) 3x forward. Runs on
 * {@link Backends#current()}; {@code -jvmArgsAppend -Dcm4j.simd=false} measures the scalar path. One shape:
 * {@code java -jar benchmarks/target/benchmarks.jar Conv2dBenchmark -p shape=64-64-28}. {@code backwardData} and
 * {@code backwardWeight} time the two halves of the backward pass on their own.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
@Warmup(iterations = 3, time = 2)
@Measurement(iterations = 5, time = 2)
@Fork(value = 1, jvmArgsAppend = {"--add-modules", "jdk.incubator.vector"})
public class Conv2dBenchmark {
    /**
     * Cin-Cout-HW (input size); from "32-32-28" on the small U-Net's (UNet.Config.small28, there at batch 32:
     * -p batch=32), the last three from its decoder, where skip connections are concatenated.
     */
    @Param({"1-64-28", "64-64-28", "128-128-14", "256-256-7", "64-64-32", "128-128-16", "32-32-28", "64-64-14",
        "32-64-28", "96-32-28", "128-64-14", "128-64-7"})
    public String shape;

    /** 1, or 2 for a downsampling convolution (output HW/2, as the U-Net's Downsample). */
    @Param("1")
    public int stride;

    @Param("64")
    public int batch;

    private Backend backend;
    private ConvolutionShape s;
    private float[] x;
    private float[] w;
    private float[] bias;
    private float[] y;
    private float[] dy;
    private float[] dx;
    private float[] dw;
    private float[] db;

    @Setup
    public void setup() {
        String[] p = shape.split("-");
        int cin = Integer.parseInt(p[0]);
        int cout = Integer.parseInt(p[1]);
        int hw = Integer.parseInt(p[2]);
        s = new ConvolutionShape(batch, cin, hw, hw, cout, 3, 3, stride, 1);
        backend = Backends.current();
        Rng rng = new Rng(42);
        x = rng.normal(batch, cin, hw, hw).toArray();
        w = rng.normal(cout, cin, 3, 3).toArray();
        bias = rng.normal(cout).toArray();
        dy = rng.normal(batch, cout, s.outH(), s.outW()).toArray();
        y = new float[(int) s.outputSize()];
        dx = new float[(int) s.inputSize()];
        dw = new float[(int) s.weightSize()];
        db = new float[cout];
    }

    /** GFLOP of one forward pass. */
    private double forwardGflop() {
        return 2e-9 * s.n() * s.k() * s.outPlane() * s.patch();
    }

    @Benchmark
    public void forward(Blackhole bh, Gflops flops) {
        backend.conv2d(s, x, 0, w, 0, bias, 0, y, 0);
        bh.consume(y);
        flops.gflop += forwardGflop();
    }

    @Benchmark
    public void forwardBackward(Blackhole bh, Gflops flops) {
        backend.conv2d(s, x, 0, w, 0, bias, 0, y, 0);
        backend.conv2dBackwardData(s, dy, 0, w, 0, dx, 0);
        backend.conv2dBackwardWeight(s, dy, 0, x, 0, dw, 0);
        ConvolutionReference.backwardBias(s.n(), s.k(), s.outPlane(), dy, 0, db, 0);
        bh.consume(dx);
        bh.consume(dw);
        flops.gflop += 3 * forwardGflop();
    }

    /** The data gradient alone (one forward's worth of FLOPs): which half of the backward pass limits a shape. */
    @Benchmark
    public void backwardData(Blackhole bh, Gflops flops) {
        backend.conv2dBackwardData(s, dy, 0, w, 0, dx, 0);
        bh.consume(dx);
        flops.gflop += forwardGflop();
    }

    /** The weight and bias gradients alone (one forward's worth of FLOPs). */
    @Benchmark
    public void backwardWeight(Blackhole bh, Gflops flops) {
        backend.conv2dBackwardWeight(s, dy, 0, x, 0, dw, 0);
        ConvolutionReference.backwardBias(s.n(), s.k(), s.outPlane(), dy, 0, db, 0);
        bh.consume(dw);
        flops.gflop += forwardGflop();
    }
}
