package dev.cm4j.benchmarks;

import dev.cm4j.autodiff.LinearOps;
import dev.cm4j.autodiff.Losses;
import dev.cm4j.autodiff.Var;
import dev.cm4j.autodiff.optim.Adam;
import dev.cm4j.models.Linear;
import dev.cm4j.models.Sequential;
import dev.cm4j.models.SiLU;
import dev.cm4j.tensor.Rng;
import dev.cm4j.tensor.Tensor;
import dev.cm4j.tensor.kernels.Gemm;
import dev.cm4j.tensor.kernels.SiluGrad;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Warmup;

/**
 * The autodiff overhead on the 2-D toy MLP training step of BASELINES.md section (f): input 34 (x and a 32-d time
 * embedding), 4 x (Linear 256 + SiLU), Linear 2 (206,850 parameters), MSE loss, backward, Adam; batch 1024.
 *
 * <p>{@code autodiff} runs the step through {@link Var} and the layers; {@code rawKernels} makes the same kernel calls
 * by hand (the same GEMMs, SiLU forward and fused backward, bias reduction, loss ops and Adam update) with no graph.
 * The ratio autodiff / rawKernels is the overhead of recording and walking the tape; the peer is PyTorch's step
 * measured by shared/peers/bench_ops.py part f. Run: {@code java -jar benchmarks/target/benchmarks.jar MlpStep}.
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MILLISECONDS)
@Warmup(iterations = 5, time = 2)
@Measurement(iterations = 8, time = 2)
@Fork(value = 1, jvmArgsAppend = {"--add-modules", "jdk.incubator.vector", "-Xmx4g"})
public class MlpStepBenchmark {
    static final int BATCH = 1024;
    static final int[] WIDTHS = {34, 256, 256, 256, 256, 2};

    private Tensor x;
    private Tensor target;

    // the autodiff path
    private Sequential mlp;
    private Adam adam;

    // the hand-written path: the same parameters as leaves, gradients set directly
    private Var[] weights;
    private Var[] biases;
    private Adam rawAdam;

    @Setup(Level.Trial)
    public void setUp() {
        Rng rng = new Rng(1);
        x = rng.normal(BATCH, WIDTHS[0]);
        target = rng.normal(BATCH, WIDTHS[WIDTHS.length - 1]);
        mlp = new Sequential();
        int layers = WIDTHS.length - 1;
        for (int l = 0; l < layers; l++) {
            mlp.add(new Linear(WIDTHS[l], WIDTHS[l + 1], rng));
            if (l < layers - 1) {
                mlp.add(new SiLU());
            }
        }
        adam = new Adam(mlp.namedParameters(), 1e-4);
        weights = new Var[layers];
        biases = new Var[layers];
        java.util.Map<String, Var> named = new java.util.LinkedHashMap<>();
        for (int l = 0; l < layers; l++) {
            Linear src = (Linear) mlp.get(2 * l);
            weights[l] = Var.param(src.weight().value().copy());
            biases[l] = Var.param(src.bias().value().copy());
            named.put(l + ".weight", weights[l]);
            named.put(l + ".bias", biases[l]);
        }
        rawAdam = new Adam(named, 1e-4);
    }

    /** zero_grad, forward, MSE, backward, Adam step through the tape. */
    @Benchmark
    public float autodiff() {
        adam.zeroGrad();
        Var loss = Losses.msePerSample(mlp.forward(Var.constant(x)), Var.constant(target)).mean();
        loss.backward();
        adam.step();
        return loss.item();
    }

    /** The same kernels called by hand, no graph. */
    @Benchmark
    public float rawKernels() {
        int layers = weights.length;
        Tensor[] inputs = new Tensor[layers];   // input of each Linear
        Tensor[] preActs = new Tensor[layers];  // output of each Linear
        Tensor h = x;
        for (int l = 0; l < layers; l++) {
            inputs[l] = h;
            int in = WIDTHS[l], out = WIDTHS[l + 1];
            Tensor y = Tensor.zeros(BATCH, out);
            LinearOps.broadcastRows(y, biases[l].value());
            Tensor w = weights[l].value();
            Gemm.sgemm(false, true, BATCH, out, in, 1f, h.data(), h.offset(), in, w.data(), w.offset(), in,
                    1f, y.data(), 0, out);
            preActs[l] = y;
            h = l < layers - 1 ? y.silu() : y;
        }
        // loss = mean over samples of mean over outputs of (pred - target)^2, and its gradient
        int outs = WIDTHS[layers];
        Tensor diff = h.sub(target);
        float loss = diff.square().sum(false, 1).div(outs).mean().item();
        Tensor g = Tensor.full(1f / BATCH, BATCH).div(outs).reshape(BATCH, 1).broadcastTo(BATCH, outs)
                .mul(diff).mul(2f);
        for (int l = layers - 1; l >= 0; l--) {
            int in = WIDTHS[l], out = WIDTHS[l + 1];
            if (l < layers - 1) {
                Tensor dPre = Tensor.zeros(BATCH, out);
                SiluGrad.apply(g.data(), g.offset(), preActs[l].data(), 0, dPre.data(), 0, BATCH * out);
                g = dPre;
            }
            Tensor xin = inputs[l];
            Tensor dw = Tensor.zeros(out, in);
            Gemm.sgemm(true, false, out, in, BATCH, 1f, g.data(), g.offset(), out, xin.data(), xin.offset(), in,
                    0f, dw.data(), 0, in);
            weights[l].zeroGrad();
            weights[l].accumulateGrad(dw);
            biases[l].zeroGrad();
            biases[l].accumulateGrad(g.sum(false, 0));
            if (l > 0) {
                Tensor dx = Tensor.zeros(BATCH, in);
                Tensor w = weights[l].value();
                Gemm.sgemm(false, false, BATCH, in, out, 1f, g.data(), g.offset(), out, w.data(), w.offset(), in,
                        0f, dx.data(), 0, in);
                g = dx;
            }
        }
        rawAdam.step();
        return loss;
    }
}
