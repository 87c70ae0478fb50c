package dev.cm4j.tensor.kernels;

import dev.cm4j.tensor.Parallel;
import java.util.function.IntConsumer;

/**
 * The loop that batched kernels (convolution, attention) share: independent items over the threads, each with its
 * own scratch buffers.
 */
final class BatchLoop {
    private static final int SLOTS = 3;
    private static final ThreadLocal<float[][]> SCRATCH = ThreadLocal.withInitial(() -> new float[SLOTS][0]);

    private BatchLoop() {
    }

    /**
     * Runs {@code body} for every item in [0, n). With at least as many items as threads the items are claimed one at
     * a time by whichever thread is free ({@link Parallel#forItems}) and anything parallel inside a body (a GEMM) runs
     * inline on its thread; with fewer items they run in order and each body may use the whole pool. Kernels called by
     * the body must compute each output the same way in both cases (the GEMM does), so results do not depend on the
     * thread count.
     */
    static void forEach(int n, IntConsumer body) {
        if (n >= Parallel.threads()) {
            Parallel.forItems(n, body);
        } else {
            for (int i = 0; i < n; i++) {
                body.accept(i);
            }
        }
    }

    /**
     * This thread's scratch buffer number {@code slot} with at least {@code size} floats (contents undefined). Slots:
     * 0 an item's column matrix, 1 an item's second operand or product (gathered dy, a GEMM output, attention's dS),
     * 2 what the calling thread keeps across the whole loop (partial weight gradients). Buffers grow and stay.
     */
    static float[] scratch(int slot, int size) {
        float[][] bufs = SCRATCH.get();
        if (bufs[slot].length < size) {
            bufs[slot] = new float[size];
        }
        return bufs[slot];
    }
}
