package dev.cm4j.autodiff;

import dev.cm4j.tensor.Rng;
import dev.cm4j.tensor.Shapes;
import dev.cm4j.tensor.Tensor;

import java.util.function.Function;
import java.util.function.Supplier;

/**
 * Checks the gradients of a function of tensors against central finite differences (as
 * {@code torch.autograd.gradcheck}, but in float32 with a stated tolerance).
 *
 * <p>The scalar probed is L = sum(f(x) * R) for a fixed random R, so every output element contributes. The analytic
 * gradient comes from one backward pass with seed R. The numeric one perturbs one input element by +-h in float,
 * evaluates L in double from the float outputs, and takes (L+ - L-) / 2h. An element passes when
 * |analytic - numeric| &lt;= atol + rtol |numeric|.
 */
public final class GradCheck {
    private GradCheck() {
    }

    /**
     * The outcome: the worst ratio error / tolerance over the checked elements (&lt;= 1 means all passed) and a
     * description of the worst element.
     */
    public record Result(double worstRatio, String worst, int checked) {
        public boolean passed() {
            return worstRatio <= 1.0;
        }
    }

    /**
     * @param f           the function under test; called once with parameters (for the backward) and many times
     *                    inside {@link NoGrad}
     * @param inputs      the input values; perturbed in place during the check and restored
     * @param h           the finite-difference step
     * @param maxPerInput at most this many elements of each input are probed (chosen at random when it has more)
     * @param rng         selects probed elements and draws R
     */
    public static Result check(Function<Var[], Var> f, Tensor[] inputs, double h, double atol, double rtol,
                               int maxPerInput, Rng rng) {
        Var[] params = new Var[inputs.length];
        for (int i = 0; i < inputs.length; i++) {
            params[i] = Var.param(inputs[i]);
        }
        return check(() -> f.apply(params), params, h, atol, rtol, maxPerInput, rng);
    }

    /**
     * The same check for leaves that {@code f} already holds, such as a module's parameters: {@code f} reads them
     * itself, so their values are perturbed in place (and restored) between the probes. Their gradients are reset
     * first and hold the analytic gradient afterwards.
     *
     * @param f      the function under test; called once recording (for the backward) and many times inside
     *               {@link NoGrad}
     * @param leaves leaves that require gradients, read by {@code f}
     */
    public static Result check(Supplier<Var> f, Var[] leaves, double h, double atol, double rtol, int maxPerInput,
                               Rng rng) {
        for (Var leaf : leaves) {
            leaf.zeroGrad();
        }
        Var y = f.get();
        Tensor r = rng.normal(y.shape());
        y.backward(r);

        double worstRatio = 0;
        String worst = "no element checked";
        int checked = 0;
        for (int k = 0; k < leaves.length; k++) {
            Tensor x = leaves[k].value();
            Tensor grad = leaves[k].grad();
            int n = x.size();
            int probes = Math.min(n, maxPerInput);
            float[] d = x.data();
            for (int j = 0; j < probes; j++) {
                int e = probes == n ? j : rng.nextInt(n);
                int at = x.offset() + e;
                float saved = d[at];
                d[at] = (float) (saved + h);
                double plus = probe(f, r);
                d[at] = (float) (saved - h);
                double minus = probe(f, r);
                d[at] = saved;
                x.markModified(); // written through data(); the values are back, but a saved graph would not know
                // divide by the step actually taken in float
                double numeric = (plus - minus) / ((double) (float) (saved + h) - (double) (float) (saved - h));
                double analytic = grad == null ? 0.0 : grad.data()[grad.offset() + e];
                double err = Math.abs(analytic - numeric);
                double ratio = err / (atol + rtol * Math.abs(numeric));
                checked++;
                if (ratio > worstRatio || Double.isNaN(ratio)) {
                    worstRatio = Double.isNaN(ratio) ? Double.POSITIVE_INFINITY : ratio;
                    worst = "input " + k + " " + Shapes.str(x.shape()) + " element " + e + ": analytic " + analytic
                            + ", numeric " + numeric + ", |error| " + err + " (tolerance " + (atol + rtol
                            * Math.abs(numeric)) + ")";
                }
            }
        }
        return new Result(worstRatio, worst, checked);
    }

    /** L = sum(f() * R) in double, without recording (NoGrad: the leaves are read as constants). */
    @SuppressWarnings("try")
    private static double probe(Supplier<Var> f, Tensor r) {
        Tensor y;
        try (NoGrad ignored = NoGrad.enter()) {
            y = f.get().value();
        }
        float[] yd = y.data(), rd = r.data();
        double sum = 0;
        for (int i = 0; i < y.size(); i++) {
            sum += (double) yd[y.offset() + i] * rd[r.offset() + i];
        }
        return sum;
    }
}
