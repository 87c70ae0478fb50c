package dev.cm4j.models.unet;

import dev.cm4j.autodiff.ConvOps;
import dev.cm4j.autodiff.LinearOps;
import dev.cm4j.autodiff.NormOps;
import dev.cm4j.autodiff.Var;
import dev.cm4j.tensor.Rng;
import dev.cm4j.tensor.Tensor;
import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** ADM's ResBlock: names, the identity at init, resampling, and the output against ADM's formulas written out. */
class ResBlockTest {

    private static ResBlock block(int in, int out, boolean scaleShift, ResBlock.Resample r, Rng rng) {
        return new ResBlock(in, 12, 0f, out, scaleShift, r, 2, rng, rng.fork(99));
    }

    @Test
    void namesFollowAdm() {
        Rng rng = new Rng(1);
        assertEquals(List.of("in_layers.0.weight", "in_layers.0.bias", "in_layers.2.weight", "in_layers.2.bias",
                "emb_layers.1.weight", "emb_layers.1.bias", "out_layers.0.weight", "out_layers.0.bias",
                "out_layers.3.weight", "out_layers.3.bias", "skip_connection.weight", "skip_connection.bias"),
                List.copyOf(block(4, 6, true, ResBlock.Resample.NONE, rng).stateDict().keySet()));
        Map<String, Tensor> sd = block(4, 6, true, ResBlock.Resample.NONE, rng).stateDict();
        assertArrayEquals(new int[] {12, 12}, sd.get("emb_layers.1.weight").shape(), "2 x 6 with scale-shift");
        assertArrayEquals(new int[] {6, 4, 1, 1}, sd.get("skip_connection.weight").shape());
        Map<String, Tensor> plain = block(6, 6, false, ResBlock.Resample.DOWN, rng).stateDict();
        assertArrayEquals(new int[] {6, 12}, plain.get("emb_layers.1.weight").shape());
        assertTrue(!plain.containsKey("skip_connection.weight"), "identity skip when the channels stay");
        assertEquals(0f, plain.get("out_layers.3.weight").abs().sum().item(), "zero-initialised last conv");
    }

    @Test
    void aFreshBlockIsTheIdentityOrItsSkipAndResamplesBothPaths() {
        Rng rng = new Rng(2);
        Var x = Var.constant(rng.normal(3, 4, 6, 6));
        Var emb = Var.constant(rng.normal(3, 12));
        assertEquals(0f, block(4, 4, true, ResBlock.Resample.NONE, rng).forward(x, emb).value()
                .maxAbsDiff(x.value()));
        Var down = block(4, 4, false, ResBlock.Resample.DOWN, rng).forward(x, emb);
        assertEquals(0f, down.value().maxAbsDiff(ConvOps.avgPool2x2(x).value()), "fresh down block = avg pool");
        Var up = block(4, 4, true, ResBlock.Resample.UP, rng).forward(x, emb);
        assertEquals(0f, up.value().maxAbsDiff(ConvOps.upsampleNearest2x(x).value()), "fresh up block = nearest");
        assertArrayEquals(new int[] {3, 6, 6, 6}, block(4, 6, false, ResBlock.Resample.NONE, rng).forward(x, emb)
                .shape());
    }

    /** ADM's ResBlock._forward written out with the functional ops on the block's own tensors. */
    private static Tensor reference(Map<String, Tensor> p, Tensor xt, Tensor embt, boolean scaleShift,
                                    ResBlock.Resample r, int out) {
        Var x = Var.constant(xt);
        Var h = NormOps.groupNorm(x, c(p, "in_layers.0.weight"), c(p, "in_layers.0.bias"), 2, 1e-5f).silu();
        if (r == ResBlock.Resample.DOWN) {
            h = ConvOps.avgPool2x2(h);
            x = ConvOps.avgPool2x2(x);
        } else if (r == ResBlock.Resample.UP) {
            h = ConvOps.upsampleNearest2x(h);
            x = ConvOps.upsampleNearest2x(x);
        }
        h = ConvOps.conv2d(h, c(p, "in_layers.2.weight"), c(p, "in_layers.2.bias"), 1, 1);
        Var e = LinearOps.linear(Var.constant(embt).silu(), c(p, "emb_layers.1.weight"), c(p, "emb_layers.1.bias"));
        Var gn;
        if (scaleShift) {
            Var scale = e.slice(1, 0, out).reshape(-1, out, 1, 1);
            Var shift = e.slice(1, out, 2 * out).reshape(-1, out, 1, 1);
            gn = NormOps.groupNorm(h, c(p, "out_layers.0.weight"), c(p, "out_layers.0.bias"), 2, 1e-5f)
                    .mul(scale.add(1f)).add(shift);
        } else {
            h = h.add(e.reshape(-1, out, 1, 1));
            gn = NormOps.groupNorm(h, c(p, "out_layers.0.weight"), c(p, "out_layers.0.bias"), 2, 1e-5f);
        }
        h = ConvOps.conv2d(gn.silu(), c(p, "out_layers.3.weight"), c(p, "out_layers.3.bias"), 1, 1);
        Var skip = p.containsKey("skip_connection.weight")
                ? ConvOps.conv2d(x, c(p, "skip_connection.weight"), c(p, "skip_connection.bias"), 1, 0) : x;
        return skip.add(h).value();
    }

    private static Var c(Map<String, Tensor> p, String name) {
        return Var.constant(p.get(name));
    }

    @Test
    void outputMatchesAdmsFormulas() {
        Rng rng = new Rng(3);
        Object[][] cases = {{4, 6, true, ResBlock.Resample.NONE}, {4, 6, false, ResBlock.Resample.NONE},
            {4, 4, true, ResBlock.Resample.DOWN}, {6, 4, false, ResBlock.Resample.DOWN},
            {4, 4, false, ResBlock.Resample.UP}};
        for (Object[] cs : cases) {
            int in = (int) cs[0], out = (int) cs[1];
            boolean ss = (boolean) cs[2];
            ResBlock.Resample r = (ResBlock.Resample) cs[3];
            ResBlock b = block(in, out, ss, r, rng);
            // every parameter non-trivial, the zero conv and the GroupNorm affines included
            b.stateDict().forEach((k, v) -> v.copyFrom(v.add(rng.normal(v.shape()).mul(0.3f))));
            Tensor x = rng.normal(3, in, 4, 6);
            Tensor emb = rng.normal(3, 12);
            Tensor y = b.forward(Var.constant(x), Var.constant(emb)).value();
            Tensor ref = reference(b.stateDict(), x, emb, ss, r, out);
            assertArrayEquals(ref.shape(), y.shape());
            float diff = y.maxAbsDiff(ref);
            assertTrue(diff < 1e-5f, "in " + in + " out " + out + " scale-shift " + ss + " " + r + ": max |diff| "
                    + diff);
        }
    }

    @Test
    void wrongInputsAreRefused() {
        Rng rng = new Rng(4);
        ResBlock b = block(4, 6, true, ResBlock.Resample.NONE, rng);
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> b.forward(Var.constant(rng.normal(2, 4, 4, 4)), Var.constant(rng.normal(3, 12))));
        assertEquals("ResBlock: input [2, 4, 4, 4] and embedding [3, 12] are not (B, 4, H, W) and (B, 12)",
                e.getMessage());
    }
}
