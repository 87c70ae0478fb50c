package dev.cm4j.tornado;

import uk.ac.manchester.tornado.api.GridScheduler;
import uk.ac.manchester.tornado.api.KernelContext;
import uk.ac.manchester.tornado.api.TaskGraph;
import uk.ac.manchester.tornado.api.enums.DataTransferMode;

/**
 * Execution plans of multi-head attention over a fused qkv tensor (B, 3C, T) at one shape. Activations only, so
 * every input travels on every execution; the scale 1/sqrt(headDim) is a compile-time constant of the plan.
 */
final class AttentionPlans {
    private AttentionPlans() {
    }

    /** What an attention plan depends on. */
    record Shape(int batch, int heads, int d, int tokens) {
        int qkvSize() {
            return batch * 3 * heads * d * tokens;
        }

        int outSize() {
            return batch * heads * d * tokens;
        }

        int probsSize() {
            return batch * heads * tokens * tokens;
        }

        /** The CPU's scale, computed the same way, so device and CPU scores see the same constant. */
        float scale() {
            return (float) (1 / Math.sqrt(d));
        }
    }

    /**
     * qkv -> out, probs. Flash variant: graph 0 is {@link FlashAttention#forward} (out and the row log-sum-exp; qkv
     * and lse stay on the device), graph 1 rebuilds the probabilities from them for the backward pass and runs only
     * when they are asked for. Row variant: one graph of {@link AttentionShells#forward}, one work-item per row.
     */
    static final class Forward extends DevicePlan {
        private final Shape sh;
        private final boolean flash;
        private final float[] qkv;
        private final float[] out;
        private final float[] probs;

        Forward(Shape sh, boolean flash) {
            super(flash ? "attnFlash" : "attn");
            this.sh = sh;
            this.flash = flash;
            qkv = new float[sh.qkvSize()];
            out = new float[sh.outSize()];
            probs = new float[sh.probsSize()];
            if (flash) {
                float[] lse = new float[sh.batch() * sh.heads() * sh.tokens()];
                TaskGraph g0 = new TaskGraph(prefix + "f")
                        .transferToDevice(DataTransferMode.EVERY_EXECUTION, qkv)
                        .task("t", FlashAttention::forward, new KernelContext(), qkv, out, lse, sh.heads(), sh.d(),
                                sh.tokens(), sh.scale())
                        .transferToHost(DataTransferMode.EVERY_EXECUTION, out)
                        .persistOnDevice(qkv, lse);
                TaskGraph g1 = new TaskGraph(prefix + "p")
                        .consumeFromDevice(prefix + "f", qkv, lse)
                        .task("t", FlashAttention::probs, qkv, lse, probs, sh.batch(), sh.heads(), sh.d(), sh.tokens(),
                                sh.scale())
                        .transferToHost(DataTransferMode.EVERY_EXECUTION, probs);
                GridScheduler grid = new GridScheduler(prefix + "f.t", FlashAttention.grid(sh.batch(), sh.heads(),
                        sh.tokens()));
                build(grid, g0.snapshot(), g1.snapshot());
            } else {
                TaskGraph g = new TaskGraph(prefix)
                        .transferToDevice(DataTransferMode.EVERY_EXECUTION, qkv)
                        .task("t", AttentionShells::forward, qkv, out, probs, sh.batch(), sh.heads(), sh.d(),
                                sh.tokens(), sh.scale())
                        .transferToHost(DataTransferMode.EVERY_EXECUTION, out, probs);
                build(null, g.snapshot());
            }
        }

        /** probsDst may be null (no backward pass follows): the flash plan then skips its second graph. */
        void run(float[] qkvSrc, int qkvOff, float[] outDst, int outOff, float[] probsDst, int probsOff) {
            System.arraycopy(qkvSrc, qkvOff, qkv, 0, qkv.length);
            if (flash) {
                run(0);
                if (probsDst != null) {
                    run(1);
                }
            } else {
                run();
            }
            System.arraycopy(out, 0, outDst, outOff, out.length);
            if (probsDst != null) {
                System.arraycopy(probs, 0, probsDst, probsOff, probs.length);
            }
        }
    }

    /**
     * dout, qkv, probs -> dqkv in one graph of three tasks: the softmax-Jacobian scores (a device-only intermediate,
     * never copied to the host), then dq per query column and dk, dv per key column.
     */
    static final class Backward extends DevicePlan {
        private final float[] dout;
        private final float[] qkv;
        private final float[] probs;
        private final float[] dqkv;

        Backward(Shape sh) {
            super("attnBwd");
            dout = new float[sh.outSize()];
            qkv = new float[sh.qkvSize()];
            probs = new float[sh.probsSize()];
            dqkv = new float[sh.qkvSize()];
            float[] dScores = new float[sh.probsSize()];
            int b = sh.batch();
            int h = sh.heads();
            int d = sh.d();
            int t = sh.tokens();
            TaskGraph g = new TaskGraph(prefix)
                    .transferToDevice(DataTransferMode.EVERY_EXECUTION, dout, qkv, probs)
                    .task("scores", AttentionShells::backwardScores, dout, qkv, probs, dScores, b, h, d, t)
                    .task("dq", AttentionShells::backwardQuery, dScores, qkv, dqkv, b, h, d, t, sh.scale())
                    .task("dkv", AttentionShells::backwardKeyValue, dScores, probs, qkv, dout, dqkv, b, h, d, t,
                            sh.scale())
                    .transferToHost(DataTransferMode.EVERY_EXECUTION, dqkv)
                    .persistOnDevice(dScores);         // declared, never copied back
            build(null, g.snapshot());
        }

        void run(float[] doutSrc, int doutOff, float[] qkvSrc, int qkvOff, float[] probsSrc, int probsOff,
                 float[] dqkvDst, int dqkvOff) {
            System.arraycopy(doutSrc, doutOff, dout, 0, dout.length);
            System.arraycopy(qkvSrc, qkvOff, qkv, 0, qkv.length);
            System.arraycopy(probsSrc, probsOff, probs, 0, probs.length);
            run();
            System.arraycopy(dqkv, 0, dqkvDst, dqkvOff, dqkv.length);
        }
    }
}
