package dev.cm4j.tornado;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Function;

import dev.cm4j.tensor.backend.Backend;
import dev.cm4j.tensor.backend.Backends;
import dev.cm4j.tensor.kernels.ConvolutionShape;

/**
 * The TornadoVM backend: convolutions, attention and large GEMMs run as TornadoVM task graphs on its default device.
 *
 * <p>One execution plan per operation and shape is built on first use and cached (the first call of a shape pays
 * TornadoVM's JIT and the OpenCL/PTX build, seconds; later calls move data and launch). {@link #close()} frees every
 * plan's device memory. Calls are serialised: a plan's device buffers serve one call at a time.
 *
 * <p>Kernels ({@code -Dcm4j.tornado.kernels=tiled|parallel}): {@code tiled} runs the local-memory kernels
 * ({@link TiledConv}, {@link FlashAttention}) meant for GPUs; {@code parallel} runs the {@code @Parallel} shells over
 * the tensor module's per-element bodies, which PoCL-style CPU OpenCL devices vectorise better. The default is
 * tiled on GPUs and accelerators, parallel on CPU devices. Passes with one kernel only (convolution backward,
 * attention backward) use the shells; GEMM always uses {@link TiledGemm}.
 *
 * <p>GEMMs smaller than {@code -Dcm4j.tornado.gemmMinFlops} (default 2^24 flops; launch and transfer cost more than
 * the work) and attention with head dimensions above {@link FlashAttention#MAX_D} in tiled mode stay on the CPU
 * backend or the shell kernels respectively.
 */
public final class TornadoBackend implements Backend, AutoCloseable {
    public static final String NAME = "tornado";

    private final String device;
    private final boolean tiled;
    private final long gemmMinFlops;
    private final Map<Object, DevicePlan> plans = new LinkedHashMap<>();
    private boolean closed;

    /** The backend on TornadoVM's default device, with the kernel choice and GEMM threshold from system properties. */
    TornadoBackend(String device, boolean cpuDevice) {
        this(device, tiledFromProperty(cpuDevice), Long.getLong("cm4j.tornado.gemmMinFlops", 1L << 24));
    }

    /**
     * @param device       description of the device, for logs and benchmark results
     * @param tiled        local-memory kernels (true) or {@code @Parallel} shells (false)
     * @param gemmMinFlops GEMMs below 2mnk flops run on the CPU backend; 0 offloads all
     */
    public TornadoBackend(String device, boolean tiled, long gemmMinFlops) {
        this.device = device;
        this.tiled = tiled;
        this.gemmMinFlops = gemmMinFlops;
    }

    /** A backend on TornadoVM's default device; throws when TornadoVM is not usable in this JVM. */
    public static TornadoBackend open(boolean tiled, long gemmMinFlops) {
        String status = TornadoBackendProvider.status();
        if (status.startsWith("not available")) {
            throw new IllegalStateException("tornado backend: TornadoVM is " + status);
        }
        return new TornadoBackend(status, tiled, gemmMinFlops);
    }

    private static boolean tiledFromProperty(boolean cpuDevice) {
        String k = System.getProperty("cm4j.tornado.kernels", "").trim();
        return switch (k) {
            case "tiled" -> true;
            case "parallel" -> false;
            case "" -> !cpuDevice;
            default -> throw new IllegalArgumentException(
                    "tornado backend: -Dcm4j.tornado.kernels must be tiled or parallel, got '" + k + "'");
        };
    }

    @Override
    public String name() {
        return NAME;
    }

    /** The device the plans run on, e.g. "OPENCL [Portable Computing Language] pthread-... (CPU)". */
    public String device() {
        return device;
    }

    /** True when the local-memory (KernelContext) kernels are used. */
    public boolean tiled() {
        return tiled;
    }

    /** Number of cached execution plans. */
    public synchronized int planCount() {
        return plans.size();
    }

    @Override
    public synchronized void conv2d(ConvolutionShape s, float[] x, int xOff, float[] w, int wOff, float[] bias,
                                    int biasOff, float[] y, int yOff) {
        ConvPlans.Forward p = plan(new Key("conv2d", s), k -> new ConvPlans.Forward(s, tiled));
        p.run(x, xOff, w, wOff, bias, biasOff, y, yOff);
    }

    @Override
    public synchronized void conv2dBackwardData(ConvolutionShape s, float[] dy, int dyOff, float[] w, int wOff,
                                                float[] dx, int dxOff) {
        ConvPlans.BackwardData p = plan(new Key("conv2dBackwardData", s), k -> new ConvPlans.BackwardData(s));
        p.run(dy, dyOff, w, wOff, dx, dxOff);
    }

    @Override
    public synchronized void conv2dBackwardWeight(ConvolutionShape s, float[] dy, int dyOff, float[] x, int xOff,
                                                  float[] dw, int dwOff) {
        ConvPlans.BackwardWeight p = plan(new Key("conv2dBackwardWeight", s), k -> new ConvPlans.BackwardWeight(s));
        p.run(dy, dyOff, x, xOff, dw, dwOff);
    }

    /**
     * As {@link Backend#qkvAttention}; here {@code probs} may also be null when no backward pass follows (inference):
     * the flash kernel then never materialises the T x T probabilities.
     */
    @Override
    public synchronized void qkvAttention(int batch, int heads, int headDim, int tokens, float[] qkv, int qkvOff,
                                          float[] out, int outOff, float[] probs, int probsOff) {
        AttentionPlans.Shape sh = new AttentionPlans.Shape(batch, heads, headDim, tokens);
        boolean flash = tiled && headDim <= FlashAttention.MAX_D;
        AttentionPlans.Forward p = plan(new Key(flash ? "qkvAttentionFlash" : "qkvAttention", sh),
                k -> new AttentionPlans.Forward(sh, flash));
        p.run(qkv, qkvOff, out, outOff, probs, probsOff);
    }

    @Override
    public synchronized void qkvAttentionBackward(int batch, int heads, int headDim, int tokens, float[] dout,
                                                  int doutOff, float[] qkv, int qkvOff, float[] probs, int probsOff,
                                                  float[] dqkv, int dqkvOff) {
        AttentionPlans.Shape sh = new AttentionPlans.Shape(batch, heads, headDim, tokens);
        AttentionPlans.Backward p = plan(new Key("qkvAttentionBackward", sh), k -> new AttentionPlans.Backward(sh));
        p.run(dout, doutOff, qkv, qkvOff, probs, probsOff, dqkv, dqkvOff);
    }

    @Override
    public synchronized void sgemm(boolean transA, boolean transB, int m, int n, int k, float alpha,
                                   float[] a, int aOff, int lda, float[] b, int bOff, int ldb,
                                   float beta, float[] c, int cOff, int ldc) {
        if (2L * m * n * k < gemmMinFlops) {
            Backends.cpu().sgemm(transA, transB, m, n, k, alpha, a, aOff, lda, b, bOff, ldb, beta, c, cOff, ldc);
            return;
        }
        GemmPlan.Key key = new GemmPlan.Key(transA, transB, m, n, k, beta != 0f);
        GemmPlan p = plan(key, GemmPlan::new);
        p.sgemm(alpha, a, aOff, lda, b, bOff, ldb, beta, c, cOff, ldc);
    }

    /** Frees every plan's device memory; the backend cannot run afterwards. Safe to call twice. */
    @Override
    public synchronized void close() {
        closed = true;
        List<RuntimeException> failures = new ArrayList<>();
        for (DevicePlan p : plans.values()) {
            try {
                p.close();
            } catch (RuntimeException e) {
                failures.add(e);
            }
        }
        plans.clear();
        if (!failures.isEmpty()) {
            RuntimeException first = failures.get(0);
            failures.subList(1, failures.size()).forEach(first::addSuppressed);
            throw first;
        }
    }

    @SuppressWarnings("unchecked")
    private <P extends DevicePlan, K> P plan(K key, Function<K, P> build) {
        if (closed) {
            throw new IllegalStateException("tornado backend: used after close()");
        }
        DevicePlan p = plans.get(key);
        if (p == null) {
            p = build.apply(key);
            plans.put(key, p);
        }
        return (P) p;
    }

    /** A plan's identity: the operation and its shape. */
    private record Key(String op, Object shape) {
    }

    @Override
    public String toString() {
        return "tornado backend on " + device + (tiled ? ", tiled kernels" : ", @Parallel kernels");
    }
}
