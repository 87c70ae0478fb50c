package dev.cm4j.models.unet;

import dev.cm4j.autodiff.NoGrad;
import dev.cm4j.autodiff.Var;
import dev.cm4j.tensor.Rng;
import dev.cm4j.tensor.Tensor;
import org.junit.jupiter.api.Test;

import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;

/**
 * Without a tape, an image's output is a function of that image alone: the same bits whether it is run in a batch of
 * 7, in a batch of 3 or 4, or alone. Samplers rely on it: a sample's bits do not depend on how many samples share a
 * network call.
 */
class UNetBatchInvarianceTest {

    @Test
    @SuppressWarnings("try")
    void anImagesOutputDoesNotDependOnTheBatchItRunsIn() {
        for (UNet.Config c : new UNet.Config[] {UNet.Config.small28(), UNetTest.tiny(5, true, true)}) {
            Rng rng = new Rng(11);
            UNet net = new UNet(c, rng.fork(1));
            // every parameter random, so that no zero-initialised layer hides a path
            for (Map.Entry<String, Tensor> p : net.stateDict().entrySet()) {
                p.getValue().copyFrom(rng.fork(p.getKey().hashCode()).normal(p.getValue().shape()).mul(0.2f));
            }
            net.eval();
            int b = 7;
            Tensor x = rng.fork(2).normal(b, c.inChannels(), c.imageSize(), c.imageSize());
            Tensor noise = rng.fork(3).normal(b);
            int[] labels = c.numClasses() > 0 ? new int[] {0, 3, 1, 4, 2, 2, 0} : null;
            try (NoGrad ignored = NoGrad.enter()) {
                float[] whole = net.forward(Var.constant(x), Var.constant(noise), labels).value().toArray();
                int per = whole.length / b;
                int[][] parts = {{0, 3}, {3, 7}, {5, 6}, {0, 1}, {1, 7}};
                for (int[] r : parts) {
                    Tensor xs = x.slice(0, r[0], r[1]).copy();
                    Tensor ns = noise.slice(0, r[0], r[1]).copy();
                    int[] ls = labels == null ? null : java.util.Arrays.copyOfRange(labels, r[0], r[1]);
                    float[] part = net.forward(Var.constant(xs), Var.constant(ns), ls).value().toArray();
                    float[] expected = java.util.Arrays.copyOfRange(whole, r[0] * per, r[1] * per);
                    assertArrayEquals(expected, part, c + ": images " + r[0] + ".." + (r[1] - 1)
                            + " run on their own differ from the same images in the batch of " + b);
                }
            }
        }
    }
}
