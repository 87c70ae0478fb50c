package dev.cm4j.models;

import dev.cm4j.autodiff.StateCheck;
import dev.cm4j.autodiff.Var;
import dev.cm4j.tensor.Rng;
import dev.cm4j.tensor.Tensor;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * A neural-network module in the manner of {@code torch.nn.Module}: named parameters, named buffers and named child
 * modules, addressed by PyTorch-style dotted names ({@code input_blocks.1.0.in_layers.2.weight}), so checkpoints of
 * the reference implementations map one to one.
 *
 * <p>Registration order is kept and defines the order of {@link #namedParameters()} and {@link #stateDict()}: a
 * module's own parameters, then its own buffers, then each child's entries, as in PyTorch.
 */
public abstract class Module {
    private final Map<String, Var> params = new LinkedHashMap<>();
    private final Map<String, Tensor> buffers = new LinkedHashMap<>();
    private final Map<String, Module> children = new LinkedHashMap<>();
    private boolean training = true;

    // ---------------------------------------------------------------- registration

    /** Registers a trainable parameter holding {@code value} (not copied) and returns it. */
    protected final Var registerParameter(String name, Tensor value) {
        checkName(name);
        Var p = Var.param(value);
        params.put(name, p);
        return p;
    }

    /** Registers a non-trainable tensor that is saved with the state (e.g. fixed Fourier frequencies). */
    protected final Tensor registerBuffer(String name, Tensor value) {
        checkName(name);
        buffers.put(name, value);
        return value;
    }

    /** Registers a child module and returns it. */
    protected final <M extends Module> M registerModule(String name, M child) {
        checkName(name);
        children.put(name, child);
        return child;
    }

    private void checkName(String name) {
        if (name.isEmpty() || name.contains(".")) {
            throw new IllegalArgumentException(getClass().getSimpleName() + ": name '" + name
                    + "' must be non-empty and contain no dot");
        }
        if (params.containsKey(name) || buffers.containsKey(name) || children.containsKey(name)) {
            throw new IllegalArgumentException(getClass().getSimpleName() + ": name '" + name
                    + "' is already registered");
        }
    }

    // ---------------------------------------------------------------- traversal

    /** Child modules by their own (undotted) names, in registration order. */
    public final Map<String, Module> children() {
        return java.util.Collections.unmodifiableMap(children);
    }

    /** This module (name "") and every descendant by dotted path, depth first in registration order. */
    public final Map<String, Module> namedModules() {
        Map<String, Module> out = new LinkedHashMap<>();
        collectModules("", out);
        return out;
    }

    private void collectModules(String path, Map<String, Module> out) {
        out.put(path, this);
        for (Map.Entry<String, Module> c : children.entrySet()) {
            c.getValue().collectModules(path.isEmpty() ? c.getKey() : path + "." + c.getKey(), out);
        }
    }

    /** Every parameter by dotted name. */
    public final Map<String, Var> namedParameters() {
        Map<String, Var> out = new LinkedHashMap<>();
        collectParameters("", out);
        return out;
    }

    private void collectParameters(String prefix, Map<String, Var> out) {
        params.forEach((n, p) -> out.put(prefix + n, p));
        children.forEach((n, c) -> c.collectParameters(prefix + n + ".", out));
    }

    /** Every parameter, in the order of {@link #namedParameters()}. */
    public final List<Var> parameters() {
        return new ArrayList<>(namedParameters().values());
    }

    /** Total number of parameter elements. */
    public final long parameterCount() {
        long n = 0;
        for (Var p : namedParameters().values()) {
            n += p.size();
        }
        return n;
    }

    /** Parameters and buffers by dotted name; the tensors are the live ones (not copies). */
    public final Map<String, Tensor> stateDict() {
        Map<String, Tensor> out = new LinkedHashMap<>();
        collectState("", out);
        return out;
    }

    private void collectState(String prefix, Map<String, Tensor> out) {
        params.forEach((n, p) -> out.put(prefix + n, p.value()));
        buffers.forEach((n, b) -> out.put(prefix + n, b));
        children.forEach((n, c) -> c.collectState(prefix + n + ".", out));
    }

    /**
     * Copies {@code state} into this module's parameters and buffers. Strict: the names must be exactly those of
     * {@link #stateDict()} and every shape must match; otherwise nothing is copied and the exception lists the
     * missing, unexpected and mismatched names. The copies are in-place writes: a graph recorded before the load
     * refuses a backward pass after it.
     */
    public final void load(Map<String, Tensor> state) {
        load(state, null);
    }

    /** {@link #load(Map)} naming where the state comes from (a file, "EMA 0.9999") in the error; null names none. */
    public final void load(Map<String, Tensor> state, String source) {
        checkLoadable(state, source);
        // all checked: now copy (no partial load is possible past this point)
        stateDict().forEach((k, dst) -> dst.copyFrom(state.get(k)));
    }

    /** Throws what {@link #load(Map)} would throw, without changing anything. */
    public final void checkLoadable(Map<String, Tensor> state) {
        checkLoadable(state, null);
    }

    /** Throws what {@link #load(Map, String)} would throw, without changing anything. */
    public final void checkLoadable(Map<String, Tensor> state, String source) {
        StateCheck.requireMatch("load" + (source == null ? "" : " from " + source) + ": state does not match "
                + getClass().getSimpleName(), stateDict(), state, "module");
    }

    // ---------------------------------------------------------------- modes and gradients

    /** Sets training mode on this module and every descendant (dropout is active only in training). */
    public Module train(boolean on) {
        for (Module m : namedModules().values()) {
            m.training = on;
        }
        return this;
    }

    /** Evaluation mode: {@code train(false)}. */
    public Module eval() {
        return train(false);
    }

    public final boolean isTraining() {
        return training;
    }

    /** Drops every parameter's gradient. */
    public final void zeroGrad() {
        for (Var p : namedParameters().values()) {
            p.zeroGrad();
        }
    }

    /** Freezes or unfreezes every parameter (a frozen teacher records no graph). */
    public final void requiresGrad(boolean on) {
        for (Var p : namedParameters().values()) {
            p.setRequiresGrad(on);
        }
    }

    // ---------------------------------------------------------------- copies

    /**
     * A new module of the same architecture that continues exactly as this one would: copies of every parameter and
     * buffer, generators of the same seeds, streams and positions (the same dropout masks from here on), the same
     * train/eval mode of every descendant and the same requires-grad flag of every parameter. The two share no
     * tensor and no generator: changing or running one leaves the other as it was.
     *
     * <p>The new instance comes from {@link #blank()}, built in a {@link ShapeOnly#blank()} scope (weights allocated as
     * zeros, nothing drawn), so a copy costs one allocation and one copy of the weights.
     *
     * @throws UnsupportedOperationException if this class does not implement {@link #blank()}
     */
    @SuppressWarnings("try")
    public Module copy() {
        Module c;
        try (ShapeOnly ignored = ShapeOnly.blank()) {
            c = blank();
        }
        if (c.getClass() != getClass()) {
            throw new IllegalStateException(getClass().getSimpleName() + ".blank() built a "
                    + c.getClass().getSimpleName());
        }
        c.load(stateDict(), getClass().getSimpleName() + ".copy()");
        Map<String, Rng> own = rngs();
        Map<String, Rng> theirs = c.rngs();
        for (Map.Entry<String, Rng> e : own.entrySet()) {
            Rng r = theirs.get(e.getKey());
            if (r == null || r.seed() != e.getValue().seed() || r.stream() != e.getValue().stream()) {
                throw new IllegalStateException(getClass().getSimpleName() + ".blank(): generator '" + e.getKey()
                        + "' has " + (r == null ? "no counterpart" : "seed " + r.seed() + " stream " + r.stream())
                        + ", not seed " + e.getValue().seed() + " stream " + e.getValue().stream());
            }
        }
        c.setRngPositions(rngPositions());
        Map<String, Module> copies = c.namedModules();
        namedModules().forEach((path, m) -> copies.get(path).training = m.training);
        Map<String, Var> copyParams = c.namedParameters();
        namedParameters().forEach((name, p) -> copyParams.get(name).setRequiresGrad(p.requiresGrad()));
        return c;
    }

    /**
     * A new instance of this module's class and architecture, for {@link #copy()} to fill. Its weights do not matter
     * (copy overwrites them, and builds it where {@link Init} allocates zeros without drawing), but every
     * {@link Stochastic} descendant must get a generator of the same seed and stream as this module's (copy checks
     * it and sets the positions). The default refuses: a module that can be copied overrides this.
     */
    protected Module blank() {
        throw new UnsupportedOperationException(getClass().getSimpleName() + " cannot be copied: it does not"
                + " implement Module.blank()");
    }

    // ---------------------------------------------------------------- random state

    /** Throws what {@link #setRngPositions(Map)} would throw, without changing anything. */
    public final void checkRngPositions(Map<String, Long> positions) {
        Map<String, Long> own = rngPositions();
        if (!own.keySet().equals(positions.keySet())) {
            throw new IllegalArgumentException("setRngPositions: saved generators " + positions.keySet()
                    + " do not match the module's " + own.keySet());
        }
        positions.forEach((k, v) -> {
            if (v == null || v < 0) {
                throw new IllegalArgumentException("setRngPositions: position of " + k + " is " + v);
            }
        });
    }

    /**
     * Positions of the generators of every {@link Stochastic} descendant (dropout) by dotted module path. Restoring
     * them with {@link #setRngPositions(Map)} replays the same dropout masks (the student and target passes of iCT)
     * and resumes training exactly.
     */
    public final Map<String, Long> rngPositions() {
        Map<String, Long> out = new LinkedHashMap<>();
        rngs().forEach((path, r) -> out.put(path, r.position()));
        return out;
    }

    /**
     * The generators of every {@link Stochastic} descendant by dotted module path, live: their seeds and streams
     * identify a run's dropout masks (a checkpoint records them beside the positions).
     */
    public final Map<String, Rng> rngs() {
        Map<String, Rng> out = new LinkedHashMap<>();
        namedModules().forEach((path, m) -> {
            if (m instanceof Stochastic s) {
                out.put(path, s.rng());
            }
        });
        return out;
    }

    /** Restores positions saved by {@link #rngPositions()}; the module paths must match exactly. */
    public final void setRngPositions(Map<String, Long> positions) {
        checkRngPositions(positions);
        namedModules().forEach((path, m) -> {
            if (m instanceof Stochastic s) {
                s.rng().setPosition(positions.get(path));
            }
        });
    }
}
