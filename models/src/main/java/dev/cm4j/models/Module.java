package dev.cm4j.models;

import dev.cm4j.autodiff.NoGrad;
import dev.cm4j.autodiff.StateCheck;
import dev.cm4j.autodiff.Var;
import dev.cm4j.tensor.HalfFormat;
import dev.cm4j.tensor.HalfTensor;
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
 *
 * <p>For inference the large weights (those of {@link Conv2d} and {@link Linear}) can be stored in 16 bits:
 * {@link #toHalf} rounds them to float16 or bfloat16 and drops their float32 arrays, halving their memory. Such a
 * parameter is no longer a {@link Var}: each forward widens it exactly into a float32 scratch array of its thread,
 * so the kernels and their float32 accumulation are those of the float32 network on the widened weights. A model
 * with half parameters runs only inside {@link NoGrad} (a forward outside it throws, naming the parameter: no
 * training or differentiation), lists them by {@link #namedHalfParameters()} instead of {@link #namedParameters()},
 * and refuses {@link #stateDict()}, {@link #load} and {@link #copy()}; {@link #toFloat32()} widens them back.
 */
public abstract class Module {
    /** Own parameters; the value is null while the parameter is stored in 16 bits (kept to keep the order). */
    private final Map<String, Var> params = new LinkedHashMap<>();
    /** Own parameters stored in 16 bits by {@link #toHalf}, with their dotted names from the converted root. */
    private final Map<String, HalfParameter> halfParams = new LinkedHashMap<>();
    private final Map<String, Tensor> buffers = new LinkedHashMap<>();
    private final Map<String, Module> children = new LinkedHashMap<>();
    private boolean training = true;

    // ---------------------------------------------------------------- registration

    /**
     * Registers a trainable parameter holding {@code value} (not copied) and returns it. Inside a
     * {@link ShapeOnly#blank(HalfFormat)} scope a {@link #halfCapable} parameter is stored in 16 bits instead (the
     * returned Var then only gives its shape).
     */
    protected final Var registerParameter(String name, Tensor value) {
        checkName(name);
        Var p = Var.param(value);
        params.put(name, p);
        HalfFormat half = ShapeOnly.halfStorage();
        if (half != null && halfCapable(name)) {
            // the dotted name is known once the module is attached: toHalf on the root sets it
            halfParams.put(name, new HalfParameter(HalfTensor.narrow(value, half), name, true));
            params.put(name, null);
        }
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

    /** Every float32 parameter by dotted name (a parameter stored in 16 bits is in {@link #namedHalfParameters()}). */
    public final Map<String, Var> namedParameters() {
        Map<String, Var> out = new LinkedHashMap<>();
        collectParameters("", out);
        return out;
    }

    private void collectParameters(String prefix, Map<String, Var> out) {
        params.forEach((n, p) -> {
            if (p != null) {
                out.put(prefix + n, p);
            }
        });
        children.forEach((n, c) -> c.collectParameters(prefix + n + ".", out));
    }

    /** Every parameter, in the order of {@link #namedParameters()}. */
    public final List<Var> parameters() {
        return new ArrayList<>(namedParameters().values());
    }

    /** Total number of parameter elements, those stored in 16 bits included. */
    public final long parameterCount() {
        long n = 0;
        for (Var p : namedParameters().values()) {
            n += p.size();
        }
        for (HalfTensor h : namedHalfParameters().values()) {
            n += h.size();
        }
        return n;
    }

    /**
     * Parameters and buffers by dotted name; the tensors are the live ones (not copies).
     *
     * @throws IllegalStateException when a parameter is stored in 16 bits ({@link #toHalf}); {@link #toFloat32()}
     *                               first
     */
    public final Map<String, Tensor> stateDict() {
        Map<String, HalfTensor> half = namedHalfParameters();
        if (!half.isEmpty()) {
            Map.Entry<String, HalfTensor> first = half.entrySet().iterator().next();
            throw new IllegalStateException(getClass().getSimpleName() + ".stateDict: " + half.size()
                    + " parameters are stored in " + first.getValue().format() + " for inference, the first '"
                    + first.getKey() + "' " + first.getValue() + "; call toFloat32() to save, load, copy or train");
        }
        Map<String, Tensor> out = new LinkedHashMap<>();
        collectState("", out);
        return out;
    }

    private void collectState(String prefix, Map<String, Tensor> out) {
        params.forEach((n, p) -> out.put(prefix + n, p.value())); // no null: stateDict refuses half parameters
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

    // ---------------------------------------------------------------- 16-bit storage

    /** A parameter stored in 16 bits: its value, its dotted name from the converted root, its requires-grad flag. */
    private record HalfParameter(HalfTensor value, String path, boolean requiresGrad) {
    }

    /** Per thread, the float32 array a forward widens a 16-bit parameter into; it grows to the largest one. */
    private static final ThreadLocal<float[]> WIDENED = ThreadLocal.withInitial(() -> new float[0]);

    /**
     * Whether {@link #toHalf} stores this module's own parameter {@code name} in 16 bits. None by default;
     * {@link Conv2d} and {@link Linear} store their weights (biases, norms and embeddings are small and stay float32).
     */
    protected boolean halfCapable(String name) {
        return false;
    }

    /**
     * Stores every {@link #halfCapable} parameter of this module and its descendants in {@code format}, rounded to
     * nearest (ties to even), and drops its float32 array: inference only (see the class comment). A parameter
     * already stored in the other 16-bit format is widened exactly and rounded again; one already in {@code format}
     * is kept (its name in errors becomes its dotted name from this module). Returns this module.
     */
    public final Module toHalf(HalfFormat format) {
        if (format == null) {
            throw new IllegalArgumentException(getClass().getSimpleName() + ".toHalf: format is null; toFloat32()"
                    + " converts to float32");
        }
        namedModules().forEach((path, m) -> {
            for (Map.Entry<String, Var> e : m.params.entrySet()) {
                String name = e.getKey();
                if (!m.halfCapable(name)) {
                    continue;
                }
                String dotted = path.isEmpty() ? name : path + "." + name;
                HalfParameter old = m.halfParams.get(name);
                if (old != null && old.value().format() == format) {
                    m.halfParams.put(name, new HalfParameter(old.value(), dotted, old.requiresGrad()));
                    continue;
                }
                Tensor wide = old != null ? old.value().toFloat32() : e.getValue().value();
                boolean grad = old != null ? old.requiresGrad() : e.getValue().requiresGrad();
                m.halfParams.put(name, new HalfParameter(HalfTensor.narrow(wide, format), dotted, grad));
                e.setValue(null);
            }
        });
        return this;
    }

    /**
     * Widens every parameter stored in 16 bits back to a float32 parameter, exactly, in its place in the parameter
     * order and with its requires-grad flag: the model can then be saved, copied and trained. Returns this module.
     */
    public final Module toFloat32() {
        for (Module m : namedModules().values()) {
            m.halfParams.forEach((name, h) -> {
                Var p = Var.param(h.value().toFloat32());
                p.setRequiresGrad(h.requiresGrad());
                m.params.put(name, p);
            });
            m.halfParams.clear();
        }
        return this;
    }

    /** Every parameter stored in 16 bits by dotted name (empty for a float32 model); the storages are live. */
    public final Map<String, HalfTensor> namedHalfParameters() {
        Map<String, HalfTensor> out = new LinkedHashMap<>();
        collectHalf("", out);
        return out;
    }

    private void collectHalf(String prefix, Map<String, HalfTensor> out) {
        halfParams.forEach((n, h) -> out.put(prefix + n, h.value()));
        children.forEach((n, c) -> c.collectHalf(prefix + n + ".", out));
    }

    /**
     * Bytes of the parameters' values as stored now: 4 per float32 element, 2 per element stored in 16 bits. Buffers
     * and the per-thread widening array are not counted.
     */
    public final long parameterBytes() {
        long bytes = 0;
        for (Var p : namedParameters().values()) {
            bytes += 4L * p.size();
        }
        for (HalfTensor h : namedHalfParameters().values()) {
            bytes += h.bytes();
        }
        return bytes;
    }

    /**
     * Bytes {@link #parameterBytes()} would give after {@code toHalf(format)}, or after {@link #toFloat32()} for a null
     * format, computed from the module's parameters without converting anything (so it can be read from a module
     * built in a {@link ShapeOnly} scope).
     */
    public final long parameterBytes(HalfFormat format) {
        long bytes = 0;
        for (Module m : namedModules().values()) {
            for (Map.Entry<String, Var> e : m.params.entrySet()) {
                HalfParameter h = m.halfParams.get(e.getKey());
                long size = h != null ? h.value().size() : e.getValue().size();
                bytes += (format != null && m.halfCapable(e.getKey()) ? 2L : 4L) * size;
            }
        }
        return bytes;
    }

    /**
     * Own parameter {@code name} for a forward: the registered {@link Var}, or, when it is stored in 16 bits, a
     * constant over its exact float32 values in this thread's widening array, valid until the next such call on the
     * thread (a forward uses it at once).
     *
     * @throws IllegalStateException for a parameter stored in 16 bits outside a {@link NoGrad} scope
     */
    protected final Var parameterForForward(String name) {
        Var p = params.get(name);
        if (p != null) {
            return p;
        }
        HalfParameter h = halfParams.get(name);
        if (h == null) {
            throw new IllegalArgumentException(getClass().getSimpleName() + ": no parameter '" + name + "'");
        }
        if (!NoGrad.active()) {
            throw new IllegalStateException(getClass().getSimpleName() + ".forward: parameter '" + h.path()
                    + "' is stored in " + h.value().format() + " for inference only and cannot be trained or"
                    + " differentiated; run the network inside NoGrad, or call toFloat32() on the model first");
        }
        float[] wide = WIDENED.get();
        if (wide.length < h.value().size()) {
            wide = new float[h.value().size()];
            WIDENED.set(wide);
        }
        h.value().widenInto(wide, 0);
        return Var.constant(Tensor.wrap(wide, 0, h.value().shape()));
    }

    /**
     * Own float32 parameter {@code name} (an accessor such as {@code Conv2d.weight()}).
     *
     * @throws IllegalStateException when it is stored in 16 bits
     */
    protected final Var floatParameter(String name) {
        Var p = params.get(name);
        if (p == null && halfParams.containsKey(name)) {
            HalfParameter h = halfParams.get(name);
            throw new IllegalStateException(getClass().getSimpleName() + ": parameter '" + h.path() + "' is stored in "
                    + h.value().format() + "; call toFloat32() on the model for its float32 Var");
        }
        return p;
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
