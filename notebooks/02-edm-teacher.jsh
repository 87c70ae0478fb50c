// cm4j notebook 02: the EDM teacher on 2-D data (Karras et al. 2022, "Elucidating the design space of diffusion models").
// Run: notebooks/run 02   (settings: -Dcm4j.notebook.short=true cuts the work, -Dcm4j.notebook.out=DIR the pictures)
import dev.cm4j.tensor.*;
import dev.cm4j.consistency.*;
import dev.cm4j.consistency.data.Toy2d;
import dev.cm4j.consistency.model.*;
import dev.cm4j.consistency.sampling.*;
import dev.cm4j.consistency.noise.NoiseSource;
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
System.out.println("== 02 the EDM teacher on 2-D data" + (SHORT ? " (short setting)" : ""));

// ---- 1. The data: a 2-D toy, standardised to std 0.5 per coordinate (sigma_data = 0.5).
Toy2d data = Toy2d.TWO_MOONS;
System.out.println("data: " + data + ", first points " + data.sample(3, new Rng(0)));

// ---- 2. Three units of "time". The noise level sigma is the standard deviation of the Gaussian noise added to the
// data, x = y + sigma n. The sampler walks a grid of N sigmas indexed by i = 0..N-1 (EDM eq. 5, rho = 7):
//   sigma_i = (sigmaMax^(1/rho) + i/(N-1) (sigmaMin^(1/rho) - sigmaMax^(1/rho)))^rho
// and the network sees neither sigma nor i but c_noise(sigma) = ln(sigma) / 4 (EDM Table 1). c_noise belongs to the
// network (CNoise.QUARTER_LOG for the toy MLP), so the preconditioning is told which one to print.
KarrasSchedule grid = ToyPipeline.GRID;
Preconditioning edm = Preconditioning.edm(Toy2d.STD).withCNoise(CNoise.QUARTER_LOG);
System.out.println("grid index i -> sigma -> c_noise, and the preconditioning of EDM Table 1 (eq. 7):");
System.out.println("   i     sigma   c_noise    c_skip     c_out      c_in");
for (int i : new int[] {0, 3, 6, 9, 12, 15, 17}) {
    double s = grid.sigma(i, 18);
    System.out.printf("%4d %9.4f %9.4f %9.4f %9.4f %9.4f%n", i, s, edm.cNoise(s), edm.cSkip(s), edm.cOut(s), edm.cIn(s));
}
System.out.println("c_skip -> 1 as sigma -> 0 (the input is almost clean) and -> 0 at large sigma (predict the data);");
System.out.println("c_in scales the input to unit variance, so the network sees inputs of the same size at every sigma.");

// ---- 3. Training: D(x; sigma) = c_skip x + c_out F(c_in x; c_noise) is fitted to E ||D(y + sigma n; sigma) - y||^2,
// weighted by lambda(sigma) = 1/c_out^2 (EDM eq. 2 and 8), with ln sigma ~ N(P_mean, P_std^2) = N(-1.2, 1.2^2).
long seed = 7;
int steps = SHORT ? 60 : 3000;
ToyPipeline pipeline = new ToyPipeline(data, seed, steps, 1, 1, SHORT ? 128 : 512, 1, SHORT ? 32 : 128, 10);
EdmTeacherTrainer teacher = pipeline.teacher();
teacher.listener((phase, step, total, loss) -> {
    if (step % Math.max(1, total / 10) == 0 || step == total) {
        System.out.printf("  teacher step %5d / %d: loss %.4f%n", step, total, loss);
    }
});
long tTrain = System.nanoTime();
teacher.train();
System.out.printf("trained the teacher: %d steps in %.1f s%n", steps, (System.nanoTime() - tTrain) / 1e9);

// ---- 4. Sampling: the probability-flow ODE dx/dsigma = (x - D(x; sigma)) / sigma (EDM eq. 4 with sigma(t) = t),
// integrated by Heun's second-order method (EDM Algorithm 1) over the 18-point grid and 0: 17 Heun steps and one
// Euler step = 35 network evaluations (NFE). The weights used are the EMA of the training weights.
Denoiser teacherD = teacher.emaModel().denoiser();
int n = SHORT ? 500 : 5000;
ToyEvaluation eval = new ToyEvaluation(data, n, seed + 100);
ToyEvaluation.Score floor = eval.floor();
ToyEvaluation.Score score = eval.edm(teacherD);
System.out.printf("sliced Wasserstein-1 to the data (lower is better), %d samples:%n", n);
System.out.printf("  fresh data (the metric's floor): %.4f%n", floor.sw());
System.out.printf("  pure noise N(0, I):               %.4f%n", eval.score(eval.noise(), 0).sw());
System.out.printf("teacher score: SW1 %.4f, energy distance %.4f, 35 NFE in %.0f ms%n", score.sw(), score.energy(),
        score.millis());

// ---- 5. The picture: the data (grey) and the teacher's samples (blue).
void scatter(Path file, double lo, double hi, java.util.List<Tensor> sets, java.util.List<Color> colors) throws Exception {
    int size = 480;
    BufferedImage img = new BufferedImage(size, size, BufferedImage.TYPE_INT_RGB);
    Graphics2D g = img.createGraphics();
    g.setColor(Color.WHITE);
    g.fillRect(0, 0, size, size);
    for (int s = 0; s < sets.size(); s++) {
        g.setColor(colors.get(s));
        Tensor t = sets.get(s);   // (n, 2)
        for (int i = 0; i < t.dim(0); i++) {
            int px = (int) ((t.get(i, 0) - lo) / (hi - lo) * size), py = (int) ((hi - t.get(i, 1)) / (hi - lo) * size);
            g.fillRect(px - 1, py - 1, 2, 2);
        }
    }
    g.dispose();
    ImageIO.write(img, "png", file.toFile());
}
scatter(OUT.resolve("02-teacher.png"), -2, 2, java.util.List.of(eval.reference(), score.samples()),
        java.util.List.of(Color.LIGHT_GRAY, new Color(30, 90, 200)));
System.out.println("wrote " + OUT.resolve("02-teacher.png"));
System.out.printf("02 done in %.1f s%n", (System.nanoTime() - t0) / 1e9);
