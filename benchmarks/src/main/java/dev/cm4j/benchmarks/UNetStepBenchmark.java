package dev.cm4j.benchmarks;

import dev.cm4j.autodiff.Losses;
import dev.cm4j.autodiff.Var;
import dev.cm4j.autodiff.optim.Adam;
import dev.cm4j.models.unet.UNet;
import dev.cm4j.tensor.BufferArena;
import dev.cm4j.tensor.BufferPool;
import dev.cm4j.tensor.Rng;
import java.util.concurrent.TimeUnit;
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
 * One training step of the 28x28 U-Net ({@link UNet.Config#small28()}, 1.74M parameters): forward on (B, 1, 28, 28)
 * with per-sample noise levels, MSE loss, backward, Adam. The fork runs G1 with a 4 GB heap: with the step's arrays
 * reused from a pool, G1 collects nothing in the measured steps, while the Parallel collector copies the pool's
 * long-lived arrays between its young spaces until it promotes them (docs/PERFORMANCE.md, "A memory plan for
 * training"). Another collector or heap: {@code -jvmArgs "-XX:+UseParallelGC -Xmx8g"} (replaces those two only).
 *
 * <p>Each step runs inside a {@link BufferArena}, as the trainers' steps do: activations and gradients reuse the
 * arrays of the step before ({@code -jvmArgsAppend -Dcm4j.tensor.pool=false} measures the step without).
 *
 * <p>Run: {@code java -jar benchmarks/target/benchmarks.jar UNetStep}.
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MILLISECONDS)
@Warmup(iterations = 4, time = 3)
@Measurement(iterations = 6, time = 3)
@Fork(value = 1, jvmArgs = {"-XX:+UseG1GC", "-Xmx4g"}, jvmArgsAppend = {"--add-modules", "jdk.incubator.vector"})
public class UNetStepBenchmark {
    /** Images per step; 16 to 128 show whether the time per image stays flat ({@code -p batch=32} runs one). */
    @Param({"16", "32", "64", "128"})
    int batch;

    private UNet net;
    private Adam adam;
    private Var x;
    private Var cNoise;
    private Var target;
    private final BufferPool pool = new BufferPool();

    @Setup(Level.Trial)
    public void setUp() {
        Rng rng = new Rng(1);
        net = new UNet(UNet.Config.small28(), rng);
        adam = new Adam(net.namedParameters(), 1e-4);
        x = Var.constant(rng.normal(batch, 1, 28, 28));
        cNoise = Var.constant(rng.uniform(-2f, 2f, batch));
        target = Var.constant(rng.normal(batch, 1, 28, 28));
    }

    @Benchmark
    public float step() {
        try (BufferArena arena = pool.open()) {
            adam.zeroGrad();
            Var loss = Losses.msePerSample(net.forward(x, cNoise, null), target).mean();
            loss.backward();
            adam.step();
            float value = loss.item();
            adam.zeroGrad();
            return value;
        }
    }
}
