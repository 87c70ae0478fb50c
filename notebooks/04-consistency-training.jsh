// cm4j notebook 04: consistency training without a teacher -- CT (Song et al. 2023, Algorithm 3) against improved
// consistency training, iCT (Song and Dhariwal 2023, "Improved techniques for training consistency models").
// Run: notebooks/run 04   (settings: -Dcm4j.notebook.short=true cuts the work, -Dcm4j.notebook.out=DIR the pictures)
import dev.cm4j.tensor.*;
import dev.cm4j.consistency.*;
import dev.cm4j.consistency.data.Toy2d;
import dev.cm4j.consistency.model.*;
import dev.cm4j.consistency.schedule.*;
import dev.cm4j.consistency.toy.*;
import dev.cm4j.consistency.train.*;
import java.nio.file.*;
import java.awt.*;
import java.awt.image.BufferedImage;
import javax.imageio.ImageIO;

boolean SHORT = Boolean.getBoolean("cm4j.notebook.short");
Path OUT = Path.of(System.getProperty("cm4j.notebook.out", "notebooks/out"));
Files.createDirectories(OUT);
long t0 = System.nanoTime();
System.out.println("== 04 consistency training: CT vs iCT" + (SHORT ? " (short setting)" : ""));

long seed = 7;
Toy2d data = Toy2d.TWO_MOONS;
int steps = SHORT ? 40 : 3000, batch = SHORT ? 128 : 512, ictBatch = SHORT ? 256 : 2048, width = SHORT ? 32 : 128;
ToyPipeline pipeline = new ToyPipeline(data, seed, 1, 1, steps, batch, ictBatch, width, 10);

// ---- 1. CT replaces the teacher's ODE step of CD by the one-sample estimate x^_n = y + sigma_n z, with the SAME z
// as the student's input x_{n+1} = y + sigma_{n+1} z (Algorithm 3, Theorem 2). The loss stays eq. 7:
//   d(f_theta(y + sigma_{n+1} z, sigma_{n+1}), f_theta-(y + sigma_n z, sigma_n))
// The grid N(k) grows during training and the target EMA mu(k) follows it (eq. 15 / Appendix C, the code form):
//   N(k) = ceil(sqrt(k/K ((s1+1)^2 - s0^2) + s0^2) - 1) + 1,   mu(k) = exp(s0 ln mu0 / (N(k) - 1))
CtSchedule ctSchedule = CtSchedule.cifar10(steps);
ImprovedConsistencyTraining ictProbe = pipeline.improvedTraining();
IctSchedule ictSchedule = IctSchedule.toy2d(steps);
System.out.println("CT schedule " + ctSchedule + "; iCT schedule " + ictSchedule);
System.out.println("    step k   CT N(k)  CT mu(k)   iCT N(k)  (iCT: mu = 0, no target EMA; exponential curriculum, eq. 8)");
for (long k : new long[] {0, steps / 4, steps / 2, 3L * steps / 4, steps - 1}) {
    System.out.printf("%10d %9d %9.4f %10d%n", k, ctSchedule.n(k), ctSchedule.mu(k), ictSchedule.n(k));
}
// iCT also draws the pair (sigma_i, sigma_{i+1}) from a log-normal over the grid (P_mean -1.1, here P_std 4.0),
// weights it by lambda = 1/(sigma_i - sigma_{i+1}), and uses the pseudo-Huber distance sqrt(||a-b||^2 + c^2) - c
// with c = 0.00054 sqrt(d) (Section 3.3-3.5); for 2-D points that c is so small that the loss is in effect the
// unsquared norm, and the 2-D pipeline uses c = 0.1 (ToyPipeline.ICT_HUBER_C, docs/RESULTS.md). The grid index i
// again counts from sigmaMax (index 0) down.
double[] s11 = ictSchedule.sigmas(11);
double[] p11 = ictSchedule.pairProbabilities(s11);
System.out.println("iCT pair probabilities on the first grid of N = 11 (pair i: sigma_i -> sigma_{i+1}):");
for (int i = 0; i < p11.length; i++) {
    System.out.printf("  pair %2d: sigma %8.3f -> %8.4f  p = %.3f%n", i, s11[i], s11[i + 1], p11[i]);
}
System.out.printf("pseudo-Huber c for 2-D data: the paper's %.6f, the 2-D pipeline's %.4f%n", Distance.ictHuberC(2),
        ToyPipeline.ICT_HUBER_C);

// ---- 2. Train both from scratch, the same network and the same number of steps.
void logEvery(Trainer t, String name) {
    t.listener((phase, step, total, loss) -> {
        if (step % Math.max(1, total / 5) == 0) System.out.printf("  %s step %5d / %d: loss %.6f%n", name, step, total, loss);
    });
}
ConsistencyTraining ct = new ConsistencyTraining(
        new Preconditioned(ToyMlpNet.create(pipeline.network(), new Rng(seed).fork(5)), pipeline.consistency()),
        data::sample, new ConsistencyTraining.Config(ctSchedule, Distance.L2, 0f, ToyPipeline.GRID),
        OptimConfig.adam(steps, batch, 1e-3).withEvalEma(0.995), seed + 5);
logEvery(ct, "CT ");
long tCt = System.nanoTime();
ct.train();
double ctSeconds = (System.nanoTime() - tCt) / 1e9;
System.out.printf("CT: %d steps, batch %d, L2 distance, in %.1f s%n", steps, batch, ctSeconds);
ImprovedConsistencyTraining ict = ictProbe;
logEvery(ict, "iCT");
long tIct = System.nanoTime();
ict.train();
double ictSeconds = (System.nanoTime() - tIct) / 1e9;
System.out.printf("iCT: %d steps, batch %d, pseudo-Huber, in %.1f s%n", steps, ictBatch, ictSeconds);

// ---- 3. Score one- and two-step samples (Algorithm 1) against the data. No teacher was used at any point.
int n = SHORT ? 500 : 5000;
ToyEvaluation eval = new ToyEvaluation(data, n, seed + 100);
double sigmaMax = ToyPipeline.GRID.sigmaMax();
Denoiser ctF = ct.emaModel().denoiser(), ictF = ict.emaModel().denoiser();
ToyEvaluation.Score ct1 = eval.consistency(ctF, sigmaMax), ict1 = eval.consistency(ictF, sigmaMax);
double ctMid = eval.bestMiddleSigma(ctF), ictMid = eval.bestMiddleSigma(ictF);
ToyEvaluation.Score ct2 = eval.consistency(ctF, sigmaMax, ctMid), ict2 = eval.consistency(ictF, sigmaMax, ictMid);
System.out.printf("sliced Wasserstein-1 to the data (lower is better), %d samples; floor %.4f, untrained %.4f%n", n,
        eval.floor().sw(), eval.consistency(pipeline.untrained().denoiser(), sigmaMax).sw());
System.out.printf("CT one-step score:  %.4f   two-step: %.4f (sigma_mid %.3f)%n", ct1.sw(), ct2.sw(), ctMid);
System.out.printf("iCT one-step score: %.4f   two-step: %.4f (sigma_mid %.3f)%n", ict1.sw(), ict2.sw(), ictMid);
// At the default setting (3000 steps each) CT's one-step samples stay close to the untrained model's while iCT's come
// near the data: CT's growing target EMA mu(k) -> 0.999 and its L2 distance learn slowly; iCT drops the EMA target,
// uses pseudo-Huber and spends its pairs where the log-normal puts them. The short setting is too short to tell.
System.out.println("compare the one-step scores: iCT learns a one-step map in steps where CT barely leaves the start");

// ---- 4. The picture: panels data | CT 1 step | CT 2 steps | iCT 1 step | iCT 2 steps.
void panels(Path file, java.util.List<String> titles, java.util.List<Tensor> sets) throws Exception {
    int size = 300;
    BufferedImage img = new BufferedImage(size * sets.size(), size, BufferedImage.TYPE_INT_RGB);
    Graphics2D g = img.createGraphics();
    g.setColor(Color.WHITE);
    g.fillRect(0, 0, img.getWidth(), size);
    for (int s = 0; s < sets.size(); s++) {
        Tensor t = sets.get(s);   // (n, 2), drawn over [-2, 2]^2
        g.setColor(new Color(30, 90, 200));
        for (int i = 0; i < t.dim(0); i++) {
            int px = s * size + (int) ((t.get(i, 0) + 2) / 4 * size), py = (int) ((2 - t.get(i, 1)) / 4 * size);
            if (px >= s * size && px < (s + 1) * size) g.fillRect(px, py, 2, 2);
        }
        g.setColor(Color.BLACK);
        g.drawString(titles.get(s), s * size + 8, 16);
        g.drawLine(s * size, 0, s * size, size);
    }
    g.dispose();
    ImageIO.write(img, "png", file.toFile());
}
panels(OUT.resolve("04-ct-vs-ict.png"), java.util.List.of("data", "CT, 1 NFE", "CT, 2 NFE", "iCT, 1 NFE", "iCT, 2 NFE"),
        java.util.List.of(eval.reference(), ct1.samples(), ct2.samples(), ict1.samples(), ict2.samples()));
System.out.println("wrote " + OUT.resolve("04-ct-vs-ict.png"));
System.out.printf("04 done in %.1f s%n", (System.nanoTime() - t0) / 1e9);
