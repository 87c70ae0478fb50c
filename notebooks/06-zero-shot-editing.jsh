// cm4j notebook 06: zero-shot editing with a consistency model (Song, Dhariwal, Chen, Sutskever 2023, section 6.3
// and Algorithm 4; docs/EDITING.md).
// Run: notebooks/run 06   (settings: -Dcm4j.notebook.short=true cuts the work, -Dcm4j.notebook.out=DIR the pictures,
// -Dcm4j.notebook.model=FILE a consistency checkpoint of cm4j distill / train-ict / train-ct / train-ect to edit
// Fashion-MNIST test images with, -Dcm4j.notebook.data=DIR the Fashion-MNIST folder, -Dcm4j.notebook.inpaint.ts=...
// and -Dcm4j.notebook.superres.ts=... the model's step times as indices into the 40-point grid,
// -Dcm4j.notebook.rgbModel=FILE an RGB consistency checkpoint trained on EmojiOne with --subset 1700, to colour and
// super-resolve the EmojiOne images it did not see, -Dcm4j.notebook.colorize.ts=... and
// -Dcm4j.notebook.rgbsuperres.ts=... its step times)
import dev.cm4j.tensor.*;
import dev.cm4j.consistency.*;
import dev.cm4j.consistency.analytic.CorrelatedGaussianData;
import dev.cm4j.consistency.api.*;
import dev.cm4j.consistency.data.*;
import dev.cm4j.consistency.editing.*;
import dev.cm4j.consistency.model.Denoiser;
import dev.cm4j.consistency.noise.NoiseSource;
import dev.cm4j.consistency.sampling.MultistepSampler;
import java.nio.file.*;
import java.util.Arrays;

boolean SHORT = Boolean.getBoolean("cm4j.notebook.short");
Path OUT = Path.of(System.getProperty("cm4j.notebook.out", "notebooks/out"));
Files.createDirectories(OUT);
long t0 = System.nanoTime();
System.out.println("== 06 zero-shot editing" + (SHORT ? " (short setting)" : ""));

// ---- 1. Data with a known answer. Smooth random 8x8 gray images, a Gaussian N(0, Sigma) whose covariance falls
// with the distance between pixels (amplitude 0.4, correlation length 3 pixels): the known part of an image says
// something about the rest, as with real images. For Gaussian data the probability-flow ODE is linear, so the
// consistency function is exact, in the eigenbasis Sigma = U diag(lambda) U^T:
//   f(x, sigma) = U diag(sqrt((lambda + eps^2) / (lambda + sigma^2))) U^T x,      f(x, eps) = x
// Every error below is the editing algorithm's, not a network's.
KarrasSchedule GRID = KarrasSchedule.DEFAULT;
double EPS = GRID.sigmaMin();
CorrelatedGaussianData GRAY = CorrelatedGaussianData.smoothImages(1, 8, 8, 0.4, 3.0, new double[][] {{1}}, 0.02);
Denoiser f = GRAY.consistencyFunction(EPS);
int B = SHORT ? 16 : 64;
Tensor truth = GRAY.sample(new Rng(11), B, 1, 8, 8);   // (B, 1, 8, 8), the images to edit
Tensor atEps = f.denoise(truth, PerSample.fill(B, EPS));
System.out.printf("the exact f keeps its boundary condition: max |f(x, eps) - x| = %.1e%n",
        atEps.maxAbsDiff(truth));

// ---- 2. Algorithm 4. An orthogonal transform A splits an image into coefficients that are known (kept from the
// reference y) and coefficients the model generates. With decreasing times tau_1 > ... > tau_M (in sigma):
//   x = ref + tau_1 z;  for each n: x0 = f(x, tau_n), clamped to [-1, 1]
//                                   x0 = A^T[(A ref) known + (A x0) (1 - known)]   (keep what is known)
//                                   x  = x0 + sqrt(tau_{n+1}^2 - eps^2) z_n         (renoise, 0 after the last)
// Inpainting is A = I with the hole unknown. Times here: the first M points of an (M + 1)-point Karras grid.
double[] times(int m) {
    return Arrays.copyOf(GRID.sigmas(m + 1), m);
}
// root mean square of a - b over the elements where known (C, H, W) is 0
double hiddenRmse(Tensor a, Tensor b, Tensor known) {
    int per = known.size();
    double sum = 0;
    int count = 0;
    for (int i = 0; i < a.size(); i++) {
        if (known.data()[known.offset() + i % per] == 0) {
            double d = a.data()[a.offset() + i] - b.data()[b.offset() + i];
            sum += d * d;
            count++;
        }
    }
    return Math.sqrt(sum / count);
}
Tensor hole = Masks.boxes(1, 8, 8, new int[] {2, 2, 4, 4});   // 1 = keep, 0 = the 4x4 hole in the middle
Edit inpaint = Edit.inpainting(hole);
ZeroShotEditor editor = ZeroShotEditor.images(GRID);
boolean[] isKnown = new boolean[64];
for (int i = 0; i < 64; i++) isKnown[i] = hole.data()[i] != 0;
Tensor unconditional = MultistepSampler.images(GRID).sample(f, new int[] {B, 1, 8, 8}, new double[] {80},
        NoiseSource.of(new Rng(12)));
System.out.printf("inpainting a 4x4 hole of %d smooth 8x8 images: RMSE of the hidden pixels to the truth%n", B);
System.out.printf("  an unconditional one-step sample (ignores the image): %.4f%n",
        hiddenRmse(unconditional, truth, hole));
int[] stepCounts = SHORT ? new int[] {1, 4, 16} : new int[] {1, 2, 4, 8, 16, 32};
Tensor[] inpainted = new Tensor[stepCounts.length];
for (int k = 0; k < stepCounts.length; k++) {
    inpainted[k] = editor.edit(f, inpaint, truth, times(stepCounts[k]), NoiseSource.of(new Rng(13)));
    System.out.printf("  %2d steps (NFE), from sigma %5.1f: %.4f   (known pixels off by %.1e)%n", stepCounts[k],
            times(stepCounts[k])[0], hiddenRmse(inpainted[k], truth, hole), inpaint.knownError(inpainted[k], truth));
}
double exact = Math.sqrt(2 * GRAY.conditionalVariance(isKnown));
System.out.printf("  an exact sample of the hole given the rest (expected): %.4f%n", exact);
System.out.println("one step from sigma 80 hardly sees the reference (1/80 of x = ref + 80 z, beside the noise);");
System.out.println("each added step pulls the hole towards its surroundings, but Algorithm 4 is no exact posterior");
System.out.println("sampler: the error stays above an exact conditional sample's. Known pixels are kept exactly.");

// ---- 3. Super-resolution. A cuts each channel into p x p patches and multiplies each flattened patch by a
// p^2 x p^2 orthogonal Q whose column 0 is constant 1/p: coefficient 0 is p times the patch mean, known from the
// low-resolution image; the other p^2 - 1 are generated.
double[][] q2 = OrthogonalBases.patch(2);
System.out.println("Q for p = 2 (rows: pixel of the patch, columns: coefficient); |Q^T Q - I| = "
        + String.format("%.1e", OrthogonalBases.orthogonalityError(q2)));
for (double[] row : q2) System.out.printf("  %8.4f %8.4f %8.4f %8.4f%n", row[0], row[1], row[2], row[3]);
for (int p : new int[] {2, 4}) {
    Edit sr = Edit.superResolution(1, 8, 8, p);
    Tensor x = editor.edit(f, sr, truth, times(SHORT ? 4 : 8), NoiseSource.of(new Rng(22)));
    double worst = 0;
    for (int b = 0; b < B; b++) {
        for (int by = 0; by < 8; by += p) {
            for (int bx = 0; bx < 8; bx += p) {
                Tensor px = x.slice(0, b, b + 1).slice(2, by, by + p).slice(3, bx, bx + p);
                Tensor py = truth.slice(0, b, b + 1).slice(2, by, by + p).slice(3, bx, bx + p);
                worst = Math.max(worst, Math.abs(px.mean().item() - py.mean().item()));
            }
        }
    }
    System.out.printf("super-resolution x%d: max |patch mean of the output - low-resolution pixel| = %.1e; "
            + "RMSE of the detail to the truth %.4f%n", p, worst, x.sub(truth).pow(2).mean().sqrt().item());
}
System.out.println("the output averages back to the low-resolution input exactly (to float rounding): the patch means");
System.out.println("are the known coefficients, replaced after every step.");

// ---- 4. Colorization. A is one 3x3 orthogonal Q at every pixel, its column 0 the luminance vector
// (0.2989, 0.5870, 0.1140) normalised; the other two columns complete it by QR. The luminance coefficient is known
// from the gray image, the two chroma coefficients are generated. The data: smooth 4x4 colour images whose channels
// are correlated (0.8 to 0.9), so the gray image says much about the colour.
double[][] q = OrthogonalBases.luminance();
System.out.printf("colorization Q (|Q^T Q - I| = %.1e):%n", OrthogonalBases.orthogonalityError(q));
for (double[] row : q) System.out.printf("  %8.4f %8.4f %8.4f%n", row[0], row[1], row[2]);
double norm = Math.sqrt(Arrays.stream(OrthogonalBases.LUMINANCE).map(v -> v * v).sum());
System.out.printf("column 0 = luminance / |luminance| = (%.4f, %.4f, %.4f)%n", OrthogonalBases.LUMINANCE[0] / norm,
        OrthogonalBases.LUMINANCE[1] / norm, OrthogonalBases.LUMINANCE[2] / norm);
CorrelatedGaussianData COLOUR = CorrelatedGaussianData.smoothImages(3, 4, 4, 0.4, 1.5,
        new double[][] {{1, 0.9, 0.8}, {0.9, 1, 0.9}, {0.8, 0.9, 1}}, 0.02);
Denoiser fColour = COLOUR.consistencyFunction(EPS);
Tensor colour = COLOUR.sample(new Rng(31), B, 3, 4, 4);
Edit colorize = Edit.colorization(4, 4);
Tensor colorized = editor.edit(fColour, colorize, colour, times(SHORT ? 4 : 8), NoiseSource.of(new Rng(32)));
Tensor free = MultistepSampler.images(GRID).sample(fColour, new int[] {B, 3, 4, 4}, new double[] {80},
        NoiseSource.of(new Rng(33)));
System.out.printf("colorization of %d smooth 4x4 colour images: luminance kept to %.1e; RMSE to the true colours %.4f "
        + "(an unconditional sample: %.4f)%n", B, colorize.knownError(colorized, colour),
        colorized.sub(colour).pow(2).mean().sqrt().item(), free.sub(colour).pow(2).mean().sqrt().item());

// ---- 5. The picture: rows truth | input as the editor sees it (hole = -1) | inpainted with 1, 4 and 16 steps.
Tensor rows(int k, Tensor... sets) {
    Tensor[] firsts = new Tensor[sets.length];
    for (int i = 0; i < sets.length; i++) firsts[i] = sets[i].slice(0, 0, k);
    return Tensor.concat(0, firsts);
}
int shown = 8;
int i1 = 0, i4 = Arrays.binarySearch(stepCounts, 4), i16 = Arrays.binarySearch(stepCounts, 16);
ImageGrid.png(OUT.resolve("06-inpainting-analytic.png"), rows(shown, truth, inpaint.reference(truth), inpainted[i1],
        inpainted[i4], inpainted[i16]), 5 * shown, shown, 8);
System.out.println("wrote " + OUT.resolve("06-inpainting-analytic.png")
        + " (rows: truth, input, 1 step, 4 steps, 16 steps)");

// ---- 6. A trained model on Fashion-MNIST, when one is given: -Dcm4j.notebook.model=FILE (a checkpoint of cm4j
// distill, train-ict, train-ct or train-ect). The edits through the facade, at grid indices of the released 40-point
// grid (0 = sigma 80, 39 = sigma 0.002): ConsistencyModel.edit(images, edit, sampling, seed). The step times are
// settings, -Dcm4j.notebook.inpaint.ts=0,...,39 and -Dcm4j.notebook.superres.ts=...; the defaults are the ones
// `cm4j search-edit-times` chose for the Fashion-MNIST CD model (docs/EDITING.md, "Choosing the step times").
String modelPath = System.getProperty("cm4j.notebook.model");
Sampling stepsSetting(String name, String fallback) {
    int[] ts = Arrays.stream(System.getProperty(name, fallback).split(",")).mapToInt(Integer::parseInt).toArray();
    return Sampling.gridIndices(40, ts);
}
if (modelPath == null) {
    System.out.println("no model given: notebooks/run -Dcm4j.notebook.model=FILE 06 edits Fashion-MNIST test images "
            + "with a trained consistency model");
} else {
    ConsistencyModel cm = ConsistencyModel.load(Path.of(modelPath));
    System.out.println("editing Fashion-MNIST test images with " + cm);
    Path data = Path.of(System.getProperty("cm4j.notebook.data", FashionMnist.DEFAULT_DIR.toString()));
    ImageDataset test = FashionMnist.load(data, FashionMnist.Split.TEST);
    int k = SHORT ? 4 : 8;
    Tensor y = test.images().slice(0, 0, k).copy();   // (k, 1, 28, 28) in [-1, 1]
    int[] labels = Arrays.copyOf(test.labels(), k);
    // the search's choices: 20 evaluations for inpainting, 12 for super-resolution (2 in the short setting)
    Sampling inpaintSteps = stepsSetting("cm4j.notebook.inpaint.ts", SHORT ? "0,20,39"
            : "0,2,4,6,8,10,12,14,16,18,20,21,23,25,27,29,31,33,35,37,39");
    Sampling superresSteps = stepsSetting("cm4j.notebook.superres.ts", SHORT ? "0,20,39"
            : "0,3,7,10,13,16,20,23,26,29,33,36,39");
    Edit[] edits = {Edit.inpainting(Masks.boxes(1, 28, 28, new int[] {7, 7, 14, 14})),
            Edit.inpainting(Masks.strokes(1, 28, 28, 5, 3, 3)), Edit.superResolution(1, 28, 28, 4),
            Edit.superResolution(1, 28, 28, 7)};
    Sampling[] editSteps = {inpaintSteps, inpaintSteps, superresSteps, superresSteps};
    String[] names = {"06-fashion-inpainting.png", "06-fashion-strokes.png", "06-fashion-superres4.png",
            "06-fashion-superres7.png"};
    for (int e = 0; e < edits.length; e++) {
        Tensor x;
        if (cm.config().numClasses() == 0) {
            x = cm.edit(y, edits[e], editSteps[e], 7);
        } else {   // a class-conditional model edits each image under its own class
            Tensor[] one = new Tensor[k];
            for (int i = 0; i < k; i++) {
                one[i] = cm.edit(y.slice(0, i, i + 1).copy(), edits[e], editSteps[e], 7, labels[i]);
            }
            x = Tensor.concat(0, one);
        }
        ImageGrid.png(OUT.resolve(names[e]), rows(k, y, edits[e].reference(y), x), 3 * k, k, 2);
        System.out.printf("%s, %s: known part off by %.1e, RMSE to the original %.4f; wrote %s (rows: original, "
                + "input, edit)%n", edits[e].name(), editSteps[e], edits[e].knownError(x, y),
                x.sub(y).pow(2).mean().sqrt().item(), OUT.resolve(names[e]));
    }
    if (cm.config().numClasses() == 0) {
        // Denoising at a known sigma: one evaluation, clamp(f(y + sigma z, sigma)).
        Denoiser fm = cm.network().denoiser();
        double sigma = 0.3;
        Tensor noisy = y.add(new Rng(8).normal(y.shape()).mul((float) sigma));
        Tensor clean = ZeroShotEditor.images(cm.schedule()).denoise(fm, noisy, sigma);
        ImageGrid.png(OUT.resolve("06-fashion-denoise.png"), rows(k, y, noisy.clamp(-1, 1), clean), 3 * k, k, 2);
        System.out.printf("denoising at sigma %.1f: RMSE to the original %.4f (the noisy input: %.4f); wrote %s%n",
                sigma, clean.sub(y).pow(2).mean().sqrt().item(), noisy.sub(y).pow(2).mean().sqrt().item(),
                OUT.resolve("06-fashion-denoise.png"));
        // Interpolation between two noises along the great circle; the ends are the one-step samples.
        int[] one = {1, 1, 28, 28};
        Tensor path = new Interpolation(cm.schedule(), true).betweenNoises(fm, new Rng(1).normal(one),
                new Rng(2).normal(one), Interpolation.evenAlphas(k));
        ImageGrid.png(OUT.resolve("06-fashion-interpolation.png"), path, k, k, 2);
        System.out.println("interpolation between the noises of seeds 1 and 2: wrote "
                + OUT.resolve("06-fashion-interpolation.png"));
    }
}
// ---- 7. An RGB model, when one is given: -Dcm4j.notebook.rgbModel=FILE, a consistency checkpoint trained on the
// EmojiOne images (cm4j ... --data emoji --model small32rgb --subset 1700). It saw images 0..1699 only, so the
// images edited here, 1700 onwards, are new to it. Colorization keeps each pixel's luminance and generates the two
// chroma coefficients; super-resolution keeps the mean of every p x p patch of every channel. The default step times
// are the ones `cm4j search-edit-times --data emoji` chose by RMSE for the EmojiOne CD model (docs/EDITING.md): 6
// evaluations for colorization, 12 for super-resolution.
String rgbPath = System.getProperty("cm4j.notebook.rgbModel");
if (rgbPath == null) {
    System.out.println("no RGB model given: notebooks/run -Dcm4j.notebook.rgbModel=FILE 06 colours and super-resolves "
            + "EmojiOne images with a model trained on the first 1,700 of them");
} else {
    ConsistencyModel rgb = ConsistencyModel.load(Path.of(rgbPath));
    int size = rgb.config().imageSize();
    System.out.println("editing EmojiOne images 1700.. with " + rgb);
    ImageDataset emoji = EmojiOne.load(EmojiOne.DEFAULT_DIR, size, EmojiOne.WHITE);
    int k = SHORT ? 4 : 8;
    Tensor y = emoji.images().slice(0, 1700, 1700 + k).copy();   // (k, 3, size, size) in [-1, 1]
    // the recommended times of docs/EDITING.md for the 32-channel EmojiOne model (runs/emoji-cd32)
    Sampling colourSteps = stepsSetting("cm4j.notebook.colorize.ts", SHORT ? "0,20,39"
            : "0,3,7,10,13,16,20,23,26,29,33,36,39");
    Sampling superSteps = stepsSetting("cm4j.notebook.rgbsuperres.ts", SHORT ? "0,20,39"
            : "0,2,4,6,8,10,12,14,16,18,20,21,23,25,27,29,31,33,35,37,39");
    Edit[] edits = {Edit.colorization(size, size), Edit.superResolution(3, size, size, 4),
            Edit.superResolution(3, size, size, 8)};
    Sampling[] editSteps = {colourSteps, superSteps, superSteps};
    // what a person sees of the input: the gray image (Y = 0.2989 R + 0.5870 G + 0.1140 B in every channel) for
    // colorization, the patch means for super-resolution
    Tensor luma = y.slice(1, 0, 1).mul(0.2989f).add(y.slice(1, 1, 2).mul(0.5870f)).add(y.slice(1, 2, 3).mul(0.1140f));
    Tensor[] shownInput = {Tensor.concat(1, luma, luma, luma), edits[1].reference(y), edits[2].reference(y)};
    String[] names = {"06-emoji-colorization.png", "06-emoji-superres4.png", "06-emoji-superres8.png"};
    for (int e = 0; e < edits.length; e++) {
        // two edits of each image from different noise: colorization is ill-posed, the rows show how the chroma varies
        Tensor x1 = rgb.edit(y, edits[e], editSteps[e], 7);
        Tensor x2 = rgb.edit(y, edits[e], editSteps[e], 8);
        ImageGrid.png(OUT.resolve(names[e]), rows(k, y, shownInput[e], x1, x2), 4 * k, k, 2);
        System.out.printf("%s, %s: known part off by %.1e, RMSE to the original %.4f; wrote %s (rows: original, "
                + "input, two edits)%n", edits[e].name(), editSteps[e], edits[e].knownError(x1, y),
                x1.sub(y).pow(2).mean().sqrt().item(), OUT.resolve(names[e]));
    }
}
System.out.printf("06 done in %.1f s%n", (System.nanoTime() - t0) / 1e9);
