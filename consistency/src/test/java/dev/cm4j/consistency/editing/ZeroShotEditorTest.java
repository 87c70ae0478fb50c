package dev.cm4j.consistency.editing;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.cm4j.consistency.KarrasSchedule;
import dev.cm4j.consistency.analytic.CorrelatedGaussianData;
import dev.cm4j.consistency.analytic.GaussianData;
import dev.cm4j.consistency.model.Denoiser;
import dev.cm4j.consistency.noise.NoiseSource;
import dev.cm4j.consistency.sampling.MultistepSampler;
import dev.cm4j.tensor.Rng;
import dev.cm4j.tensor.Tensor;
import java.util.Arrays;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.function.Executable;

/**
 * Algorithm 4 on analytic data: smooth Gaussian images N(0, Sigma), whose consistency function is exact, so the edits
 * can be judged against the truth; and isotropic Gaussian data, whose consistency function is a scalar, so the edits
 * have a closed form.
 */
class ZeroShotEditorTest {
    private static final KarrasSchedule GRID = KarrasSchedule.DEFAULT;
    private static final double EPS = GRID.sigmaMin();
    private static final double[][] ONE_CHANNEL = {{1}};
    private static final double[][] RGB = {{1, 0.9, 0.8}, {0.9, 1, 0.9}, {0.8, 0.9, 1}};

    /** Smooth gray 8x8 images: amplitude 0.4, correlation length 2 pixels. */
    private static final CorrelatedGaussianData GRAY = CorrelatedGaussianData.smoothImages(1, 8, 8, 0.4, 2.0,
            ONE_CHANNEL, 0.02);
    /** Smooth colour 4x4 images whose channels are strongly correlated. */
    private static final CorrelatedGaussianData COLOUR = CorrelatedGaussianData.smoothImages(3, 4, 4, 0.4, 1.5, RGB,
            0.02);

    /** A 4x4 hole in the middle of 8x8 gray images. */
    private static final Edit HOLE = Edit.inpainting(Masks.boxes(1, 8, 8, new int[] {2, 2, 4, 4}));
    private static final Denoiser F_GRAY = GRAY.consistencyFunction(EPS);

    /** The first M points of an (M + 1)-point Karras grid: M steps from sigmaMax. */
    private static double[] steps(int m) {
        return Arrays.copyOf(GRID.sigmas(m + 1), m);
    }

    /** Root mean square of a - b over the elements where {@code known} (C, H, W) is 0, over the batch. */
    private static double hiddenRmse(Tensor a, Tensor b, Tensor known) {
        int per = known.size();
        double sum = 0;
        int n = 0;
        for (int i = 0; i < a.size(); i++) {
            if (known.data()[i % per] == 0) {
                double d = a.data()[a.offset() + i] - b.data()[b.offset() + i];
                sum += d * d;
                n++;
            }
        }
        return Math.sqrt(sum / n);
    }

    private static void assertClear(Executable call, String... parts) {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, call);
        for (String p : parts) {
            assertTrue(e.getMessage().contains(p), "'" + p + "' missing from: " + e.getMessage());
        }
    }

    @Test
    void knownComponentsEqualTheInputsAfterEveryStep() {
        ZeroShotEditor editor = ZeroShotEditor.images(GRID);
        Tensor gray = GRAY.sample(new Rng(1), 4, 1, 8, 8);
        Tensor colour = COLOUR.sample(new Rng(2), 4, 3, 4, 4);
        Object[][] cases = {
            {Edit.inpainting(Masks.boxes(1, 8, 8, new int[] {2, 2, 4, 4})), gray, GRAY},
            {Edit.inpainting(Masks.strokes(1, 8, 8, 7, 2, 2)), gray, GRAY},
            {Edit.superResolution(1, 8, 8, 2), gray, GRAY},
            {Edit.superResolution(1, 8, 8, 4), gray, GRAY},
            {Edit.colorization(4, 4), colour, COLOUR},
        };
        double worst = 0;
        for (Object[] c : cases) {
            Edit edit = (Edit) c[0];
            Tensor y = (Tensor) c[1];
            Denoiser f = ((CorrelatedGaussianData) c[2]).consistencyFunction(EPS);
            double[] seen = {0};
            int[] calls = {0};
            Tensor x = editor.edit(f, edit, y, new double[] {80, 5, 1, 0.3}, NoiseSource.of(new Rng(3)),
                    (step, sigma, xs) -> {
                        seen[0] = Math.max(seen[0], edit.knownError(xs, y));
                        calls[0]++;
                    });
            assertEquals(4, calls[0], edit.name() + ": one report per step");
            seen[0] = Math.max(seen[0], edit.knownError(x, y));
            assertTrue(seen[0] < 1e-5, edit.name() + ": max |A x - A y| on the known components = " + seen[0]);
            worst = Math.max(worst, seen[0]);
        }
        System.out.printf("editing: max |A x - A y| on known components after every step: %.2e%n", worst);
    }

    /**
     * Smooth images with correlation length 3 pixels and a 4x4 hole: the hidden pixels' root mean square error to the
     * truth against an unconditional one-step sample's, for 1 to 16 steps on the Karras grid.
     */
    @Test
    void inpaintingErrorIsFarBelowAnUnconditionalSampleAndFallsWithSteps() {
        Tensor known = Masks.boxes(1, 8, 8, new int[] {2, 2, 4, 4});
        Edit edit = Edit.inpainting(known);
        CorrelatedGaussianData data = CorrelatedGaussianData.smoothImages(1, 8, 8, 0.4, 3.0, ONE_CHANNEL, 0.02);
        Denoiser f = data.consistencyFunction(EPS);
        Tensor truth = data.sample(new Rng(11), 64, 1, 8, 8);
        boolean[] isKnown = new boolean[64];
        for (int i = 0; i < 64; i++) {
            isKnown[i] = known.data()[i] != 0;
        }
        double conditional = Math.sqrt(2 * data.conditionalVariance(isKnown));
        Tensor unconditional = MultistepSampler.images(GRID).sample(f, new int[] {64, 1, 8, 8}, new double[] {80},
                NoiseSource.of(new Rng(12)));
        double baseline = hiddenRmse(unconditional, truth, known);
        int[] ms = {1, 2, 4, 8, 16};
        double[] err = new double[ms.length];
        for (int i = 0; i < ms.length; i++) {
            Tensor x = ZeroShotEditor.images(GRID).edit(f, edit, truth, steps(ms[i]), NoiseSource.of(new Rng(13)));
            err[i] = hiddenRmse(x, truth, known);
        }
        System.out.printf("inpainting 4x4 hole of 8x8 smooth Gaussian images, hidden RMSE: unconditional %.4f; "
                + "steps 1: %.4f, 2: %.4f, 4: %.4f, 8: %.4f, 16: %.4f; an exact conditional sample: %.4f%n", baseline, err[0],
                err[1], err[2], err[3], err[4], conditional);
        // one step at sigmaMax hardly sees the reference; every further step pulls the hole toward its surroundings
        assertTrue(err[3] < 0.6 * baseline, "8 steps " + err[3] + " vs unconditional " + baseline);
        assertTrue(err[4] < 0.45 * baseline, "16 steps " + err[4] + " vs unconditional " + baseline);
        assertTrue(err[4] > conditional, "no edit beats an exact conditional sample: " + err[4] + " vs " + conditional);
        for (int i = 1; i < ms.length; i++) {
            assertTrue(err[i] < err[i - 1], "error must fall with steps: " + Arrays.toString(err));
        }
    }

    @Test
    void superResolvedImagesAverageBackToTheLowResolutionInput() {
        for (int p : new int[] {2, 4, 8}) {
            Edit edit = Edit.superResolution(1, 8, 8, p);
            Tensor y = GRAY.sample(new Rng(21), 4, 1, 8, 8);
            Tensor x = ZeroShotEditor.images(GRID).edit(GRAY.consistencyFunction(EPS), edit, y,
                    new double[] {80, 2, 0.5}, NoiseSource.of(new Rng(22)));
            double worst = 0;
            for (int b = 0; b < 4; b++) {
                for (int by = 0; by < 8; by += p) {
                    for (int bx = 0; bx < 8; bx += p) {
                        Tensor px = x.slice(0, b, b + 1).slice(2, by, by + p).slice(3, bx, bx + p);
                        Tensor py = y.slice(0, b, b + 1).slice(2, by, by + p).slice(3, bx, bx + p);
                        worst = Math.max(worst, Math.abs(px.mean().item() - py.mean().item()));
                    }
                }
            }
            System.out.printf("superresolution p=%d: max |patch mean of output - low-res input| = %.2e%n", p, worst);
            assertTrue(worst < 1e-6, "p = " + p + ": " + worst);
        }
    }

    /**
     * With isotropic data f(x, t) = k(t) x commutes with every orthogonal A, so in A-space the generated coefficients
     * follow c <- k(tau_n) (c + s_{n-1} A z_{n-1}) from c = A ref + tau_1 A z_0, and the known ones stay A y.
     */
    @Test
    void editsOfIsotropicGaussianDataEqualTheirClosedForm() {
        GaussianData data = new GaussianData(0.5);
        Denoiser f = data.consistencyFunction(EPS);
        Tensor gray = new Rng(31).normal(3, 1, 8, 8).mul(0.5f);
        Tensor colour = new Rng(32).normal(3, 3, 4, 4).mul(0.5f);
        Edit[] edits = {Edit.inpainting(Masks.strokes(1, 8, 8, 5, 3, 2)), Edit.superResolution(1, 8, 8, 4),
            Edit.colorization(4, 4)};
        Tensor[] inputs = {gray, gray, colour};
        double[] tau = {80, 3, 0.7};
        double worst = 0;
        for (int e = 0; e < edits.length; e++) {
            Edit edit = edits[e];
            Tensor y = inputs[e];
            Tensor x = ZeroShotEditor.unbounded(GRID).edit(f, edit, y, tau, NoiseSource.of(new Rng(33)));
            // the same draws in the same order: the start, then one after each step
            Rng rng = new Rng(33);
            OrthogonalTransform a = edit.transform();
            float[] k = edit.known().data();
            double[] ay = toDouble(a.forward(y));
            double[] c = toDouble(a.forward(edit.reference(y)));
            double[] z0 = toDouble(a.forward(rng.normal(y.shape())));
            for (int i = 0; i < c.length; i++) {
                c[i] += tau[0] * z0[i];
            }
            for (int n = 0; n < tau.length; n++) {
                double gain = data.odeFactor(tau[n], EPS);
                for (int i = 0; i < c.length; i++) {
                    c[i] = k[i % k.length] != 0 ? ay[i] : gain * c[i];
                }
                double next = n + 1 < tau.length ? tau[n + 1] : EPS;
                double[] zn = toDouble(a.forward(rng.normal(y.shape())));
                for (int i = 0; i < c.length; i++) {
                    c[i] += Math.sqrt(next * next - EPS * EPS) * zn[i];
                }
            }
            float[] cf = new float[c.length];
            for (int i = 0; i < c.length; i++) {
                cf[i] = (float) c[i];
            }
            Tensor expected = a.inverse(Tensor.wrap(cf, y.shape()));
            double diff = expected.sub(x).abs().max(false).item();
            worst = Math.max(worst, diff);
            assertTrue(diff < 1e-5, edit.name() + ": max |closed form - edit| = " + diff);
        }
        System.out.printf("isotropic Gaussian data: max |closed form - edit| over inpainting, superres, colorization: "
                + "%.2e%n", worst);
    }

    @Test
    void denoisingAndStrokeGuidedGenerationEqualTheirClosedForm() {
        GaussianData data = new GaussianData(0.5);
        Denoiser f = data.consistencyFunction(EPS);
        ZeroShotEditor editor = ZeroShotEditor.unbounded(GRID);
        Tensor clean = new Rng(41).normal(2, 1, 8, 8).mul(0.5f);
        double sigma = 0.2964;
        Tensor noisy = clean.add(new Rng(42).normal(2, 1, 8, 8).mul((float) sigma));
        Tensor denoised = editor.denoise(f, noisy, sigma);
        double dn = denoised.sub(noisy.mul((float) data.odeFactor(sigma, EPS))).abs().max(false).item();
        assertTrue(dn < 1e-6, "denoise: max |f(y, sigma) - k(sigma) y| = " + dn);

        double[] tau = {2.0, 0.5};
        Tensor x = editor.strokes(f, clean, tau, NoiseSource.of(new Rng(43)));
        Rng rng = new Rng(43);
        Tensor expected = clean.add(rng.normal(2, 1, 8, 8).mul((float) tau[0])).mul((float) data.odeFactor(tau[0], EPS));
        expected = expected.add(rng.normal(2, 1, 8, 8).mul((float) Math.sqrt(tau[1] * tau[1] - EPS * EPS)))
                .mul((float) data.odeFactor(tau[1], EPS));
        double ds = expected.sub(x).abs().max(false).item();
        assertTrue(ds < 1e-5, "strokes: max |closed form - edit| = " + ds);
    }

    @Test
    void timesAsGridIndicesFollowTheReleasedLoop() {
        Denoiser f = GRAY.consistencyFunction(EPS);
        Edit edit = Edit.inpainting(Masks.boxes(1, 8, 8, new int[] {0, 0, 8, 4}));
        Tensor y = GRAY.sample(new Rng(51), 2, 1, 8, 8);
        ZeroShotEditor editor = ZeroShotEditor.images(GRID);
        double[] sigmas = editor.indicesToSigmas(new int[] {0, 20, 39}, 40);
        double[] seen = new double[2];
        Tensor byIndex = editor.editAtIndices(f, edit, y, new int[] {0, 20, 39}, 40, NoiseSource.of(new Rng(52)),
                (step, sigma, x) -> seen[step] = sigma);
        assertArrayEquals(sigmas, seen, "f is evaluated at the indices' sigmas");
        // the sigma form at the same times draws the same noise, so the results agree but for the last, zero-scaled draw
        Tensor bySigma = editor.edit(f, edit, y, sigmas, NoiseSource.of(new Rng(52)));
        double d = byIndex.sub(bySigma).abs().max(false).item();
        assertTrue(d < 1e-6, "indices vs sigmas: " + d);
    }

    @Test
    void sameSeedSameEditAndAnotherSeedAnother() {
        Tensor y = GRAY.sample(new Rng(61), 2, 1, 8, 8);
        ZeroShotEditor editor = ZeroShotEditor.images(GRID);
        double[] tau = {80, 1};
        Tensor a = editor.edit(F_GRAY, HOLE, y, tau, NoiseSource.of(new Rng(62)));
        Tensor b = editor.edit(F_GRAY, HOLE, y, tau, NoiseSource.of(new Rng(62)));
        Tensor c = editor.edit(F_GRAY, HOLE, y, tau, NoiseSource.of(new Rng(63)));
        assertArrayEquals(a.toArray(), b.toArray());
        assertFalse(Arrays.equals(a.toArray(), c.toArray()));
    }

    @Test
    void badInputIsRefusedNamingTheSizesAndValues() {
        Denoiser f = F_GRAY;
        ZeroShotEditor editor = ZeroShotEditor.images(GRID);
        NoiseSource noise = NoiseSource.of(new Rng(0));
        Tensor y = Tensor.zeros(1, 1, 8, 8);
        Edit box = HOLE;
        assertClear(() -> editor.edit(f, Edit.inpainting(Masks.boxes(1, 6, 8, new int[] {0, 0, 2, 2})), y,
                new double[] {80}, noise), "[1, 6, 8]", "[1, 1, 8, 8]");
        assertClear(() -> editor.edit(f, Edit.inpainting(Masks.boxes(3, 8, 8, new int[] {0, 0, 2, 2})), y,
                new double[] {80}, noise), "[3, 8, 8]", "[1, 1, 8, 8]");
        assertClear(() -> editor.edit(f, Edit.colorization(8, 8), y, new double[] {80}, noise), "[3, 8, 8]",
                "[1, 1, 8, 8]");
        assertClear(() -> Edit.superResolution(1, 8, 8, 3), "patch size 3", "8x8");
        assertClear(() -> editor.edit(f, box, y, new double[] {80, 2, 2}, noise), "[80.0, 2.0, 2.0]", "decrease");
        assertClear(() -> editor.edit(f, box, y, new double[] {0.5, 3}, noise), "[0.5, 3.0]", "decrease");
        assertClear(() -> editor.edit(f, box, y, new double[] {80, -1}, noise), "positive", "-1.0");
        assertClear(() -> editor.editAtIndices(f, box, y, new int[] {0, 30, 20, 39}, 40, noise, null),
                "[0, 30, 20, 39]", "increase");
        assertClear(() -> Masks.boxes(1, 8, 8, new int[] {6, 6, 4, 4}), "[6, 6, 4, 4]", "8x8");
        assertClear(() -> new Edit("x", new OrthogonalTransform.Identity(), Tensor.full(0.5f, 1, 2, 2), 0),
                "0 or 1", "0.5");
    }

    private static double[] toDouble(Tensor t) {
        double[] d = new double[t.size()];
        for (int i = 0; i < d.length; i++) {
            d[i] = t.data()[t.offset() + i];
        }
        return d;
    }
}
