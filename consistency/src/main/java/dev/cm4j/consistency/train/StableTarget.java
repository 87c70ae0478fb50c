package dev.cm4j.consistency.train;

import dev.cm4j.tensor.Parallel;
import dev.cm4j.tensor.Rng;
import dev.cm4j.tensor.kernels.GaussianWeights;
import dev.cm4j.tensor.Tensor;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * The minibatch estimate of the denoiser {@code E[x0 | x_t]} (the "stable target field" of Xu et al. 2023, "Stable
 * target field for reduced variance score estimation in diffusion models", eq. 5; used for consistency models by Wang
 * et al. 2024, "Stable consistency tuning"), and the iCT target input it gives.
 *
 * <p>iCT's pair {@code (x + t z, x + s z)} (t above s, one z) is one Euler step of the probability-flow ODE from t to s
 * with the one-sample denoiser estimate {@code x0_hat = x}:
 * {@code x_s = x_t + (s - t) (x_t - x0_hat) / t}. Here x0_hat is instead the self-normalised average over a reference
 * set of clean samples (the batch itself, the own sample included, and optionally more draws):
 * <pre>
 *   x0_hat_b = sum_j w_bj x_j,   w_bj = softmax_j(-|x_t,b - x_j|^2 / (2 t_b^2))
 * </pre>
 * over the j of the same class as b when the data are labelled. At small t the weights concentrate on the own sample
 * and the pair is iCT's; at large t they average over the reference set, which lowers the variance of the target.
 *
 * <p>The target input is computed as {@code x_s = (x + s z) + (1 - s/t) (x0_hat - x)} (the same Euler step, rearranged)
 * with {@code x0_hat - x = sum_j w_bj (x_j - x_b)} in double: where every other weight underflows to zero (a batch of
 * one, far-apart samples at a small t) the correction is exactly zero and the pair is bit-identical to iCT's. Each row
 * b is computed by one thread in a fixed order, so the result does not depend on the thread count. Cost: O(B R d) for
 * B samples and R reference samples of d elements. Each row runs in the {@link GaussianWeights} kernel over the
 * references of its class: its Vector API twin where the Vector API runs (6-9 times faster than the plain loop at
 * B = R = 2048 in 2-D, within about 1e-15 relative of it, the same bits on every run and at every vector width), else
 * the plain loop, which gives this class's former bits.
 */
public final class StableTarget {
    /** Rows per parallel chunk: a row costs R (d + 1) operations and one exp per reference sample. */
    private static final int GRAIN = 16;
    /** Logits below the largest by more than this get weight 0 (e^-50 = 2e-22). */
    private static final double CUTOFF = -50;

    private StableTarget() {
    }

    /**
     * The softmax weights of row b: {@code w_j = exp(l_j - max l) / sum_k exp(l_k - max l)} with
     * {@code l_j = -|xt_b - ref_j|^2 / (2 t_b^2)}, zero for another class (and where {@code l_j - max l} is below
     * {@value #CUTOFF}: a weight under e^-50 of the largest changes no float target).
     *
     * @param xt the noisy samples (B, ...), contiguous
     * @param t the noise level of each row (B), positive
     * @param reference the clean reference samples (R, ...), the same element shape as xt
     * @param labels the class of each row (B), or null for unlabelled data
     * @param referenceLabels the class of each reference sample (R), or null
     * @return w (R), summing to 1
     */
    static double[] weights(Tensor xt, float[] t, Tensor reference, int[] labels, int[] referenceLabels, int b) {
        int per = check(xt, t, reference, labels, referenceLabels);
        Group g = groups(reference, per, referenceLabels).get(label(labels, b));
        if (g == null) {
            throw noReference(label(labels, b));
        }
        double[] gw = new double[g.members.length];
        double sum = GaussianWeights.row(xt.data(), xt.offset() + b * per, xt.data(), xt.offset() + b * per, g.refT,
                g.members.length, per, 1 / (2.0 * t[b] * t[b]), CUTOFF, gw, new double[per]);
        double[] w = new double[reference.dim(0)];
        for (int i = 0; i < gw.length; i++) {
            w[g.members[i]] = gw[i] / sum;
        }
        return w;
    }

    /**
     * {@code x0_hat_b - x_b = sum_j w_bj (ref_j - x_b)} per row, in double (B * d values, row-major), with the weights
     * of {@link #weights}.
     *
     * @param x the clean samples the rows were made from (B, ...); every x_b must be among the reference samples for
     *          the estimate to be the stable target field's (the trainer passes the batch as the first B references)
     */
    static double[] shift(Tensor x, Tensor xt, float[] t, Tensor reference, int[] labels, int[] referenceLabels) {
        int per = check(xt, t, reference, labels, referenceLabels);
        if (!x.sameShape(xt)) {
            throw new IllegalArgumentException("StableTarget: clean samples " + Arrays.toString(x.shape())
                    + " and noisy samples " + Arrays.toString(xt.shape()) + " differ in shape");
        }
        int batch = xt.dim(0);
        Map<Integer, Group> groups = groups(reference, per, referenceLabels);
        Group[] rowGroup = new Group[batch];
        int largest = 0;
        for (int b = 0; b < batch; b++) {
            rowGroup[b] = groups.get(label(labels, b));
            if (rowGroup[b] == null) {
                throw noReference(label(labels, b));
            }
            largest = Math.max(largest, rowGroup[b].members.length);
        }
        int refs = largest;
        double[] out = new double[batch * per];
        Parallel.forRange(batch, GRAIN, (start, end) -> {
            double[] w = new double[refs];
            double[] acc = new double[per];
            for (int b = start; b < end; b++) {
                Group g = rowGroup[b];
                double sum = GaussianWeights.row(xt.data(), xt.offset() + b * per, x.data(), x.offset() + b * per,
                        g.refT, g.members.length, per, 1 / (2.0 * t[b] * t[b]), CUTOFF, w, acc);
                for (int e = 0; e < per; e++) {
                    out[b * per + e] = acc[e] / sum;
                }
            }
        });
        return out;
    }

    /** The reference samples of one class (all of them for unlabelled data), in order, and transposed. */
    private record Group(int[] members, double[] refT) {
    }

    /**
     * The references grouped by class (key 0 for unlabelled data), each group's samples in their order and transposed
     * ({@code refT[e * count + i]}) for the {@link GaussianWeights} kernel. Leaving out another class's samples leaves
     * the sums as they were with those weights at 0.
     */
    private static Map<Integer, Group> groups(Tensor reference, int per, int[] referenceLabels) {
        Map<Integer, List<Integer>> byClass = new HashMap<>();
        for (int j = 0; j < reference.dim(0); j++) {
            byClass.computeIfAbsent(referenceLabels == null ? 0 : referenceLabels[j], k -> new ArrayList<>()).add(j);
        }
        float[] rd = reference.data();
        int ro = reference.offset();
        Map<Integer, Group> groups = new HashMap<>();
        byClass.forEach((label, list) -> {
            int[] members = list.stream().mapToInt(Integer::intValue).toArray();
            double[] refT = new double[per * members.length];
            for (int i = 0; i < members.length; i++) {
                for (int k = 0; k < per; k++) {
                    refT[k * members.length + i] = rd[ro + members[i] * per + k];
                }
            }
            groups.put(label, new Group(members, refT));
        });
        return groups;
    }

    private static IllegalArgumentException noReference(int label) {
        return new IllegalArgumentException("StableTarget: no reference sample of class " + label
                + " (the batch itself must be among the references)");
    }

    /**
     * The target input {@code x_s = (x + s z) + (1 - s/t) (x0_hat - x)} per row: the Euler step from {@code xt} at t
     * to s with the stable-target-field estimate of x0.
     *
     * @param ictTarget iCT's own target input {@code x + s z} (B, ...)
     * @param shift {@code x0_hat - x} from {@link #shift} (B * d)
     * @param t the online noise level of each row (B)
     * @param s the target noise level of each row (B), below t
     */
    static Tensor targetInput(Tensor ictTarget, double[] shift, float[] t, float[] s) {
        int batch = t.length;
        int per = ictTarget.size() / Math.max(1, batch);
        if (ictTarget.dim(0) != batch || s.length != batch || shift.length != batch * per) {
            throw new IllegalArgumentException("StableTarget.targetInput: " + batch + " noise levels, "
                    + s.length + " targets, a target input " + Arrays.toString(ictTarget.shape()) + " and "
                    + shift.length + " shift values do not match");
        }
        float[] out = new float[batch * per];
        float[] in = ictTarget.data();
        int io = ictTarget.offset();
        for (int b = 0; b < batch; b++) {
            double c = 1 - (double) s[b] / t[b];
            for (int e = b * per, end = e + per; e < end; e++) {
                out[e] = in[io + e] + (float) (c * shift[e]);
            }
        }
        return Tensor.wrap(out, ictTarget.shape());
    }

    /**
     * The stable target's input for a trainer's step: the references are the batch itself (each sample's own x among
     * them) and {@code extra} more draws from {@code data} with {@code rng} (after the step's other draws), the shift
     * {@code x0_hat - x} is estimated at {@code online} and applied to the paper's target input {@code plain} (noise
     * s).
     *
     * @param op the trainer's name, for errors
     */
    static Tensor targetInput(String op, DataSource data, Rng rng, DataSource.Batch drawn, int extra, Tensor online,
                              Tensor plain, float[] t, float[] s) {
        Tensor x = drawn.x();
        DataSource.Batch refs = drawn;
        if (extra > 0) {
            DataSource.Batch more = data.batch(extra, rng);
            refs = new DataSource.Batch(Tensor.concat(0, x, more.x()), concatLabels(op, drawn.labels(), more.labels()));
        }
        double[] shift = shift(x, online, t, refs.x(), drawn.labels(), refs.labels());
        return targetInput(plain, shift, t, s);
    }

    /** {@code a} then {@code b}; null when both are null (unlabelled data). */
    private static int[] concatLabels(String op, int[] a, int[] b) {
        if (a == null || b == null) {
            if (a != b) {
                throw new IllegalArgumentException(op + ": the extra reference draw and the batch disagree on labels");
            }
            return null;
        }
        int[] out = Arrays.copyOf(a, a.length + b.length);
        System.arraycopy(b, 0, out, a.length, b.length);
        return out;
    }

    private static int label(int[] labels, int b) {
        return labels == null ? 0 : labels[b];
    }

    /** Elements per sample; checks that the shapes, noise levels and labels agree. */
    private static int check(Tensor xt, float[] t, Tensor reference, int[] labels, int[] referenceLabels) {
        int batch = xt.dim(0);
        int per = xt.size() / Math.max(1, batch);
        if (t.length != batch || reference.rank() != xt.rank() || reference.size() != reference.dim(0) * per
                || (labels == null) != (referenceLabels == null)
                || (labels != null && (labels.length != batch || referenceLabels.length != reference.dim(0)))) {
            throw new IllegalArgumentException("StableTarget: noisy samples " + Arrays.toString(xt.shape()) + ", "
                    + t.length + " noise levels, references " + Arrays.toString(reference.shape()) + ", labels "
                    + (labels == null ? "none" : labels.length) + " and reference labels "
                    + (referenceLabels == null ? "none" : referenceLabels.length) + " do not match");
        }
        for (float v : t) {
            if (!(v > 0)) {
                throw new IllegalArgumentException("StableTarget: noise levels must be > 0, got " + v);
            }
        }
        return per;
    }
}
