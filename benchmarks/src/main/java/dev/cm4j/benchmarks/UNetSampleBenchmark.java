package dev.cm4j.benchmarks;

import dev.cm4j.autodiff.NoGrad;
import dev.cm4j.autodiff.Var;
import dev.cm4j.models.unet.UNet;
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
 * One-step sampling with the 28x28 U-Net ({@link UNet.Config#small28()}, 1.74M parameters): one forward pass on
 * (B, 1, 28, 28) with per-sample noise levels, in eval mode under {@link NoGrad}, so no tape is recorded and every
 * activation is garbage as soon as the next layer has read it. This is the network evaluation of a one-step
 * consistency sample (the preconditioning around it is a few elementwise ops). Images per second = batch / time.
 *
 * <p>Run: {@code java -jar benchmarks/target/benchmarks.jar UNetSample}; with another collector
 * {@code -jvmArgsAppend "--add-modules jdk.incubator.vector -Xmx8g -XX:+UseParallelGC"} (the option replaces the
 * arguments below, so repeat the module).
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MILLISECONDS)
@Warmup(iterations = 4, time = 3)
@Measurement(iterations = 6, time = 3)
@Fork(value = 1, jvmArgsAppend = {"--add-modules", "jdk.incubator.vector", "-Xmx8g"})
public class UNetSampleBenchmark {
    @Param({"16", "64", "256"})
    int batch;

    private UNet net;
    private Var x;
    private Var cNoise;

    @Setup(Level.Trial)
    public void setUp() {
        Rng rng = new Rng(1);
        net = new UNet(UNet.Config.small28(), rng);
        net.eval();
        x = Var.constant(rng.normal(batch, 1, 28, 28));
        cNoise = Var.constant(rng.uniform(-2f, 2f, batch));
    }

    @Benchmark
    @SuppressWarnings("try")
    public float sample() {
        try (NoGrad ignored = NoGrad.enter()) {
            // one element of the output, so the whole forward pass counts as used
            Var y = net.forward(x, cNoise, null);
            return y.value().data()[y.value().offset()];
        }
    }
}
