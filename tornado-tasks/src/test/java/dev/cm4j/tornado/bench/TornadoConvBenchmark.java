package dev.cm4j.tornado.bench;

import java.util.concurrent.TimeUnit;

import dev.cm4j.tensor.Rng;
import dev.cm4j.tensor.backend.Backend;
import dev.cm4j.tensor.kernels.ConvolutionShape;
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
 * conv2d forward, 3x3, stride 1, padding 1, with bias: the CPU backend against the TornadoVM backend. One call per
 * JMH invocation (single-shot), so the first invocation of a fresh fork is the first execution of a plan (TornadoVM
 * JIT plus OpenCL build plus run) and later ones are warm; {@link TornadoBenchmarks} runs both modes and writes the
 * device beside every score.
 *
 * <p>{@code shape} is "cin x cout x size" (square images).
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.SingleShotTime)
@OutputTimeUnit(TimeUnit.MILLISECONDS)
public class TornadoConvBenchmark {
    @Param({"1x64x28", "64x64x28", "128x128x14", "256x256x7", "64x64x32", "128x128x16"})
    public String shape;

    @Param({"64"})
    public int batch;

    @Param({"cpu", "tornado-parallel", "tornado-tiled"})
    public String impl;

    private Backend backend;
    private ConvolutionShape s;
    private float[] x;
    private float[] w;
    private float[] bias;
    private float[] y;

    @Setup(Level.Trial)
    public void setUp() {
        String[] p = shape.split("x");
        int size = Integer.parseInt(p[2]);
        s = new ConvolutionShape(batch, Integer.parseInt(p[0]), size, size, Integer.parseInt(p[1]), 3, 3, 1, 1);
        Rng rng = new Rng(5);
        x = rng.normal(s.n(), s.c(), s.h(), s.w()).data();
        w = rng.normal(s.k(), s.c(), 3, 3).data();
        bias = rng.normal(s.k()).data();
        y = new float[(int) s.outputSize()];
        backend = BenchBackend.open(impl);
        System.out.println("\ndevice: " + BenchBackend.device(backend) + "; " + gflop() + " GFLOP per call");
    }

    /** 2 K C kh kw Ho Wo N flops, in GFLOP. */
    double gflop() {
        return 2.0 * s.outputSize() * s.c() * 9 / 1e9;
    }

    @Benchmark
    public float conv2d() {
        backend.conv2d(s, x, 0, w, 0, bias, 0, y, 0);
        return y[0];
    }

    @TearDown(Level.Trial)
    public void tearDown() {
        BenchBackend.close(backend);
    }
}
