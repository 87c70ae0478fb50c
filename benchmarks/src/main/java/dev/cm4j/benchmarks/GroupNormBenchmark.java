package dev.cm4j.benchmarks;

import dev.cm4j.tensor.Rng;
import dev.cm4j.tensor.kernels.GroupNormSilu;
import dev.cm4j.tensor.kernels.GroupNormalization;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Warmup;
import org.openjdk.jmh.infra.Blackhole;

/**
 * GroupNorm(32) on (64, 128, 14, 14), forward and forward+backward, as in BASELINES.md section d; and the same
 * GroupNorm fused with the SiLU after it ({@link GroupNormSilu}, the U-Net's GroupNorm -> SiLU).
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MILLISECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(value = 1, jvmArgsAppend = {"--add-modules", "jdk.incubator.vector"})
public class GroupNormBenchmark {
    private static final int N = 64;
    private static final int C = 128;
    private static final int S = 14 * 14;
    private static final int GROUPS = 32;

    private float[] x;
    private float[] gamma;
    private float[] beta;
    private float[] y;
    private float[] mean;
    private float[] rstd;
    private float[] dy;
    private float[] dx;
    private float[] dgamma;
    private float[] dbeta;

    @Setup
    public void setup() {
        Rng rng = new Rng(3);
        x = rng.normal(N, C, S).toArray();
        dy = rng.normal(N, C, S).toArray();
        gamma = rng.normal(C).toArray();
        beta = rng.normal(C).toArray();
        y = new float[x.length];
        dx = new float[x.length];
        mean = new float[N * GROUPS];
        rstd = new float[N * GROUPS];
        dgamma = new float[C];
        dbeta = new float[C];
    }

    @Benchmark
    public void forward(Blackhole bh) {
        GroupNormalization.forward(N, C, S, GROUPS, 1e-6f, x, 0, gamma, 0, beta, 0, y, 0, mean, rstd);
        bh.consume(y);
    }

    @Benchmark
    public void forwardBackward(Blackhole bh) {
        GroupNormalization.forward(N, C, S, GROUPS, 1e-6f, x, 0, gamma, 0, beta, 0, y, 0, mean, rstd);
        GroupNormalization.backward(N, C, S, GROUPS, dy, 0, x, 0, gamma, 0, mean, rstd, dx, 0, dgamma, dbeta);
        bh.consume(dx);
        bh.consume(dgamma);
    }

    @Benchmark
    public void siluForward(Blackhole bh) {
        GroupNormSilu.forward(N, C, S, GROUPS, 1e-6f, x, 0, gamma, 0, beta, 0, null, null, y, 0, mean, rstd);
        bh.consume(y);
    }

    @Benchmark
    public void siluForwardBackward(Blackhole bh) {
        GroupNormSilu.forward(N, C, S, GROUPS, 1e-6f, x, 0, gamma, 0, beta, 0, null, null, y, 0, mean, rstd);
        GroupNormSilu.backward(N, C, S, GROUPS, dy, 0, x, 0, gamma, 0, beta, 0, null, null, mean, rstd, dx, 0,
                dgamma, dbeta, null, null);
        bh.consume(dx);
        bh.consume(dgamma);
    }
}
