package dev.cm4j.consistency.editing;

import dev.cm4j.consistency.KarrasSchedule;
import dev.cm4j.consistency.PerSample;
import dev.cm4j.consistency.model.Denoiser;
import dev.cm4j.tensor.Tensor;
import java.util.Arrays;

/**
 * Interpolation with a consistency model (Song et al. 2023, section 6.3 and the released editing notebook;
 * docs/EDITING.md#interpolation): spherical interpolation between two noises z1, z2,
 * {@code z(alpha) = sin((1 - alpha) theta) / sin theta z1 + sin(alpha theta) / sin theta z2} with
 * {@code theta = arccos(<z1, z2> / (|z1| |z2|))}, then one step {@code x(alpha) = f(sigmaMax z(alpha), sigmaMax)}.
 * Gaussian noise of high dimension lies near a sphere, so the slerp stays where the model was trained and a linear
 * mix (whose norm shrinks) would not.
 *
 * <p>Between two images the noises are the images' own: each image is carried up the probability-flow ODE from
 * sigmaMin to sigmaMax with an EDM denoiser (the teacher; Heun's method on the Karras grid), and divided by sigmaMax.
 * The consistency model maps such a noise back to (nearly) its image, so the ends of the path are the images.
 *
 * @param schedule sigmaMin, sigmaMax and rho of the grid
 * @param clampDenoised clamp f to [-1, 1], as the image samplers do
 */
public record Interpolation(KarrasSchedule schedule, boolean clampDenoised) {
    public Interpolation {
        if (schedule == null) {
            throw new IllegalArgumentException("Interpolation: schedule is null");
        }
    }

    /** Spherical interpolation per sample of two batches of noise of the same shape; alpha 0 gives z1, 1 gives z2. */
    public static Tensor slerp(Tensor z1, Tensor z2, double alpha) {
        if (!z1.sameShape(z2) || z1.rank() < 1) {
            throw new IllegalArgumentException("Interpolation.slerp: shapes " + Arrays.toString(z1.shape()) + " and "
                    + Arrays.toString(z2.shape()) + " differ");
        }
        int batch = z1.dim(0);
        int per = batch == 0 ? 0 : z1.size() / batch;
        float[] a = new float[batch];
        float[] b = new float[batch];
        for (int s = 0; s < batch; s++) {
            double dot = 0;
            double n1 = 0;
            double n2 = 0;
            for (int j = s * per; j < (s + 1) * per; j++) {
                double u = z1.data()[z1.offset() + j];
                double v = z2.data()[z2.offset() + j];
                dot += u * v;
                n1 += u * u;
                n2 += v * v;
            }
            double theta = Math.acos(Math.max(-1, Math.min(1, dot / Math.sqrt(n1 * n2))));
            if (Math.sin(theta) < 1e-6) {
                // parallel noises: the arc degenerates to the segment
                a[s] = (float) (1 - alpha);
                b[s] = (float) alpha;
            } else {
                a[s] = (float) (Math.sin((1 - alpha) * theta) / Math.sin(theta));
                b[s] = (float) (Math.sin(alpha * theta) / Math.sin(theta));
            }
        }
        return PerSample.combine("Interpolation.slerp", z1, a, z2, b);
    }

    /**
     * One-step samples along the arc from noise {@code z1} to {@code z2} (each (1, C, H, W), standard normal scale):
     * {@code f(sigmaMax slerp(z1, z2, alpha_k), sigmaMax)} for every alpha, (K, C, H, W).
     */
    public Tensor betweenNoises(Denoiser f, Tensor z1, Tensor z2, double[] alphas) {
        if (z1.rank() < 1 || z1.dim(0) != 1 || !z1.sameShape(z2)) {
            throw new IllegalArgumentException("Interpolation.betweenNoises: need two noises (1, ...) of one shape, got "
                    + Arrays.toString(z1.shape()) + " and " + Arrays.toString(z2.shape()));
        }
        if (alphas.length == 0) {
            throw new IllegalArgumentException("Interpolation.betweenNoises: no alphas given");
        }
        Tensor[] path = new Tensor[alphas.length];
        for (int k = 0; k < alphas.length; k++) {
            path[k] = slerp(z1, z2, alphas[k]);
        }
        Tensor z = Tensor.concat(0, path);
        double t = schedule.sigmaMax();
        Tensor x = PerSample.scale("Interpolation.betweenNoises", z, PerSample.fill(alphas.length, t));
        Denoiser g = clampDenoised ? f.clamped(-1, 1) : f;
        return g.denoise(x, PerSample.fill(alphas.length, t));
    }

    /**
     * The noise of images x (B, ...): the probability-flow ODE of the EDM denoiser {@code teacher} integrated from
     * sigmaMin up to sigmaMax by Heun's method over the {@code steps}-point Karras grid taken upwards, divided by
     * sigmaMax. 2 (steps - 1) evaluations.
     */
    public Tensor noiseOf(Denoiser teacher, Tensor x, int steps) {
        double[] up = schedule.sigmas(steps);
        int batch = x.dim(0);
        Tensor y = x;
        for (int i = up.length - 1; i > 0; i--) {
            y = heunUp(teacher, y, up[i], up[i - 1]);
        }
        return PerSample.scale("Interpolation.noiseOf", y, PerSample.fill(batch, 1 / schedule.sigmaMax()));
    }

    /**
     * One Heun step of dx/dsigma = (x - D(x, sigma)) / sigma from t up to t' > t (the solvers of the samplers only go
     * down): {@code x' = x + h d(x, t)}, {@code x^ = x + h (d(x, t) + d(x', t')) / 2} with h = t' - t.
     */
    private static Tensor heunUp(Denoiser teacher, Tensor x, double t, double tNext) {
        int batch = x.dim(0);
        float h = (float) (tNext - t);
        Tensor d1 = x.sub(teacher.denoise(x, PerSample.fill(batch, t))).div((float) t);
        Tensor xEuler = x.add(d1.mul(h));
        Tensor d2 = xEuler.sub(teacher.denoise(xEuler, PerSample.fill(batch, tNext))).div((float) tNext);
        return x.add(d1.add(d2).mul(h / 2));
    }

    /**
     * One-step samples between images {@code x1} and {@code x2} (each (1, C, H, W)) through their noises
     * ({@link #noiseOf}, {@code steps} grid points): (K, C, H, W).
     */
    public Tensor betweenImages(Denoiser f, Denoiser teacher, Tensor x1, Tensor x2, double[] alphas, int steps) {
        return betweenNoises(f, noiseOf(teacher, x1, steps), noiseOf(teacher, x2, steps), alphas);
    }

    /** {@code count} values of alpha evenly spaced from 0 to 1, both ends included. */
    public static double[] evenAlphas(int count) {
        if (count < 2) {
            throw new IllegalArgumentException("Interpolation.evenAlphas: need at least 2 values, got " + count);
        }
        double[] a = new double[count];
        for (int i = 0; i < count; i++) {
            a[i] = i / (double) (count - 1);
        }
        return a;
    }
}
