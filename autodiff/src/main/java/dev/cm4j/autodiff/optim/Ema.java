package dev.cm4j.autodiff.optim;

import dev.cm4j.autodiff.StateCheck;
import dev.cm4j.autodiff.Var;
import dev.cm4j.tensor.Parallel;
import dev.cm4j.tensor.Tensor;

import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * An exponential moving average of parameters: shadow = beta shadow + (1 - beta) param after each update, the
 * {@code update_ema} of openai/consistency_models. The decay is given as a rate, or by EDM's half-life in images
 * (Karras et al. 2022, training_loop.py): beta = 0.5^(batch / halfLifeImages), with an optional ramp-up that caps the
 * half-life at rampUpRatio times the images seen so far.
 */
public final class Ema {
    private static final int GRAIN = 1 << 15;

    private final Map<String, Var> source;
    private final Map<String, Tensor> shadow = new LinkedHashMap<>();

    /** Starts the average at a copy of the current parameters. */
    public Ema(Map<String, Var> params) {
        this.source = new LinkedHashMap<>(params);
        params.forEach((k, p) -> shadow.put(k, p.value().copy()));
    }

    /** beta = 0.5^(batch / halfLifeImages): the average forgets half its weight every halfLifeImages images. */
    public static double betaForHalfLife(long batch, double halfLifeImages) {
        if (batch <= 0 || !(halfLifeImages > 0)) {
            throw new IllegalArgumentException("Ema: batch " + batch + " and half-life " + halfLifeImages
                    + " images must be positive");
        }
        return Math.pow(0.5, batch / halfLifeImages);
    }

    /**
     * EDM's rule: half-life = min(halfLifeImages, rampUpRatio imagesSeen) when rampUpRatio is positive (0 turns the
     * ramp off), floored at 1e-8, then beta = 0.5^(batch / half-life). {@code imagesSeen} counts the images of the
     * updates before this one.
     */
    public static double edmBeta(long imagesSeen, long batch, double halfLifeImages, double rampUpRatio) {
        double h = halfLifeImages;
        if (rampUpRatio > 0) {
            h = Math.min(h, imagesSeen * rampUpRatio);
        }
        return Math.pow(0.5, batch / Math.max(h, 1e-8));
    }

    /** shadow = beta shadow + (1 - beta) param, element-wise. */
    public void update(double beta) {
        if (!(beta >= 0 && beta <= 1)) {
            throw new IllegalArgumentException("Ema.update: rate " + beta + " must be in [0, 1]");
        }
        float b = (float) beta, a = (float) (1 - beta);
        for (Map.Entry<String, Var> e : source.entrySet()) {
            Tensor p = e.getValue().value();
            Tensor s = shadow.get(e.getKey());
            float[] pd = p.data(), sd = s.data();
            int po = p.offset(), so = s.offset();
            Parallel.forRange(p.size(), GRAIN, (i0, i1) -> {
                for (int i = i0; i < i1; i++) {
                    sd[so + i] = b * sd[so + i] + a * pd[po + i];
                }
            });
            s.markModified();
        }
    }

    /** The averaged tensors by parameter name (live, not copies); save them or load them into a model. */
    public Map<String, Tensor> shadow() {
        return Collections.unmodifiableMap(shadow);
    }

    /**
     * Copies the averages into the tracked parameters (e.g. to evaluate a copy of the model). An in-place write: a graph
     * recorded before it refuses a backward pass after it.
     */
    public void copyTo(Map<String, Var> params) {
        check(params.keySet().equals(shadow.keySet()), "copyTo: parameters " + params.keySet()
                + " do not match the average's " + shadow.keySet());
        params.forEach((k, p) -> p.value().copyFrom(shadow.get(k)));
    }

    /** Restores saved averages; names and shapes must match exactly, else nothing changes. */
    public void load(Map<String, Tensor> saved) {
        checkLoadable(saved);
        shadow.forEach((k, t) -> t.copyFrom(saved.get(k)));
    }

    /** Throws what {@link #load(Map)} would throw, without changing anything. */
    public void checkLoadable(Map<String, Tensor> saved) {
        StateCheck.requireMatch("Ema.load", shadow, saved, "average");
    }

    private static void check(boolean ok, String message) {
        if (!ok) {
            throw new IllegalArgumentException("Ema." + message);
        }
    }
}
