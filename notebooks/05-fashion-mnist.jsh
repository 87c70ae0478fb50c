// cm4j notebook 05: sampling the Fashion-MNIST EDM teacher and scoring it (Karras et al. 2022; the FD of Heusel et
// al. 2017 on cm4j's own classifier features; precision and recall of Kynkaanniemi et al. 2019).
// Run: notebooks/run 05   (settings: -Dcm4j.notebook.short=true cuts the work, -Dcm4j.notebook.out=DIR the pictures,
// -Dcm4j.notebook.teacher=FILE another teacher checkpoint, -Dcm4j.notebook.data=DIR the Fashion-MNIST folder)
import dev.cm4j.tensor.*;
import dev.cm4j.consistency.*;
import dev.cm4j.consistency.api.*;
import dev.cm4j.consistency.data.*;
import dev.cm4j.consistency.metrics.*;
import dev.cm4j.consistency.model.*;
import java.nio.file.*;

boolean SHORT = Boolean.getBoolean("cm4j.notebook.short");
Path OUT = Path.of(System.getProperty("cm4j.notebook.out", "notebooks/out"));
Files.createDirectories(OUT);
// the repository root, which notebooks/run passes; the committed teacher run lives in its runs/
Path ROOT = Path.of(System.getProperty("cm4j.notebook.root", "."));
Path TEACHER = Path.of(System.getProperty("cm4j.notebook.teacher",
        ROOT.resolve("runs/fashion-mnist-teacher/teacher.safetensors").toString()));
Path DATA = Path.of(System.getProperty("cm4j.notebook.data", FashionMnist.DEFAULT_DIR.toString()));
long t0 = System.nanoTime();
System.out.println("== 05 Fashion-MNIST: sampling the EDM teacher and scoring it" + (SHORT ? " (short setting)" : ""));
if (!Files.isRegularFile(TEACHER)) {
    throw new IllegalStateException("05: no teacher checkpoint at " + TEACHER.toAbsolutePath() + "; give one with "
            + "notebooks/run -Dcm4j.notebook.teacher=FILE 05, or train one with ./cm4j train-teacher");
}

// ---- 1. The teacher: the small28 U-Net F under EDM's preconditioning, D(x; sigma) = c_skip x + c_out F(c_in x;
// c_noise) (EDM eq. 7), trained by cm4j train-teacher on the 60,000 training images scaled to [-1, 1]. The
// checkpoint records the network's configuration; load verifies its checksums and takes the EMA weights.
ConsistencyModel teacher = ConsistencyModel.load(TEACHER);
System.out.println("loaded " + teacher);
System.out.println("role " + teacher.role() + ", consistency model: " + teacher.isConsistency() + ", trained "
        + teacher.step() + " steps");

// ---- 2. Time, in its three units. The Heun sampler walks a Karras grid of N noise levels (EDM eq. 5, rho = 7),
// grid index 0 = sigmaMax = 80 down to index N-1 = sigmaMin = 0.002, then 0. The U-Net reads neither sigma nor the
// index but c_noise = 250 ln sigma (the ADM encoding of the released U-Nets, CNoise.ADM; EDM's own is ln(sigma) / 4).
int points = SHORT ? 3 : 18;
KarrasSchedule grid = teacher.schedule();
Preconditioning p = teacher.network().preconditioning();
System.out.println("the Heun grid of N = " + points + " points: grid index -> sigma -> c_noise, c_skip, c_out, c_in");
for (int i = 0; i < points; i += SHORT ? 1 : 3) {
    double s = grid.sigma(i, points);
    System.out.printf("%4d %9.4f %9.2f %8.4f %8.4f %8.4f%n", i, s, p.cNoise(s), p.cSkip(s), p.cOut(s), p.cIn(s));
}
System.out.println("c_noise here is " + p.cNoise() + ": the network's convention, never an argument of the API");

// ---- 3. Sampling: the probability-flow ODE dx/dsigma = (x - D(x; sigma)) / sigma from x = 80 z, by Heun's method
// over the grid (EDM Algorithm 1, deterministic): N - 1 Heun steps of two evaluations and a last Euler step to
// sigma = 0, so 2N - 1 network function evaluations (NFE): 35 for N = 18. Fewer points are cheaper and worse.
int n = SHORT ? 4 : 64;
long seed = 0;
Sampling heun = Sampling.heun(points);
long tSample = System.nanoTime();
Tensor samples = teacher.sample(n, heun, seed);   // (n, 1, 28, 28) in [-1, 1]
double sampleSeconds = (System.nanoTime() - tSample) / 1e9;
System.out.printf("sampled %d images with %s: %d NFE each, %.1f s (%.2f s per image)%n", n, heun, heun.nfe(),
        sampleSeconds, sampleSeconds / n);
Path grid05 = OUT.resolve("05-teacher.png");
ConsistencyModel.savePng(samples, grid05);
System.out.println("wrote " + grid05);
Tensor fewer = null;
Sampling cheap = Sampling.heun(6);
if (!SHORT) {
    fewer = teacher.sample(n, cheap, seed);   // the same noise, 11 NFE instead of 35
    ConsistencyModel.savePng(fewer, OUT.resolve("05-teacher-11nfe.png"));
    System.out.println("wrote " + OUT.resolve("05-teacher-11nfe.png") + " (the same noise, " + cheap + ")");
}

// ---- 4. The score. Each image goes through cm4j's committed Fashion-MNIST classifier (92.2 % test accuracy) and
// is described by its 128 penultimate features phi(x). The feature distance (FD) fits a Gaussian to each set's
// features and measures the Frechet distance between them,
//   FD = |mu_1 - mu_2|^2 + Tr(S_1) + Tr(S_2) - 2 Tr((S_1 S_2)^(1/2)),
// so it sees both quality and diversity: 0 only when means and covariances agree. Precision is the fraction of
// samples inside the real images' k-NN balls (k = 3): are the samples realistic? Recall the fraction of real images
// inside the samples' balls: do the samples cover the data? Here the reference features are computed once and each
// set is compared with them; ConsistencyModel.evaluate(samples, reference) does the same in one call.
ImageDataset test = FashionMnist.load(DATA, FashionMnist.Split.TEST);
ImageDataset train = FashionMnist.load(DATA, FashionMnist.Split.TRAIN);
int refCount = SHORT ? 200 : test.size();
Tensor reference = test.images().slice(0, 0, refCount);
FashionMnistEvaluator evaluator = FashionMnistEvaluator.committed();
Tensor refFeatures = evaluator.features("the test images", reference);
void score(String name, Tensor images) {
    Tensor f = evaluator.features(name, images);
    PrecisionRecall.Scores pr = PrecisionRecall.paper().compute(refFeatures, f);
    double fd = FrechetDistance.distance(f, refFeatures);
    System.out.printf("  %-42s %6d %10.3f %10.4f %8.4f%n", name, images.dim(0), fd, pr.precision(), pr.recall());
}
System.out.println(FashionMnistEvaluator.LABEL + ", against the first " + refCount + " test images:");
System.out.printf("  %-42s %6s %10s %10s %8s%n", "images", "N", "FD", "precision", "recall");
// The floor: real training images, scored as samples would be. No model is expected to beat it; it is not 0,
// because two finite samples of the same distribution differ, and the FD is biased upwards for small N (a 128 x 128
// covariance from 64 images has rank 63). So a score is read against the floor at the same N.
score("training images (the floor)", train.images().slice(0, 0, n));
score("teacher, " + heun.nfe() + " NFE", samples);
if (fewer != null) {
    score("teacher, " + cheap.nfe() + " NFE", fewer);
}
// The top of the scale: uniform noise on [-1, 1] is nothing like a garment.
score("uniform noise", new Rng(0).uniform(-1f, 1f, n, 1, 28, 28));
if (SHORT) {
    System.out.println("(short setting: " + n + " images per set, so these scores mean nothing)");
}
System.out.println("every score depends on N: with few images the FD is biased upwards and the samples' k-NN balls "
        + "are wide (recall comes out high), so compare at the same N and against the floor; at 10,000 samples (the "
        + "convention) the floor is FD 1.00, precision 0.87, recall 0.87 (docs/RESULTS.md)");
System.out.println("not Inception FID: the features are cm4j's own classifier's (128-d, trained on Fashion-MNIST), "
        + "not Inception-v3's 2048-d ImageNet features; the numbers live on another scale and compare only with each "
        + "other, at the same N");
System.out.printf("05 done in %.1f s%n", (System.nanoTime() - t0) / 1e9);
