package dev.cm4j.models.unet;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.cm4j.autodiff.Losses;
import dev.cm4j.autodiff.Var;
import dev.cm4j.autodiff.optim.Adam;
import dev.cm4j.tensor.Rng;
import java.lang.reflect.Field;
import java.util.LinkedHashMap;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * Two training steps of {@link UNet.Config#small28()} (scale-shift, attention, skip concatenations) with
 * {@code Var.inPlaceGradients} off and on: every parameter after the Adam steps, and the losses, must be the same
 * bits. The switch is package-private in {@code dev.cm4j.autodiff}, a package of another module, so it is set by
 * reflection (the tests run on the class path).
 */
class UNetInPlaceGradientsTest {
    private static Map<String, float[]> train(boolean inPlace, float[] losses) throws ReflectiveOperationException {
        Field field = Var.class.getDeclaredField("inPlaceGradients");
        field.setAccessible(true);
        boolean before = field.getBoolean(null);
        field.setBoolean(null, inPlace);
        try {
            Rng rng = new Rng(3);
            UNet net = new UNet(UNet.Config.small28(), rng);
            Adam adam = new Adam(net.namedParameters(), 1e-3);
            Var x = Var.constant(rng.normal(2, 1, 28, 28));
            Var cNoise = Var.constant(rng.uniform(-2f, 2f, 2));
            Var target = Var.constant(rng.normal(2, 1, 28, 28));
            for (int step = 0; step < 2; step++) {
                adam.zeroGrad();
                Var loss = Losses.msePerSample(net.forward(x, cNoise, null), target).mean();
                loss.backward();
                adam.step();
                losses[step] = loss.item();
            }
            Map<String, float[]> out = new LinkedHashMap<>();
            for (Map.Entry<String, Var> e : net.namedParameters().entrySet()) {
                out.put(e.getKey(), e.getValue().value().toArray());
            }
            return out;
        } finally {
            field.setBoolean(null, before);
        }
    }

    @Test
    void trainingStepsGiveTheSameBits() throws ReflectiveOperationException {
        float[] lossCopying = new float[2];
        float[] lossInPlace = new float[2];
        Map<String, float[]> copying = train(false, lossCopying);
        Map<String, float[]> inPlace = train(true, lossInPlace);
        for (int i = 0; i < 2; i++) {
            assertEquals(Float.floatToRawIntBits(lossCopying[i]), Float.floatToRawIntBits(lossInPlace[i]),
                    "loss of step " + i + ": " + lossCopying[i] + " vs " + lossInPlace[i]);
        }
        for (Map.Entry<String, float[]> e : copying.entrySet()) {
            float[] a = e.getValue(), b = inPlace.get(e.getKey());
            double max = 0;
            int first = -1;
            for (int j = 0; j < a.length; j++) {
                if (Float.floatToRawIntBits(a[j]) != Float.floatToRawIntBits(b[j])) {
                    max = Math.max(max, Math.abs((double) a[j] - b[j]));
                    first = first < 0 ? j : first;
                }
            }
            assertEquals(-1, first, e.getKey() + " differs after two steps from element " + first + ", max |diff| "
                    + max);
        }
    }
}
