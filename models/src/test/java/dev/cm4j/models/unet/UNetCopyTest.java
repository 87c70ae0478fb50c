package dev.cm4j.models.unet;

import dev.cm4j.autodiff.Var;
import dev.cm4j.tensor.Rng;
import dev.cm4j.tensor.Tensor;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** UNet.copy(): bit-identical outputs with dropout active, then independence of the two networks. */
class UNetCopyTest {

    private static Tensor run(UNet net, long seed) {
        Rng r = new Rng(seed);
        int[] labels = {1, 0};
        return net.forward(Var.constant(r.normal(2, 2, 8, 8)), Var.constant(r.normal(2)), labels).value();
    }

    @Test
    void copyRunsTheSameDropoutMasksAndIsIndependent() {
        UNet net = new UNet(UNetTest.tiny(3, true, true).withDropout(0.2f), new Rng(21, 4));
        Rng w = new Rng(22);
        // non-zero everywhere: a fresh U-Net outputs exactly 0 and would hide every difference
        net.stateDict().forEach((k, v) -> v.copyFrom(w.normal(v.shape()).mul(0.2f)));
        run(net, 1); // the dropout generators leave position 0
        UNet copy = net.copy();
        assertEquals(net.config(), copy.config());
        assertEquals(net.rngPositions(), copy.rngPositions());
        assertTrue(net.rngs().size() > 0, "the configuration has dropout layers");
        for (long call = 2; call < 4; call++) {
            assertEquals(0f, run(net, call).maxAbsDiff(run(copy, call)), "train-mode call " + call);
        }
        net.eval();
        copy.eval();
        Tensor before = run(net, 5);
        assertEquals(0f, before.maxAbsDiff(run(copy, 5)), "eval mode");
        copy.stateDict().forEach((k, v) -> v.copyFrom(v.mul(-1f)));
        assertEquals(0f, before.maxAbsDiff(run(net, 5)), "changing the copy leaves the original");
        assertTrue(before.maxAbsDiff(run(copy, 5)) > 0f, "the copy did change");
    }
}
