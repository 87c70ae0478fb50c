// cm4j notebook 01: tensors and autodiff -- a gradient by hand and by the tape.
// Run: notebooks/run 01   (settings: -Dcm4j.notebook.short=true cuts the work, -Dcm4j.notebook.out=DIR the pictures)
import dev.cm4j.tensor.*;
import dev.cm4j.autodiff.*;
import java.nio.file.*;
import java.awt.*;
import java.awt.image.BufferedImage;
import javax.imageio.ImageIO;

boolean SHORT = Boolean.getBoolean("cm4j.notebook.short");
Path OUT = Path.of(System.getProperty("cm4j.notebook.out", "notebooks/out"));
Files.createDirectories(OUT);
long t0 = System.nanoTime();
System.out.println("== 01 tensors and autodiff" + (SHORT ? " (short setting)" : ""));

// ---- 1. Tensors: a flat float[] with a shape; the batch is the leading axis.
Tensor a = Tensor.of(new float[] {1, 2, 3, 4, 5, 6}, 2, 3);
System.out.println("a tensor (2, 3): " + a + ", shape " + java.util.Arrays.toString(a.shape()));
System.out.println("a.sum(false, 1) sums each row -> (2): " + a.sum(false, 1));
System.out.println("a.add(Tensor.of(new float[]{10,20,30}, 3)) broadcasts the row over the batch: "
        + a.add(Tensor.of(new float[] {10, 20, 30}, 3)));

// ---- 2. A one-neuron regression: yhat = tanh(x w + b), loss L = mean_i (yhat_i - y_i)^2.
// Data: N points on y = tanh(1.5 x - 0.5) plus noise, drawn from a seeded generator (Rng) so every run agrees.
int N = SHORT ? 64 : 256;
Rng rng = new Rng(1);
Tensor xs = Tensor.rand(rng, -2f, 2f, N, 1);
Tensor ys = xs.mul(1.5f).sub(0.5f).tanh().add(Tensor.randn(rng.fork(1), N, 1).mul(0.05f));
float w0 = 0.3f, b0 = 0.1f;

// ---- 3. The gradient by hand (the chain rule, written out):
//   z_i = x_i w + b,  yhat_i = tanh z_i,  L = (1/N) sum_i (yhat_i - y_i)^2
//   dL/dyhat_i = 2 (yhat_i - y_i) / N,   dyhat_i/dz_i = 1 - tanh^2 z_i
//   dL/dw = sum_i dL/dz_i x_i,           dL/db = sum_i dL/dz_i
double[] byHand(float w, float b) {
    double gw = 0, gb = 0, loss = 0;
    for (int i = 0; i < N; i++) {
        double x = xs.get(i, 0), y = ys.get(i, 0);
        double yhat = Math.tanh(x * w + b);
        loss += (yhat - y) * (yhat - y) / N;
        double dz = 2 * (yhat - y) / N * (1 - yhat * yhat);
        gw += dz * x;
        gb += dz;
    }
    return new double[] {loss, gw, gb};
}
double[] hand = byHand(w0, b0);
System.out.printf("by hand:  L = %.6f, dL/dw = %.6f, dL/db = %.6f%n", hand[0], hand[1], hand[2]);

// ---- 4. The gradient by the tape: each Var operation records its inputs and a backward rule; backward() walks
// the recorded graph in reverse topological order and accumulates dL/dv into every parameter's grad().
Var w = Var.param(Tensor.of(new float[] {w0}, 1, 1));
Var b = Var.param(Tensor.of(new float[] {b0}, 1));
Var loss = Var.constant(xs).matmul(w).add(b).tanh().sub(Var.constant(ys)).square().mean();
loss.backward();
double tapeW = w.grad().item(), tapeB = b.grad().item();
System.out.printf("by tape:  L = %.6f, dL/dw = %.6f, dL/db = %.6f%n", loss.item(), tapeW, tapeB);
double diff = Math.max(Math.abs(tapeW - hand[1]), Math.abs(tapeB - hand[2]));
// float32 on the tape against double by hand: agreement to ~1e-6 relative is what to expect
System.out.printf("hand and tape gradients agree: %s (max |difference| %.2e)%n", diff < 1e-4, diff);

// ---- 5. A third opinion: central finite differences, (L(w + h) - L(w - h)) / 2h, by GradCheck.
GradCheck.Result fd = GradCheck.check(() -> Var.constant(xs).matmul(w).add(b).tanh().sub(Var.constant(ys)).square().mean(),
        new Var[] {w, b}, 1e-2, 1e-4, 1e-2, 10, new Rng(2));
System.out.println("finite differences agree with the tape: " + fd.passed()
        + String.format(" (worst |error| / tolerance %.3f over %d elements)", fd.worstRatio(), fd.checked()));

// ---- 6. Gradient descent with the tape: w <- w - lr dL/dw.
int steps = SHORT ? 50 : 400;
float lr = 0.5f;
float[] wb = {w0, b0};
for (int k = 0; k <= steps; k++) {
    Var wk = Var.param(Tensor.of(new float[] {wb[0]}, 1, 1));
    Var bk = Var.param(Tensor.of(new float[] {wb[1]}, 1));
    Var lk = Var.constant(xs).matmul(wk).add(bk).tanh().sub(Var.constant(ys)).square().mean();
    lk.backward();
    if (k % (steps / 5) == 0) {
        System.out.printf("step %4d: L = %.5f, w = %.4f, b = %.4f%n", k, lk.item(), wb[0], wb[1]);
    }
    wb[0] -= lr * wk.grad().item();
    wb[1] -= lr * bk.grad().item();
}
System.out.printf("fitted w = %.3f, b = %.3f (the data were made with w = 1.5, b = -0.5)%n", wb[0], wb[1]);

// ---- 7. The picture: the data (grey) and the fitted curve (red), as a PNG.
void scatter(Path file, double lo, double hi, java.util.List<float[][]> sets, java.util.List<Color> colors) throws Exception {
    int size = 480;
    BufferedImage img = new BufferedImage(size, size, BufferedImage.TYPE_INT_RGB);
    Graphics2D g = img.createGraphics();
    g.setColor(Color.WHITE);
    g.fillRect(0, 0, size, size);
    g.setRenderingHint(RenderingHints.KEY_ANTIALIASING, RenderingHints.VALUE_ANTIALIAS_ON);
    for (int s = 0; s < sets.size(); s++) {
        g.setColor(colors.get(s));
        for (float[] p : sets.get(s)) {
            int px = (int) ((p[0] - lo) / (hi - lo) * size), py = (int) ((hi - p[1]) / (hi - lo) * size);
            g.fillOval(px - 2, py - 2, 4, 4);
        }
    }
    g.dispose();
    ImageIO.write(img, "png", file.toFile());
}
float[][] data = new float[N][], fitted = new float[N][];
for (int i = 0; i < N; i++) {
    data[i] = new float[] {xs.get(i, 0), ys.get(i, 0)};
    fitted[i] = new float[] {xs.get(i, 0), (float) Math.tanh(xs.get(i, 0) * wb[0] + wb[1])};
}
scatter(OUT.resolve("01-fit.png"), -2.2, 2.2, java.util.List.of(data, fitted), java.util.List.of(Color.GRAY, Color.RED));
System.out.println("wrote " + OUT.resolve("01-fit.png"));
System.out.printf("01 done in %.1f s%n", (System.nanoTime() - t0) / 1e9);
