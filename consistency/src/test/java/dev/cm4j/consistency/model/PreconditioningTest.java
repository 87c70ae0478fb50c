package dev.cm4j.consistency.model;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.cm4j.models.ToyMlp;
import dev.cm4j.models.unet.UNet;
import dev.cm4j.tensor.Rng;
import dev.cm4j.tensor.Tensor;
import org.junit.jupiter.api.Test;

class PreconditioningTest {
    private static final Preconditioning CM = Preconditioning.consistency(0.5, 0.002);
    private static final Preconditioning EDM = Preconditioning.edm(0.5);

    @Test
    void boundaryConditionHoldsExactly() {
        // f(x, eps) = x: c_skip(eps) = 1 and c_out(eps) = 0 exactly, not approximately
        assertEquals(1.0, CM.cSkip(0.002));
        assertEquals(0.0, CM.cOut(0.002));
        Preconditioning other = Preconditioning.consistency(0.7, 0.05);
        assertEquals(1.0, other.cSkip(0.05));
        assertEquals(0.0, other.cOut(0.05));
        Tensor x = Tensor.of(new float[] {0.3f, -1.7f, 2.5f, 4f}, 2, 2);
        Tensor f = Tensor.of(new float[] {100f, 200f, -300f, 400f}, 2, 2);
        Tensor y = CM.combine(x, new float[] {0.002f, 0.002f}, f);
        assertArrayEquals(x.toArray(), y.toArray());
    }

    @Test
    void scalingsMatchTheFormulas() {
        double sd = 0.5;
        for (double sigma : new double[] {0.002, 0.1, 0.5, 1, 7.3, 80}) {
            // EDM (Karras et al. 2022, Table 1)
            assertEquals(sd * sd / (sigma * sigma + sd * sd), EDM.cSkip(sigma), 1e-15);
            assertEquals(sigma * sd / Math.sqrt(sigma * sigma + sd * sd), EDM.cOut(sigma), 1e-15);
            assertEquals(1 / Math.sqrt(sigma * sigma + sd * sd), EDM.cIn(sigma), 1e-15);
            // CM: sigma - eps in c_skip and in c_out's numerator, sigma under c_out's root
            double s = sigma - 0.002;
            assertEquals(sd * sd / (s * s + sd * sd), CM.cSkip(sigma), 1e-15);
            assertEquals(sd * s / Math.sqrt(sigma * sigma + sd * sd), CM.cOut(sigma), 1e-15);
            assertEquals(EDM.cIn(sigma), CM.cIn(sigma));
        }
        // EDM chose c_out so the network's target (x0 - c_skip (x0 + sigma n)) / c_out has unit variance:
        // Var[(1 - c_skip) x0 - c_skip sigma n] = (1 - c_skip)^2 sd^2 + c_skip^2 sigma^2 = c_out^2
        for (double sigma : new double[] {0.01, 0.5, 3, 80}) {
            double cs = EDM.cSkip(sigma);
            double co = EDM.cOut(sigma);
            assertEquals(co * co, (1 - cs) * (1 - cs) * sd * sd + cs * cs * sigma * sigma, 1e-12);
        }
    }

    @Test
    void cNoiseVariants() {
        assertEquals(Math.log(80) / 4, CNoise.QUARTER_LOG.of(80), 1e-15);
        assertEquals(250 * Math.log(0.002), CNoise.ADM.of(0.002), 1e-9);
        assertEquals(-1553.6, CNoise.ADM.of(0.002), 0.1);
        assertEquals(1095.5, CNoise.ADM.of(80), 0.1);
        float[] c = EDM.withCNoise(CNoise.QUARTER_LOG).cNoise(new float[] {1f, (float) Math.E});
        assertEquals(0f, c[0]);
        assertEquals(0.25f, c[1], 1e-7f);
    }

    @Test
    void perSampleScalingUsesEachSamplesSigma() {
        Tensor x = Tensor.of(new float[] {1, 2, 3, 4, 5, 6}, 3, 2);
        float[] sigma = {0.1f, 1f, 10f};
        Tensor in = EDM.scaleInput(x, sigma);
        for (int b = 0; b < 3; b++) {
            for (int j = 0; j < 2; j++) {
                assertEquals(x.get(b, j) * EDM.cIn(sigma[b]), in.get(b, j), 1e-6);
            }
        }
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> EDM.scaleInput(x, new float[] {1f, 2f}));
        assertTrue(e.getMessage().contains("[3, 2]") && e.getMessage().contains("got 2"), e.getMessage());
    }

    @Test
    void badSettingsAreRejected() {
        assertThrows(IllegalArgumentException.class, () -> Preconditioning.edm(0));
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> Preconditioning.consistency(0.5, -0.1));
        assertTrue(e.getMessage().contains("epsilon"), e.getMessage());
    }

    @Test
    void theEncodingComesFromTheNetworkAndAContradictionIsRefused() {
        UNetNet unet = UNetNet.create(UNet.Config.preset("small28"), new Rng(1));
        assertEquals(CNoise.ADM, unet.cNoise(), "a U-Net reads the released 250 ln sigma unless told otherwise");
        assertEquals(CNoise.ADM, new Preconditioned(unet, EDM).preconditioning().cNoise());
        assertEquals(CNoise.QUARTER_LOG, new Preconditioned(new UNetNet(unet.unet(), CNoise.QUARTER_LOG), EDM)
                .preconditioning().cNoise());
        ToyMlpNet mlp = ToyMlpNet.create(ToyMlp.Config.small2d(), new Rng(2));
        Preconditioned toy = new Preconditioned(mlp, CM);
        assertEquals(CNoise.QUARTER_LOG, toy.preconditioning().cNoise());
        assertEquals((float) (0.25 * Math.log(0.5)), toy.preconditioning().cNoise(new float[] {0.5f})[0]);

        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> new Preconditioned(mlp, CM.withCNoise(CNoise.ADM)));
        assertTrue(e.getMessage().contains("encodes c_noise as ADM but the network ToyMlpNet expects QUARTER_LOG"),
                e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> new Preconditioned(unet, EDM.withCNoise(
                CNoise.QUARTER_LOG)));
        assertTrue(e.getMessage().contains("as QUARTER_LOG but the network UNetNet expects ADM"), e.getMessage());
        IllegalStateException unset = assertThrows(IllegalStateException.class, () -> EDM.cNoise(1.0));
        assertTrue(unset.getMessage().contains("no c_noise encoding is set"), unset.getMessage());
    }
}
