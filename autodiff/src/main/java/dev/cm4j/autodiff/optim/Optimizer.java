package dev.cm4j.autodiff.optim;

import dev.cm4j.autodiff.StateCheck;
import dev.cm4j.autodiff.Var;
import dev.cm4j.tensor.Parallel;
import dev.cm4j.tensor.Tensor;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * A first-order optimizer over named parameters. Its state (moment buffers, per-parameter step counts) is created
 * eagerly with zeros, so the set of state tensors is fixed at construction and a checkpoint can be checked strictly.
 *
 * <p>{@link #step()} updates every parameter that has a gradient; a parameter without one is skipped and its step
 * count does not advance (as in PyTorch). Updates are element-wise and split over threads without changing results.
 * They write the parameters in place and advance their {@link Tensor#version()}, so a graph recorded before a step
 * refuses a backward pass after it.
 */
public abstract class Optimizer {
    /** Elements per parallel task of an update. */
    private static final int GRAIN = 1 << 15;

    private final Map<String, Var> params;
    private final Map<String, long[]> steps = new LinkedHashMap<>();
    private final Map<String, Tensor> state = new LinkedHashMap<>();
    private final String[] slots;
    private double lr;

    /**
     * @param params the parameters by name (e.g. a module's namedParameters()), kept in this order
     * @param slots  names of the per-parameter state tensors ("exp_avg", "exp_avg_sq", ...)
     */
    protected Optimizer(Map<String, Var> params, double lr, String... slots) {
        checkLr(getClass().getSimpleName(), lr);
        this.params = new LinkedHashMap<>(params);
        this.lr = lr;
        this.slots = slots.clone();
        for (Map.Entry<String, Var> e : this.params.entrySet()) {
            steps.put(e.getKey(), new long[1]);
            for (String s : slots) {
                state.put(e.getKey() + "." + s, Tensor.zeros(e.getValue().shape()));
            }
        }
    }

    /** Names a plain list of parameters "0", "1", ... (the convention of PyTorch's optimizer state). */
    public static Map<String, Var> indexed(List<Var> params) {
        Map<String, Var> out = new LinkedHashMap<>();
        for (int i = 0; i < params.size(); i++) {
            out.put(Integer.toString(i), params.get(i));
        }
        return out;
    }

    /** The learning rate of the next step. */
    public double lr() {
        return lr;
    }

    /** Sets the learning rate for the next steps (schedules call this before each step). */
    public void setLr(double lr) {
        checkLr(getClass().getSimpleName(), lr);
        this.lr = lr;
    }

    /** Throws unless {@code lr} is a usable learning rate: finite and >= 0. */
    public static void checkLr(String who, double lr) {
        if (!(lr >= 0) || Double.isInfinite(lr)) {
            throw new IllegalArgumentException(who + ": learning rate " + lr + " must be finite and >= 0");
        }
    }

    /**
     * The fixed hyper-parameters other than the learning rate, by name ("beta1", "eps", "weight_decay", ...): what a
     * checkpoint records so that a resume with other settings is noticed. Booleans are 0 or 1.
     */
    public abstract Map<String, Double> settings();

    /**
     * One update of every parameter that has a gradient. Parameters of at least 32,768 elements are each split
     * over the threads; the smaller ones (a network's biases, norms and narrow layers) are updated as items claimed by
     * whichever thread is free ({@link Parallel#forItems}), each whole on one thread, instead of one after another on
     * the caller. Every element's update is the same either way.
     */
    public void step() {
        List<Runnable> small = new ArrayList<>();
        for (Map.Entry<String, Var> e : params.entrySet()) {
            Var p = e.getValue();
            Tensor g = p.grad();
            if (g == null) {
                continue;
            }
            long t = ++steps.get(e.getKey())[0];
            Tensor[] s = new Tensor[slots.length];
            for (int i = 0; i < slots.length; i++) {
                s[i] = state.get(e.getKey() + "." + slots[i]);
            }
            Tensor value = p.value();
            Update u = prepare(t, lr);
            float[] pd = value.data(), gd = g.data();
            int po = value.offset(), go = g.offset();
            int n = value.size();
            if (n >= GRAIN) {
                Parallel.forRange(n, GRAIN, (i0, i1) -> u.apply(pd, po, gd, go, s, i0, i1));
            } else {
                small.add(() -> u.apply(pd, po, gd, go, s, 0, n));
            }
            value.markModified();
            for (Tensor slot : s) {
                slot.markModified();
            }
        }
        Parallel.forItems(small.size(), i -> small.get(i).run());
    }

    /** Drops every parameter's gradient. */
    public void zeroGrad() {
        for (Var p : params.values()) {
            p.zeroGrad();
        }
    }

    /** The update of one parameter over elements [i0, i1): p at pd[po + i], g at gd[go + i], state slots s. */
    @FunctionalInterface
    protected interface Update {
        void apply(float[] pd, int po, float[] gd, int go, Tensor[] s, int i0, int i1);
    }

    /** The update rule for step {@code t} (1-based, the parameter's own count) at learning rate {@code lr}. */
    protected abstract Update prepare(long t, double lr);

    // ---------------------------------------------------------------- state for checkpoints

    /** The parameters by name. */
    public Map<String, Var> parameters() {
        return java.util.Collections.unmodifiableMap(params);
    }

    /** The state tensors by "parameterName.slot" (live tensors, not copies). */
    public Map<String, Tensor> stateTensors() {
        return java.util.Collections.unmodifiableMap(state);
    }

    /** Per-parameter step counts by parameter name. */
    public Map<String, Long> stepCounts() {
        Map<String, Long> out = new LinkedHashMap<>();
        steps.forEach((k, v) -> out.put(k, v[0]));
        return out;
    }

    /**
     * Restores state saved from {@link #stateTensors()} and {@link #stepCounts()}. Strict: the names and shapes must
     * be exactly this optimizer's; otherwise nothing changes and the exception lists what differs.
     */
    public void loadState(Map<String, Tensor> tensors, Map<String, Long> stepCounts) {
        checkState(tensors, stepCounts);
        state.forEach((k, dst) -> dst.copyFrom(tensors.get(k)));
        stepCounts.forEach((k, v) -> steps.get(k)[0] = v);
    }

    /** Throws what {@link #loadState} would throw, without changing anything. */
    public void checkState(Map<String, Tensor> tensors, Map<String, Long> stepCounts) {
        String who = getClass().getSimpleName() + ".loadState";
        StateCheck.requireMatch(who, state, tensors, "optimizer");
        List<String> problems = new ArrayList<>();
        if (!stepCounts.keySet().equals(steps.keySet())) {
            problems.add("step counts for " + stepCounts.keySet() + " but parameters " + steps.keySet());
        }
        for (Map.Entry<String, Long> e : stepCounts.entrySet()) {
            if (e.getValue() == null || e.getValue() < 0) {
                problems.add("step count of " + e.getKey() + " is " + e.getValue());
            }
        }
        if (!problems.isEmpty()) {
            throw new IllegalArgumentException(who + ": " + problems);
        }
    }
}
