package dev.cm4j.consistency.editing;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.cm4j.consistency.KarrasSchedule;
import dev.cm4j.consistency.analytic.CorrelatedGaussianData;
import dev.cm4j.consistency.analytic.GaussianData;
import dev.cm4j.consistency.model.Denoiser;
import dev.cm4j.consistency.sampling.MultistepSampler;
import dev.cm4j.tensor.Rng;
import dev.cm4j.tensor.Tensor;
import org.junit.jupiter.api.Test;

/** Spherical interpolation between noises, and between images through their probability-flow noises. */
class InterpolationTest {
    private static final KarrasSchedule GRID = KarrasSchedule.DEFAULT;
    private static final CorrelatedGaussianData DATA = CorrelatedGaussianData.smoothImages(1, 8, 8, 0.4, 2.0,
            new double[][] {{1}}, 0.02);

    @Test
    void endpointsReproduceTheOneStepSamplesOfTheEndpoints() {
        Denoiser f = DATA.consistencyFunction(GRID.sigmaMin());
        Tensor z1 = new Rng(1).normal(1, 1, 8, 8);
        Tensor z2 = new Rng(2).normal(1, 1, 8, 8);
        Tensor path = new Interpolation(GRID, true).betweenNoises(f, z1, z2, Interpolation.evenAlphas(5));
        assertArrayEquals(new int[] {5, 1, 8, 8}, path.shape());
        MultistepSampler oneStep = MultistepSampler.images(GRID);
        Tensor x1 = oneStep.sample(f, z1, new double[] {80}, (dev.cm4j.consistency.noise.NoiseSource) null);
        Tensor x2 = oneStep.sample(f, z2, new double[] {80}, (dev.cm4j.consistency.noise.NoiseSource) null);
        assertArrayEquals(x1.toArray(), path.slice(0, 0, 1).toArray(), "alpha 0");
        assertArrayEquals(x2.toArray(), path.slice(0, 4, 5).toArray(), "alpha 1");
    }

    @Test
    void slerpKeepsTheNormOfOrthogonalNoisesAndMatchesTheClosedForm() {
        GaussianData data = new GaussianData(0.5);
        Denoiser f = data.consistencyFunction(GRID.sigmaMin());
        Tensor z1 = new Rng(3).normal(1, 3, 16, 16);
        Tensor z2 = new Rng(4).normal(1, 3, 16, 16);
        double n1 = Math.sqrt(z1.square().sum().item());
        double n2 = Math.sqrt(z2.square().sum().item());
        double mid = Math.sqrt(Interpolation.slerp(z1, z2, 0.5).square().sum().item());
        double lerp = Math.sqrt(z1.add(z2).mul(0.5f).square().sum().item());
        // independent noises are nearly orthogonal: the arc keeps the norm, the chord's midpoint loses ~1/sqrt(2)
        assertEquals((n1 + n2) / 2, mid, 0.03 * n1, "slerp midpoint norm");
        assertTrue(lerp < 0.8 * mid, "linear midpoint norm " + lerp + " vs slerp " + mid);
        double alpha = 0.3;
        double theta = Math.acos(z1.mul(z2).sum().item() / (n1 * n2));
        Tensor expected = z1.mul((float) (Math.sin((1 - alpha) * theta) / Math.sin(theta)))
                .add(z2.mul((float) (Math.sin(alpha * theta) / Math.sin(theta))))
                .mul((float) (80 * data.odeFactor(80, GRID.sigmaMin())));
        Tensor got = new Interpolation(GRID, false).betweenNoises(f, z1, z2, new double[] {alpha});
        double d = expected.sub(got).abs().max(false).item();
        assertTrue(d < 1e-5, "f(80 slerp) vs closed form: " + d);
    }

    @Test
    void imagesInterpolatedThroughTheirNoisesComeBackAtTheEnds() {
        // the teacher is the exact denoiser, f the exact consistency function: Heun's inversion then f return the image
        Denoiser teacher = DATA.denoiser();
        Denoiser f = DATA.consistencyFunction(GRID.sigmaMin());
        Tensor x1 = DATA.sample(new Rng(5), 1, 1, 8, 8);
        Tensor x2 = DATA.sample(new Rng(6), 1, 1, 8, 8);
        Interpolation interp = new Interpolation(GRID, false);
        Tensor z1 = interp.noiseOf(teacher, x1, 40);
        double std = Math.sqrt(z1.square().mean().item());
        // the PF-ODE carries data to N(0, sigmaMax^2 I) (plus the data's tiny variance): a noise of rms ~1
        assertTrue(std > 0.7 && std < 1.3, "rms of the noise of a data sample: " + std);
        Tensor path = interp.betweenImages(f, teacher, x1, x2, new double[] {0, 0.5, 1}, 40);
        double e1 = path.slice(0, 0, 1).sub(x1).abs().max(false).item();
        double e2 = path.slice(0, 2, 3).sub(x2).abs().max(false).item();
        System.out.printf("interpolation through PF-ODE noises (Heun, 40 points): max |end - image| = %.2e, %.2e%n",
                e1, e2);
        assertTrue(e1 < 1e-2 && e2 < 1e-2, "ends vs images: " + e1 + ", " + e2);
    }

    @Test
    void badInputIsRefused() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> Interpolation.slerp(Tensor.zeros(1, 4), Tensor.zeros(1, 5), 0.5));
        assertTrue(e.getMessage().contains("[1, 4]") && e.getMessage().contains("[1, 5]"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> Interpolation.evenAlphas(1));
        assertTrue(e.getMessage().contains("got 1"), e.getMessage());
    }
}
