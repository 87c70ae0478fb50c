// cm4j notebook 03: consistency distillation (Song, Dhariwal, Chen, Sutskever 2023, "Consistency Models", Algorithm 2).
// Run: notebooks/run 03   (settings: -Dcm4j.notebook.short=true cuts the work, -Dcm4j.notebook.out=DIR the pictures)
import dev.cm4j.tensor.*;
import dev.cm4j.consistency.*;
import dev.cm4j.consistency.data.Toy2d;
import dev.cm4j.consistency.model.*;
import dev.cm4j.consistency.sampling.*;
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
System.out.println("== 03 consistency distillation" + (SHORT ? " (short setting)" : ""));

// ---- 1. A consistency function f(x, sigma) maps any point of a probability-flow ODE trajectory to the trajectory's
// start, the data. Its boundary condition f(x, epsilon) = x (eq. 3; epsilon = sigmaMin = 0.002) is built in by the
// parameterisation f = c_skip(sigma) x + c_out(sigma) F(c_in x; c_noise) with (Appendix C, sigma_data = 0.5)
//   c_skip = sigma_data^2 / ((sigma - eps)^2 + sigma_data^2),   c_out = sigma_data (sigma - eps) / sqrt(sigma_data^2 + sigma^2)
// so c_skip(eps) = 1 and c_out(eps) = 0 exactly, whatever the network F says.
long seed = 7;
Toy2d data = Toy2d.TWO_MOONS;
int teacherSteps = SHORT ? 60 : 3000, cdSteps = SHORT ? 40 : 1500, batch = SHORT ? 128 : 512, width = SHORT ? 32 : 128;
ToyPipeline pipeline = new ToyPipeline(data, seed, teacherSteps, cdSteps, 1, batch, 1, width, 10);
Preconditioning cm = pipeline.consistency().withCNoise(CNoise.QUARTER_LOG);
System.out.println("    sigma    c_skip     c_out   (consistency parameterisation)");
for (double s : new double[] {0.002, 0.01, 0.1, 0.5, 2, 80}) {
    System.out.printf("%9.3f %9.4f %9.4f%n", s, cm.cSkip(s), cm.cOut(s));
}

// ---- 2. The teacher: an EDM denoiser as in notebook 02 (fewer steps here).
EdmTeacherTrainer teacher = pipeline.teacher();
long tTeacher = System.nanoTime();
teacher.train();
Preconditioned teacherEma = teacher.emaModel();
System.out.printf("teacher: %d steps in %.1f s, last loss %.4f%n", teacherSteps, (System.nanoTime() - tTeacher) / 1e9,
        teacher.losses().get(teacher.losses().size() - 1));

// ---- 3. Distillation (Algorithm 2). On a grid of N sigmas (grid index n = 1..N-1, sigma_n from EDM eq. 5):
//   draw y from the data, n uniformly, z ~ N(0, I);  x_{n+1} = y + sigma_{n+1} z
//   one Heun step of the teacher's ODE from sigma_{n+1} down to sigma_n gives x^_n            (eq. 6 with phi = Heun)
//   (the pipeline takes N = 10 and 8 Heun substeps per link instead, over the finer grid of 73 points: the student's
//   chain has 9 links, the teacher the accuracy of 73 points; docs/ALGORITHMS.md, "Consistency distillation")
//   loss d(f_theta(x_{n+1}, sigma_{n+1}), f_theta-(x^_n, sigma_n))                               (eq. 7, d = L2 here)
//   theta- <- stopgrad(mu theta- + (1 - mu) theta), mu = 0.95                                     (the target network)
// The student starts as a copy of the teacher's weights with the consistency parameterisation around them.
ConsistencyDistillation.Config cfg = ToyPipeline.cdConfig();
System.out.println("CD settings: N = " + cfg.n() + ", solver " + cfg.solver() + " with " + cfg.substeps()
        + " substeps per link, mu = " + cfg.mu() + ", distance " + cfg.distance());
// cm4j, like the released code, numbers the grid from the top: index 0 is sigmaMax = 80, index N-1 is sigmaMin = 0.002
// (the paper writes t_1 = eps ... t_N = T, upward). A grid index means nothing without its N.
double[] grid = ToyPipeline.GRID.sigmas(cfg.n());
System.out.printf("the grid in sigma: index 0 -> %.1f, index 1 -> %.2f, ..., index %d -> %.4f%n", grid[0], grid[1],
        cfg.n() - 1, grid[cfg.n() - 1]);
ConsistencyDistillation cd = pipeline.distillation(teacherEma);
cd.listener((phase, step, total, loss) -> {
    if (step % Math.max(1, total / 5) == 0) {
        System.out.printf("  CD step %5d / %d: loss %.6f%n", step, total, loss);
    }
});
long tCd = System.nanoTime();
cd.train();
System.out.printf("distilled: %d steps in %.1f s%n", cdSteps, (System.nanoTime() - tCd) / 1e9);

// ---- 4. Sampling (Algorithm 1): one step is x = f(sigmaMax z, sigmaMax), one network evaluation (NFE). Two steps
// add noise back to a middle level sigma_mid, x' = x + sqrt(sigma_mid^2 - eps^2) z', and map once more.
int n = SHORT ? 500 : 5000;
ToyEvaluation eval = new ToyEvaluation(data, n, seed + 100);
Denoiser f = cd.emaModel().denoiser();
double sigmaMax = ToyPipeline.GRID.sigmaMax();
ToyEvaluation.Score teacherScore = eval.edm(teacherEma.denoiser());
ToyEvaluation.Score untrained = eval.consistency(pipeline.untrained().denoiser(), sigmaMax);
ToyEvaluation.Score one = eval.consistency(f, sigmaMax);
double mid = eval.bestMiddleSigma(f);
ToyEvaluation.Score two = eval.consistency(f, sigmaMax, mid);
System.out.printf("sliced Wasserstein-1 to the data (lower is better), %d samples:%n", n);
System.out.printf("  fresh data (floor)         %.4f%n", eval.floor().sw());
System.out.printf("  teacher score, Heun 35 NFE %.4f  (%.0f ms)%n", teacherScore.sw(), teacherScore.millis());
System.out.printf("  untrained f, 1 NFE         %.4f%n", untrained.sw());
System.out.printf("CD one-step score: %.4f  (1 NFE, %.0f ms, %.2fx the teacher)%n", one.sw(), one.millis(),
        one.sw() / teacherScore.sw());
System.out.printf("CD two-step score: %.4f  (2 NFE, sigma_mid %.3f chosen on a validation draw)%n", two.sw(), mid);
// Multistep sampling by grid index: the released code gives sampling times as indices of an N-point grid ending at
// N-1 (sigmaMin), e.g. ts = {0, 9, 17} for two steps on 18 points; the sampler evaluates f at all but the last.
MultistepSampler ms = MultistepSampler.unbounded(ToyPipeline.GRID);
double[] fromIndices = ms.indicesToSigmas(new int[] {0, 9, 17}, 18);
System.out.printf("grid indices ts = {0, 9, 17} of N = 18 evaluate f at sigmas {%.3f, %.3f}%n", fromIndices[0],
        fromIndices[1]);

// ---- 5. The picture: panels data | teacher | CD 1 step | CD 2 steps.
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
panels(OUT.resolve("03-cd.png"), java.util.List.of("data", "teacher, 35 NFE", "CD, 1 NFE", "CD, 2 NFE"),
        java.util.List.of(eval.reference(), teacherScore.samples(), one.samples(), two.samples()));
System.out.println("wrote " + OUT.resolve("03-cd.png"));
System.out.printf("03 done in %.1f s%n", (System.nanoTime() - t0) / 1e9);
