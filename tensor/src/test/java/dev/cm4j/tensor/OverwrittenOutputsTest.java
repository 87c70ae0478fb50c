package dev.cm4j.tensor;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.util.function.Function;
import java.util.function.LongFunction;
import org.junit.jupiter.api.Test;

/**
 * The operations whose results come from {@link Tensor#outputOverwritten} write every element: run inside an arena
 * whose pool holds the arrays of the same operation on other inputs (stale values, or NaN under
 * {@code -Dcm4j.tensor.poison=true}), each gives the same bits as outside any arena. Odd sizes throughout, so that
 * remainders of the vector loops and of the thread splits are covered.
 */
class OverwrittenOutputsTest {

    /**
     * Runs {@code op} on the inputs of seed 1 inside an arena (its arrays go back to the pool holding that result),
     * then on the inputs of seed 2 in a second arena of the same pool, and compares with the inputs of seed 2
     * outside any arena. Also checks that the second run reused arrays rather than allocating.
     */
    private static void assertWritesEveryElement(String name, LongFunction<Tensor[]> inputs,
                                                 Function<Tensor[], Tensor> op) {
        Tensor[] first = inputs.apply(1);
        Tensor[] second = inputs.apply(2);
        float[] expected = op.apply(second).toArray();
        BufferPool pool = new BufferPool(true);
        try (BufferArena a = pool.open()) {
            op.apply(first);
        }
        long created = pool.counts()[1];
        try (BufferArena a = pool.open()) {
            float[] got = op.apply(second).toArray();
            assertArrayEquals(expected, got, name + ": the result in a reused array differs from a fresh one");
        }
        assertEquals(created, pool.counts()[1], name + ": the second run should reuse the first run's arrays");
    }

    private static LongFunction<Tensor[]> normal(int[]... shapes) {
        return seed -> {
            Rng rng = new Rng(seed);
            Tensor[] t = new Tensor[shapes.length];
            for (int i = 0; i < shapes.length; i++) {
                t[i] = rng.normal(shapes[i]);
            }
            return t;
        };
    }

    @Test
    void elementwiseOperationsWriteEveryElement() {
        assertWritesEveryElement("add", normal(new int[] {3, 5, 37}, new int[] {3, 5, 37}), t -> t[0].add(t[1]));
        assertWritesEveryElement("mul by a row", normal(new int[] {3, 5, 37}, new int[] {37}), t -> t[0].mul(t[1]));
        assertWritesEveryElement("outer difference", normal(new int[] {3, 1, 7}, new int[] {1, 5, 1}),
                t -> t[0].sub(t[1]));
        assertWritesEveryElement("times a scalar", normal(new int[] {1031}), t -> t[0].mul(3f));
        assertWritesEveryElement("scalar tensor plus", normal(new int[] {1}, new int[] {4, 259}), t -> t[0].add(t[1]));
        assertWritesEveryElement("exp", normal(new int[] {7, 149}), t -> t[0].exp());
        assertWritesEveryElement("silu", normal(new int[] {7, 149}), t -> t[0].silu());
        assertWritesEveryElement("where", normal(new int[] {5, 1}, new int[] {5, 9}, new int[] {9}),
                t -> Tensor.where(t[0].tanh().add(0.5f).silu().sub(0.2f), t[1], t[2]));
    }

    @Test
    void convolutionsWriteEveryElement() {
        int[][] geometries = {{3, 1}, {3, 2}, {1, 1}};   // kernel, stride; padding = kernel / 2
        for (int[] g : geometries) {
            int k = g[0];
            int stride = g[1];
            int pad = k / 2;
            String what = k + "x" + k + " stride " + stride;
            assertWritesEveryElement("conv2d " + what, normal(new int[] {2, 3, 9, 11}, new int[] {5, 3, k, k},
                    new int[] {5}), t -> NN.conv2d(t[0], t[1], t[2], stride, pad));
            int oh = (9 + 2 * pad - k) / stride + 1;
            int ow = (11 + 2 * pad - k) / stride + 1;
            assertWritesEveryElement("conv2dBackwardData " + what, normal(new int[] {2, 5, oh, ow},
                    new int[] {5, 3, k, k}), t -> NN.conv2dBackwardData(t[0], t[1], new int[] {2, 3, 9, 11},
                    stride, pad));
            assertWritesEveryElement("conv2dBackwardWeight " + what, normal(new int[] {2, 5, oh, ow},
                    new int[] {2, 3, 9, 11}), t -> NN.conv2dBackwardWeight(t[0], t[1], new int[] {5, 3, k, k},
                    stride, pad));
        }
        // a plane of at least 16 pixels with as many channels in as out: the input gradient by the flipped kernel
        assertWritesEveryElement("conv2dBackwardData 3x3 flipped", normal(new int[] {3, 8, 7, 7},
                new int[] {8, 8, 3, 3}), t -> NN.conv2dBackwardData(t[0], t[1], new int[] {3, 8, 7, 7}, 1, 1));
    }

    @Test
    void resamplingNormalisationAndSoftmaxWriteEveryElement() {
        assertWritesEveryElement("avgPool2x2", normal(new int[] {2, 3, 8, 6}), t -> NN.avgPool2x2(t[0]));
        assertWritesEveryElement("upsampleNearest2x", normal(new int[] {2, 3, 5, 7}),
                t -> NN.upsampleNearest2x(t[0]));
        assertWritesEveryElement("groupNorm", normal(new int[] {2, 6, 5, 7}, new int[] {6}, new int[] {6}),
                t -> NN.groupNorm(t[0], t[1], t[2], 3, 1e-5f).y());
        assertWritesEveryElement("groupNormSilu with scale-shift", normal(new int[] {2, 6, 5, 7}, new int[] {6},
                new int[] {6}, new int[] {2, 6}, new int[] {2, 6}),
                t -> NN.groupNormSilu(t[0], t[1], t[2], t[3], t[4], 3, 1e-5f).y());
        assertWritesEveryElement("groupNormSilu", normal(new int[] {2, 6, 28, 28}, new int[] {6}, new int[] {6}),
                t -> NN.groupNormSilu(t[0], t[1], t[2], null, null, 3, 1e-5f).y());
        assertWritesEveryElement("softmax", normal(new int[] {4, 19}), t -> NN.softmax(t[0]));
        assertWritesEveryElement("logSoftmax", normal(new int[] {4, 19}), t -> NN.logSoftmax(t[0]));
    }

    @Test
    void attentionWritesEveryElement() {
        int heads = 2;
        int headDim = 3;
        int tokens = 9;
        LongFunction<Tensor[]> in = normal(new int[] {2, 3 * heads * headDim, tokens},
                new int[] {2, heads * headDim, tokens});
        assertWritesEveryElement("qkvAttention out", in, t -> NN.qkvAttention(t[0], heads).out());
        assertWritesEveryElement("qkvAttention probs", in, t -> NN.qkvAttention(t[0], heads).probs());
        assertWritesEveryElement("qkvAttentionBackward", in, t -> {
            NN.AttentionResult r = NN.qkvAttention(t[0], heads);
            return NN.qkvAttentionBackward(t[1], t[0], r.probs(), heads);
        });
    }

    @Test
    void copiesWriteEveryElement() {
        assertWritesEveryElement("slice", normal(new int[] {3, 8, 5}), t -> t[0].slice(1, 2, 7));
        assertWritesEveryElement("concat", normal(new int[] {3, 2, 5}, new int[] {3, 7, 5}),
                t -> Tensor.concat(1, t[0], t[1]));
    }

    @Test
    void poisonFillsReusedArraysThatAnOperationOverwrites() {
        assumeTrue(BufferPool.POISON, "runs with -Dcm4j.tensor.poison=true, as the build's tests do");
        BufferPool pool = new BufferPool(true);
        try (BufferArena a = pool.open()) {
            Tensor.output(5).fill(3f);
            Tensor.output(6).fill(3f);
        }
        try (BufferArena a = pool.open()) {
            for (float v : Tensor.outputOverwritten(5).toArray()) {
                assertTrue(Float.isNaN(v), "a reused array lent for overwriting is NaN-filled under poison");
            }
            assertArrayEquals(new float[6], Tensor.output(6).toArray(), "Tensor.output still zero-fills");
        }
    }
}
