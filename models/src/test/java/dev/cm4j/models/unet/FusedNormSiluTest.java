package dev.cm4j.models.unet;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.fail;

import dev.cm4j.autodiff.Var;
import dev.cm4j.tensor.Rng;
import dev.cm4j.tensor.Tensor;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * The U-Net with each GroupNorm -> [scale-shift ->] SiLU as one fused node against the same network run layer by
 * layer ({@link ResBlock#fusedNormSilu} off): output and every parameter's gradient agree to float rounding, with and
 * without scale-shift and with ResBlock up/down sampling. Every parameter is drawn afresh, so the zero-initialised
 * convolutions do not hide the out_layers.
 */
class FusedNormSiluTest {

    /** Output, then the gradients of all parameters in name order, under the loss sum(F(x) * r). */
    private static List<float[]> run(UNet.Config config, boolean fused) {
        boolean before = ResBlock.fusedNormSilu;
        ResBlock.fusedNormSilu = fused;
        try {
            UNet net = new UNet(config, new Rng(3));
            Rng draw = new Rng(4);
            for (Var p : net.namedParameters().values()) {
                Tensor t = p.value();
                t.copyFrom(draw.normal(t.shape()).mul(t.rank() > 1 ? 0.3f : 0.5f).add(t.rank() > 1 ? 0f : 0.5f));
            }
            Rng in = new Rng(5);
            int b = 3;
            int s = config.imageSize();
            Var y = net.forward(Var.constant(in.normal(b, config.inChannels(), s, s)),
                    Var.constant(in.uniform(-2f, 2f, b)), config.conditional() ? new int[] {0, 2, 1} : null);
            List<float[]> out = new ArrayList<>();
            out.add(y.value().toArray());
            y.mul(Var.constant(in.normal(y.shape()))).sum().backward();
            for (Map.Entry<String, Var> e : net.namedParameters().entrySet()) {
                out.add(e.getValue().grad().toArray());
            }
            return out;
        } finally {
            ResBlock.fusedNormSilu = before;
        }
    }

    private static void assertClose(UNet.Config config, String what) {
        List<float[]> unfused = run(config, false);
        List<float[]> fused = run(config, true);
        assertEquals(unfused.size(), fused.size());
        for (int i = 0; i < unfused.size(); i++) {
            float[] e = unfused.get(i), a = fused.get(i);
            double scale = 0, worst = 0;
            for (int j = 0; j < e.length; j++) {
                scale = Math.max(scale, Math.abs(e[j]));
                worst = Math.max(worst, Math.abs((double) e[j] - a[j]));
            }
            if (!(worst <= 1e-4 * (1 + scale))) {
                fail(what + ": " + (i == 0 ? "output" : "gradient of parameter " + (i - 1)) + ": max |fused - unfused| "
                        + worst + " for max |unfused| " + scale);
            }
        }
    }

    @Test
    void scaleShiftNetworkMatchesTheLayerByLayerRoute() {
        assertClose(UNetTest.tiny(3, true, true), "tiny, scale-shift, class-conditional, up/down ResBlocks");
    }

    @Test
    void plainNetworkMatchesTheLayerByLayerRoute() {
        assertClose(UNetTest.tiny(0, false, false), "tiny, embedding added, conv resampling");
    }
}
