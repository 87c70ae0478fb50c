package dev.cm4j.tensor;

import static dev.cm4j.tensor.kernels.NNReference.toDouble;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import dev.cm4j.tensor.kernels.Close;
import dev.cm4j.tensor.kernels.ConvolutionShape;
import dev.cm4j.tensor.kernels.NNReference;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.function.Executable;

/** The tensor-level API: shapes, views, results against the double references, and error messages. */
class NNTest {

    private static Tensor randn(long seed, int... shape) {
        return new Rng(seed).normal(shape);
    }

    private static void assertMessage(String expected, Executable call) {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, call);
        assertEquals(expected, e.getMessage());
    }

    @Test
    void conv2dWithBiasAndItsGradients() {
        Tensor x = randn(1, 2, 3, 7, 5);
        Tensor w = randn(2, 4, 3, 3, 3);
        Tensor bias = randn(3, 4);
        Tensor y = NN.conv2d(x, w, bias, 2, 1);
        assertArrayEquals(new int[] {2, 4, 4, 3}, y.shape());
        ConvolutionShape s = new ConvolutionShape(2, 3, 7, 5, 4, 3, 3, 2, 1);
        Close.assertClose("conv2d", NNReference.conv2d(s, toDouble(x.toArray()), toDouble(w.toArray()),
                toDouble(bias.toArray())), y.toArray(), 2e-5);
        Tensor dy = randn(4, 2, 4, 4, 3);
        double[][] grads = NNReference.conv2dBackward(s, toDouble(dy.toArray()), toDouble(x.toArray()),
                toDouble(w.toArray()));
        Close.assertClose("dx", grads[0], NN.conv2dBackwardData(dy, w, x.shape(), 2, 1).toArray(), 2e-5);
        Close.assertClose("dw", grads[1], NN.conv2dBackwardWeight(dy, x, w.shape(), 2, 1).toArray(), 2e-5);
        double[] db = new double[4];
        float[] g = dy.toArray();
        for (int i = 0; i < g.length; i++) {
            db[(i / 12) % 4] += g[i];
        }
        Close.assertClose("db", db, NN.conv2dBackwardBias(dy).toArray(), 1e-6);
    }

    @Test
    void conv2dReadsViews() {
        // a leading-axis view (non-zero offset) of a larger batch
        Tensor batch = randn(5, 3, 2, 5, 5);
        Tensor second = Tensor.wrap(batch.data(), 50, new int[] {1, 2, 5, 5});
        Tensor w = randn(6, 3, 2, 3, 3);
        Tensor expected = NN.conv2d(second.copy(), w, null, 1, 1);
        assertArrayEquals(expected.toArray(), NN.conv2d(second, w, null, 1, 1).toArray());
    }

    @Test
    void conv2dShapeErrors() {
        Tensor x = Tensor.zeros(2, 3, 8, 8);
        assertMessage("conv2d: input [2, 3, 8, 8] has 3 channels but weight [16, 4, 3, 3] expects 4",
                () -> NN.conv2d(x, Tensor.zeros(16, 4, 3, 3), null, 1, 1));
        assertMessage("conv2d: weight [16, 3, 3] must have rank 4",
                () -> NN.conv2d(x, Tensor.zeros(16, 3, 3), null, 1, 1));
        assertMessage("conv2d: bias [8] does not match the 16 output channels of weight [16, 3, 3, 3]",
                () -> NN.conv2d(x, Tensor.zeros(16, 3, 3, 3), Tensor.zeros(8), 1, 1));
        assertMessage("conv2d: stride must be >= 1 and padding >= 0, got stride 0, padding 1",
                () -> NN.conv2d(x, Tensor.zeros(16, 3, 3, 3), null, 0, 1));
        assertMessage("conv2d: kernel 9x9 is larger than the padded input 8x8 (input 8x8, padding 0)",
                () -> NN.conv2d(x, Tensor.zeros(16, 3, 9, 9), null, 1, 0));
        assertMessage("conv2dBackwardData: output gradient [2, 16, 8, 8] must be [2, 16, 4, 4]",
                () -> NN.conv2dBackwardData(Tensor.zeros(2, 16, 8, 8), Tensor.zeros(16, 3, 3, 3),
                        new int[] {2, 3, 8, 8}, 2, 1));
        assertMessage("conv2dBackwardData: input shape [2, 4, 8, 8] has 4 channels but weight [16, 3, 3, 3] expects 3",
                () -> NN.conv2dBackwardData(Tensor.zeros(2, 16, 8, 8), Tensor.zeros(16, 3, 3, 3),
                        new int[] {2, 4, 8, 8}, 1, 1));
        assertMessage("conv2dBackwardWeight: weight shape [16, 4, 3, 3] must be (K, 3, kh, kw) for input [2, 3, 8, 8]",
                () -> NN.conv2dBackwardWeight(Tensor.zeros(2, 16, 8, 8), x, new int[] {16, 4, 3, 3}, 1, 1));
    }

    @Test
    void poolingAndUpsamplingRoundTrip() {
        Tensor x = randn(7, 2, 3, 4, 6);
        Tensor up = NN.upsampleNearest2x(x);
        assertArrayEquals(new int[] {2, 3, 8, 12}, up.shape());
        // pooling undoes nearest upsampling exactly (four equal values averaged)
        assertArrayEquals(x.toArray(), NN.avgPool2x2(up).toArray());
        Tensor dy = randn(8, 2, 3, 2, 3);
        Tensor dx = NN.avgPool2x2Backward(dy);
        assertArrayEquals(new int[] {2, 3, 4, 6}, dx.shape());
        assertEquals(Close.dot(NN.avgPool2x2(x).toArray(), dy.toArray()), Close.dot(x.toArray(), dx.toArray()), 1e-5);
        Tensor dup = randn(9, 2, 3, 8, 12);
        assertEquals(Close.dot(up.toArray(), dup.toArray()),
                Close.dot(x.toArray(), NN.upsampleNearest2xBackward(dup).toArray()), 1e-4);
    }

    @Test
    void poolingShapeErrors() {
        assertMessage("avgPool2x2: input [1, 2, 7, 6] has an odd height or width; 2x2 pooling needs both even",
                () -> NN.avgPool2x2(Tensor.zeros(1, 2, 7, 6)));
        assertMessage("upsampleNearest2xBackward: output gradient [1, 2, 6, 5] has an odd height or width; "
                + "a 2x upsampled map has both even", () -> NN.upsampleNearest2xBackward(Tensor.zeros(1, 2, 6, 5)));
        assertMessage("upsampleNearest2x: input [2, 6, 5] must have rank 4",
                () -> NN.upsampleNearest2x(Tensor.zeros(2, 6, 5)));
    }

    @Test
    void groupNormOverAnySpatialRank() {
        for (int[] shape : new int[][] {{2, 6, 5, 3}, {3, 4}, {2, 8, 7}}) {
            int n = shape[0];
            int c = shape[1];
            int s = Shapes.size(shape) / (n * c);
            int groups = 2;
            Tensor x = randn(10, shape);
            Tensor gamma = randn(11, c);
            Tensor beta = randn(12, c);
            NN.GroupNormResult r = NN.groupNorm(x, gamma, beta, groups, 1e-5f);
            double[][] ref = NNReference.groupNorm(n, c, s, groups, 1e-5, toDouble(x.toArray()),
                    toDouble(gamma.toArray()), toDouble(beta.toArray()));
            assertArrayEquals(shape, r.y().shape());
            assertArrayEquals(new int[] {n, groups}, r.mean().shape());
            Close.assertClose("y", ref[0], r.y().toArray(), 1e-5);
            Close.assertClose("mean", ref[1], r.mean().toArray(), 1e-6);
            Close.assertClose("rstd", ref[2], r.rstd().toArray(), 1e-5);
            Tensor dy = randn(13, shape);
            NN.GroupNormGrads g = NN.groupNormBackward(dy, x, gamma, r.mean(), r.rstd(), groups);
            double[][] grads = NNReference.groupNormBackward(n, c, s, groups, 1e-5, toDouble(dy.toArray()),
                    toDouble(x.toArray()), toDouble(gamma.toArray()));
            Close.assertClose("dx", grads[0], g.dx().toArray(), 1e-5);
            Close.assertClose("dgamma", grads[1], g.dgamma().toArray(), 1e-5);
            Close.assertClose("dbeta", grads[2], g.dbeta().toArray(), 1e-5);
        }
    }

    /**
     * dx written over dy (the autodiff rule's in-place route) gives the bits of a fresh dx, on shapes with remainders
     * past every vector width and on a dy that is a view at an offset; and mulInPlace the bits of mul.
     */
    @Test
    void groupNormBackwardOverDyAndMulInPlaceGiveTheSameBits() {
        for (int[] shape : new int[][] {{3, 8, 5, 7}, {2, 12, 9}, {4, 6, 1, 1}}) {
            Tensor x = randn(21, shape);
            Tensor gamma = randn(22, shape[1]);
            int groups = shape[1] / 2;
            NN.GroupNormResult r = NN.groupNorm(x, gamma, randn(23, shape[1]), groups, 1e-5f);
            Tensor dy = randn(24, shape);
            NN.GroupNormGrads fresh = NN.groupNormBackward(dy, x, gamma, r.mean(), r.rstd(), groups);
            Tensor padded = Tensor.zeros(dy.size() + 5);
            System.arraycopy(dy.toArray(), 0, padded.data(), 5, dy.size());
            Tensor view = padded.slice(0, 5, 5 + dy.size()).reshape(shape);
            NN.GroupNormGrads over = NN.groupNormBackward(view, x, gamma, r.mean(), r.rstd(), groups, true);
            org.junit.jupiter.api.Assertions.assertSame(view, over.dx());
            assertArrayEquals(fresh.dx().toArray(), over.dx().toArray(), "dx " + java.util.Arrays.toString(shape));
            assertArrayEquals(fresh.dgamma().toArray(), over.dgamma().toArray(), "dgamma");
            assertArrayEquals(fresh.dbeta().toArray(), over.dbeta().toArray(), "dbeta");
            assertEquals(0f, padded.data()[4], "the float before the view is left alone");

            int[] perChannel = new int[shape.length];
            java.util.Arrays.fill(perChannel, 1);
            perChannel[1] = shape[1];
            Tensor scale = randn(25, perChannel);
            Tensor product = dy.mul(scale);
            assertArrayEquals(product.toArray(), dy.copy().mulInPlace(scale).toArray(), "mulInPlace");
        }
    }

    @Test
    void groupNormShapeErrors() {
        Tensor x = Tensor.zeros(2, 6, 4, 4);
        assertMessage("groupNorm: 6 channels of input [2, 6, 4, 4] cannot be split into 4 groups",
                () -> NN.groupNorm(x, Tensor.zeros(6), Tensor.zeros(6), 4, 1e-5f));
        assertMessage("groupNorm: gamma [5] must be (6) for input [2, 6, 4, 4]",
                () -> NN.groupNorm(x, Tensor.zeros(5), Tensor.zeros(6), 3, 1e-5f));
        assertMessage("groupNorm: beta [7] must be (6) for input [2, 6, 4, 4]",
                () -> NN.groupNorm(x, Tensor.zeros(6), Tensor.zeros(7), 3, 1e-5f));
        assertMessage("groupNormBackward: mean [2, 2] must be [2, 3]",
                () -> NN.groupNormBackward(x, x, Tensor.zeros(6), Tensor.zeros(2, 2), Tensor.zeros(2, 3), 3));
        assertMessage("groupNormBackward: output gradient [2, 6, 4] must be [2, 6, 4, 4]",
                () -> NN.groupNormBackward(Tensor.zeros(2, 6, 4), x, Tensor.zeros(6), Tensor.zeros(2, 3),
                        Tensor.zeros(2, 3), 3));
    }

    @Test
    void softmaxOverTheLastAxis() {
        Tensor x = randn(14, 2, 3, 11);
        Tensor y = NN.softmax(x);
        double[] ref = NNReference.softmax(6, 11, toDouble(x.toArray()));
        Close.assertClose("softmax", ref, y.toArray(), 1e-6);
        Tensor dy = randn(15, 2, 3, 11);
        Close.assertClose("softmaxBackward", NNReference.softmaxBackward(6, 11, toDouble(dy.toArray()), ref),
                NN.softmaxBackward(dy, y).toArray(), 1e-6);
        Tensor ly = NN.logSoftmax(x);
        float[] lyv = ly.toArray();
        for (int i = 0; i < ref.length; i++) {
            assertEquals(Math.log(ref[i]), lyv[i], 1e-5, "logSoftmax at " + i);
        }
        // log-softmax backward = softmax backward composed with d log y = dy / y
        float[] dyv = dy.toArray();
        double[] viaSoftmax = new double[ref.length];
        for (int r = 0; r < 6; r++) {
            double sum = 0;
            for (int i = 0; i < 11; i++) {
                sum += dyv[r * 11 + i];
            }
            for (int i = 0; i < 11; i++) {
                viaSoftmax[r * 11 + i] = dyv[r * 11 + i] - ref[r * 11 + i] * sum;
            }
        }
        Close.assertClose("logSoftmaxBackward", viaSoftmax, NN.logSoftmaxBackward(dy, ly).toArray(), 1e-6);
        assertMessage("softmaxBackward: output gradient [2, 3] must be [2, 3, 11]",
                () -> NN.softmaxBackward(Tensor.zeros(2, 3), y));
        assertMessage("softmax: input [] must have rank >= 1", () -> NN.softmax(Tensor.scalar(1f)));
    }

    @Test
    void qkvAttentionMatchesReferenceAndSeparateHeads() {
        int b = 2;
        int heads = 4;
        int d = 3;
        int t = 17;
        Tensor qkv = randn(16, b, 3 * heads * d, t);
        NN.AttentionResult r = NN.qkvAttention(qkv, heads);
        double[][] ref = NNReference.qkvAttention(b, heads, d, t, toDouble(qkv.toArray()));
        assertArrayEquals(new int[] {b, heads * d, t}, r.out().shape());
        assertArrayEquals(new int[] {b * heads, t, t}, r.probs().shape());
        Close.assertClose("out", ref[0], r.out().toArray(), 1e-5);
        Tensor dout = randn(17, b, heads * d, t);
        Tensor dqkv = NN.qkvAttentionBackward(dout, qkv, r.probs(), heads);
        Close.assertClose("dqkv", NNReference.qkvAttentionBackward(b, heads, d, t, toDouble(dout.toArray()),
                toDouble(qkv.toArray())), dqkv.toArray(), 1e-5);

        // the same heads as separate (B*heads, d, T) q, k, v
        float[] all = qkv.toArray();
        Tensor q = Tensor.zeros(b * heads, d, t);
        Tensor k = Tensor.zeros(b * heads, d, t);
        Tensor v = Tensor.zeros(b * heads, d, t);
        int block = d * t;
        for (int bb = 0; bb < b; bb++) {
            for (int h = 0; h < heads; h++) {
                int i = bb * heads + h;
                System.arraycopy(all, (bb * 3 * heads + h) * block, q.data(), i * block, block);
                System.arraycopy(all, (bb * 3 * heads + heads + h) * block, k.data(), i * block, block);
                System.arraycopy(all, (bb * 3 * heads + 2 * heads + h) * block, v.data(), i * block, block);
            }
        }
        NN.AttentionResult sep = NN.attention(q, k, v);
        assertArrayEquals(r.out().toArray(), sep.out().toArray());
        assertArrayEquals(r.probs().toArray(), sep.probs().toArray());
        // out (B, heads*d, T) and (B*heads, d, T) are the same memory
        assertArrayEquals(new int[] {b * heads, d, t}, sep.out().shape());
        NN.AttentionGrads g = NN.attentionBackward(dout.reshape(b * heads, d, t), q, k, v, sep.probs());
        float[] dAll = dqkv.toArray();
        for (int bb = 0; bb < b; bb++) {
            for (int h = 0; h < heads; h++) {
                int i = bb * heads + h;
                for (int e = 0; e < block; e++) {
                    assertEquals(dAll[(bb * 3 * heads + h) * block + e], g.dq().data()[i * block + e]);
                    assertEquals(dAll[(bb * 3 * heads + heads + h) * block + e], g.dk().data()[i * block + e]);
                    assertEquals(dAll[(bb * 3 * heads + 2 * heads + h) * block + e], g.dv().data()[i * block + e]);
                }
            }
        }
    }

    @Test
    void attentionShapeErrors() {
        assertMessage("qkvAttention: qkv [2, 20, 5] has 20 channels, not a positive multiple of 3 * heads = 12",
                () -> NN.qkvAttention(Tensor.zeros(2, 20, 5), 4));
        assertMessage("qkvAttention: qkv [2, 24] must have rank 3", () -> NN.qkvAttention(Tensor.zeros(2, 24), 4));
        assertMessage("qkvAttentionBackward: probs [8, 5, 4] must be [8, 5, 5]",
                () -> NN.qkvAttentionBackward(Tensor.zeros(2, 8, 5), Tensor.zeros(2, 24, 5), Tensor.zeros(8, 5, 4), 4));
        assertMessage("qkvAttentionBackward: output gradient [2, 9, 5] must be [2, 8, 5]",
                () -> NN.qkvAttentionBackward(Tensor.zeros(2, 9, 5), Tensor.zeros(2, 24, 5), Tensor.zeros(8, 5, 5), 4));
        assertMessage("attention: k [2, 3, 4] must be [2, 3, 5]",
                () -> NN.attention(Tensor.zeros(2, 3, 5), Tensor.zeros(2, 3, 4), Tensor.zeros(2, 3, 5)));
    }
}
