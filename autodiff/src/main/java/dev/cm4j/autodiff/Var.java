package dev.cm4j.autodiff;

import dev.cm4j.tensor.BufferArena;
import dev.cm4j.tensor.Shapes;
import dev.cm4j.tensor.Tensor;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicLong;

/**
 * A differentiable value: a {@link Tensor} with a gradient, recorded define-by-run as in micrograd and PyTorch.
 *
 * <p>Every operation on values that require gradients returns a new value that remembers its inputs and a
 * {@link Backward} rule written beside the forward (in {@link Arithmetic}, {@link Pointwise}, {@link Reductions},
 * {@link ShapeOps}, {@link LinearOps}, {@link ConvOps}, {@link NormOps}, {@link SoftmaxOps}, {@link AttentionOps},
 * {@link DropoutOps}, {@link Losses}). There is no global tape: the graph is the web of these references, so a graph
 * nobody holds is garbage. {@link #backward()} walks it in reverse topological order, accumulates gradients into the
 * leaves and then frees every recorded node (its rule, its inputs and its intermediate gradient), so a training loop
 * holds only its parameters between steps.
 *
 * <p>Leaf gradients accumulate across backward calls until {@link #zeroGrad()}; gradients of broadcast inputs are
 * summed back to the input's shape. Inside {@link NoGrad} nothing is recorded.
 *
 * <p>A recorded node remembers the {@link Tensor#version()} of its inputs' values and of its own value, the tensors
 * its backward rule may read. If one of them is written in place before the backward pass reaches the node (an
 * optimizer step, {@code Ema.copyTo}, a checkpoint load), the rule would compute a wrong gradient without a sign;
 * backward throws instead, naming the op and the shape.
 *
 * <p>Inside an open {@link BufferArena} backward gives the arena back the arrays of the intermediate values and
 * gradients it has consumed, as it goes; the loss (the value backward is called on), the leaves and their gradients
 * stay until the arena closes. Reading an intermediate value after backward then throws: read it before, or
 * {@link BufferArena#keep keep} it.
 */
public final class Var {
    /** Recorded nodes whose graph has not been freed by a backward pass yet (a leak detector for tests). */
    private static final AtomicLong LIVE_NODES = new AtomicLong();
    private static final AtomicLong EPOCH = new AtomicLong();
    /**
     * Whether backward rules may adopt and overwrite gradients made for them alone ({@link InPlaceBackward}): on
     * unless {@code -Dcm4j.autodiff.inPlaceGradients=false}. Off, every rule allocates its input gradients and every
     * second contribution is summed into a fresh tensor; the gradients are the same bits either way (tests switch it).
     */
    static boolean inPlaceGradients = !"false".equals(System.getProperty("cm4j.autodiff.inPlaceGradients"));

    private final Tensor value;
    private final String op;
    private boolean requiresGrad;
    private Tensor grad;
    /** True while {@link #grad} may be referenced elsewhere (then it is replaced, never updated in place). */
    private boolean gradShared;
    private Var[] inputs;
    /** Versions at record time: [0] this value's, [1 + i] input i's value's. */
    private int[] versions;
    private Backward rule;
    private boolean freed;
    private long visitEpoch;

    private Var(Tensor value, boolean requiresGrad, String op) {
        if (value == null) {
            throw new IllegalArgumentException("Var: value must not be null (op " + op + ")");
        }
        this.value = value;
        this.requiresGrad = requiresGrad;
        this.op = op;
    }

    // ---------------------------------------------------------------- creation

    /** A trainable leaf: it requires gradients. The tensor is used as is (not copied). */
    public static Var param(Tensor value) {
        return new Var(value, true, "param");
    }

    /** A constant leaf: no gradient flows into it. The tensor is used as is (not copied). */
    public static Var constant(Tensor value) {
        return new Var(value, false, "constant");
    }

    /** A constant scalar (rank 0). */
    public static Var scalar(float value) {
        return constant(Tensor.scalar(value));
    }

    /**
     * The result of an operation: records {@code rule} and {@code inputs} when some input requires gradients and no
     * {@link NoGrad} scope is open; otherwise a constant. This is how every op (and a user's own op) joins the graph.
     */
    public static Var result(String op, Tensor value, Backward rule, Var... inputs) {
        if (NoGrad.active() || !anyRequiresGrad(inputs)) {
            return new Var(value, false, op);
        }
        Var out = new Var(value, true, op);
        out.inputs = inputs;
        out.rule = rule;
        int[] versions = new int[inputs.length + 1];
        versions[0] = value.version();
        for (int i = 0; i < inputs.length; i++) {
            versions[i + 1] = inputs[i].value.version();
        }
        out.versions = versions;
        LIVE_NODES.incrementAndGet();
        return out;
    }

    private static boolean anyRequiresGrad(Var[] inputs) {
        for (Var v : inputs) {
            if (v.requiresGrad) {
                return true;
            }
        }
        return false;
    }

    /**
     * Number of recorded nodes in this JVM not yet freed by a backward pass: constant across training steps when
     * every recorded graph is back-propagated. A graph that is built and dropped without backward (forgetting
     * {@link NoGrad} for an evaluation) is still collected as garbage, but stays in this count.
     */
    public static long liveGraphNodes() {
        return LIVE_NODES.get();
    }

    // ---------------------------------------------------------------- accessors

    /** The value (shared, not copied). Optimizers update parameters through it in place. */
    public Tensor value() {
        return value;
    }

    /** The accumulated gradient, or null when none has been computed since the last {@link #zeroGrad()}. */
    public Tensor grad() {
        return grad;
    }

    /** True when gradients flow into this value (a trainable leaf or a result recorded from one). */
    public boolean requiresGrad() {
        return requiresGrad;
    }

    /** Freezes or unfreezes a leaf (e.g. a teacher network). Only leaves can change. */
    public Var setRequiresGrad(boolean requiresGrad) {
        if (!isLeaf()) {
            throw new IllegalStateException("Var.setRequiresGrad: only leaves can change, this is the result of " + op);
        }
        this.requiresGrad = requiresGrad;
        return this;
    }

    /** True for parameters and constants, false for recorded results (also after their graph is freed). */
    public boolean isLeaf() {
        return rule == null && !freed;
    }

    /** Name of the operation that produced this value ("param", "constant", "matmul", ...). */
    public String op() {
        return op;
    }

    /** A copy of the value's shape. */
    public int[] shape() {
        return value.shape();
    }

    /** Size of dimension {@code axis} of the value; negative axes count from the end. */
    public int dim(int axis) {
        return value.dim(axis);
    }

    /** Number of dimensions of the value. */
    public int rank() {
        return value.rank();
    }

    /** Number of elements of the value. */
    public int size() {
        return value.size();
    }

    /** The value of a one-element value (a loss). */
    public float item() {
        return value.item();
    }

    /** A constant sharing this value's tensor: gradients stop here. */
    public Var detach() {
        return new Var(value, false, "detach");
    }

    /** Drops the gradient (the next backward starts from zero). */
    public void zeroGrad() {
        grad = null;
        gradShared = false;
    }

    @Override
    public String toString() {
        return "Var(" + op + ", " + value + (requiresGrad ? ", requiresGrad" : "") + ")";
    }

    // ---------------------------------------------------------------- backward

    /** Back-propagates from a one-element value (a loss) with seed gradient 1. */
    public void backward() {
        if (value.size() != 1) {
            throw new IllegalArgumentException("backward: value of shape " + Shapes.str(value.shape())
                    + " is not a scalar; pass the seed gradient with backward(Tensor)");
        }
        backward(Tensor.ones(value.shape()));
    }

    /**
     * Back-propagates {@code seed} (the gradient of the loss with respect to this value), accumulating into every leaf
     * that requires gradients, then frees the graph. A graph can be walked once: a second backward through a freed
     * node throws, as in PyTorch.
     */
    public void backward(Tensor seed) {
        if (!requiresGrad) {
            throw new IllegalStateException("backward: this value (" + op + ") does not require gradients; "
                    + "was it computed inside NoGrad or from constants only?");
        }
        if (!seed.sameShape(value)) {
            throw new IllegalArgumentException("backward: seed gradient " + Shapes.str(seed.shape())
                    + " does not match value " + Shapes.str(value.shape()));
        }
        List<Var> order = topologicalOrder();
        // before any rule runs, so a refused pass leaves every gradient as it was
        for (Var v : order) {
            if (v.rule != null) {
                v.checkUnmodified();
            }
        }
        List<Var> leaves = new ArrayList<>();
        for (Var v : order) {
            if (v.rule == null) {
                leaves.add(v);
            }
        }
        accumulateGrad(seed);
        Recycler recycler = BufferArena.isOpen() ? new Recycler(order, this, seed) : null;
        // reverse topological order: every node's gradient is complete before its rule runs
        for (int i = order.size() - 1; i >= 0; i--) {
            Var v = order.get(i);
            // dropped from the list as soon as it is done: with its consumers freed before it, nothing holds the node
            // (and its value) any longer unless the caller does, so activations become garbage while the pass runs
            order.set(i, null);
            if (v.rule == null) {
                continue;
            }
            Tensor g = v.grad;
            // not shared: the gradient was made for this node alone, and once the node is freed only the rule holds it
            boolean owned = inPlaceGradients && !v.gradShared;
            Backward r = v.rule;
            Var[] in = v.inputs;
            v.free();
            if (g != null) {
                if (r instanceof InPlaceBackward inPlace) {
                    inPlace.apply(g, owned);
                } else {
                    r.apply(g);
                }
            }
            if (recycler != null) {
                recycler.consumed(v, g, owned, in);
            }
        }
        // Every recorded node is freed now, so a leaf's gradient can only alias the seed or another leaf's gradient
        // (add hands one tensor to both inputs). Copy exactly those; every other leaf owns its gradient from here on.
        IdentityHashMap<float[], Integer> users = new IdentityHashMap<>();
        users.put(seed.data(), 1);
        for (Var v : leaves) {
            if (v.gradShared && v.grad != null) {
                users.merge(v.grad.data(), 1, Integer::sum);
            }
        }
        for (Var v : leaves) {
            if (v.gradShared && v.grad != null) {
                if (users.get(v.grad.data()) > 1) {
                    v.grad = v.grad.copy();
                }
                v.gradShared = false;
            }
        }
    }

    /**
     * Inside an open {@link BufferArena}: gives the arena back, during the pass, the arrays that no rule still to run
     * can read. A node's value goes back after the last node on its array has run its rule (a reshape's value shares
     * the array of its input), unless a leaf, the root or the seed uses that array: those belong to the caller. A
     * gradient goes back after the rule that consumed it, when it was made for that node alone and the rule did not
     * hand it on (its array is no input's gradient now). Everything else goes back when the arena closes.
     */
    private static final class Recycler {
        /** Lent arrays of recorded values: how many nodes still to run use each. */
        private final Map<float[], int[]> users = new IdentityHashMap<>();
        /** Arrays the caller may still hold: the root's value, the seed, the values of leaves. */
        private final Map<float[], Boolean> callers = new IdentityHashMap<>();

        Recycler(List<Var> order, Var root, Tensor seed) {
            callers.put(root.value.data(), Boolean.TRUE);
            callers.put(seed.data(), Boolean.TRUE);
            for (Var v : order) {
                if (v.rule == null) {
                    callers.put(v.value.data(), Boolean.TRUE);
                    continue;
                }
                for (Var u : v.inputs) {
                    if (u.rule == null) {
                        callers.put(u.value.data(), Boolean.TRUE);
                    }
                }
                if (BufferArena.isLent(v.value)) {
                    users.computeIfAbsent(v.value.data(), k -> new int[1])[0]++;
                }
            }
        }

        /** Node {@code v} has run its rule on gradient {@code g} ({@code owned} as in backward), inputs {@code in}. */
        void consumed(Var v, Tensor g, boolean owned, Var[] in) {
            if (g != null && owned && BufferArena.isLent(g) && !callers.containsKey(g.data())
                    && !users.containsKey(g.data()) && !handedOn(g, in)) {
                BufferArena.recycle(g);
            }
            if (BufferArena.isLent(v.value)) {
                float[] a = v.value.data();
                int[] n = users.get(a);
                if (n != null && --n[0] == 0) {
                    users.remove(a);
                    if (!callers.containsKey(a)) {
                        BufferArena.recycle(v.value);
                    }
                }
            }
        }

        private static boolean handedOn(Tensor g, Var[] in) {
            float[] a = g.data();
            for (Var u : in) {
                if (u.grad != null && u.grad.data() == a) {
                    return true;
                }
            }
            return false;
        }
    }

    /** Throws when a tensor the rule may read was written in place after this node was recorded. */
    private void checkUnmodified() {
        for (int i = 0; i < versions.length; i++) {
            Tensor t = i == 0 ? value : inputs[i - 1].value;
            if (t.version() != versions[i]) {
                throw new IllegalStateException("backward of " + op + ": " + (i == 0 ? "its output" : "an input")
                        + " of shape " + Shapes.str(t.shape()) + " was modified in place after the forward pass"
                        + " (version " + versions[i] + " -> " + t.version() + ")");
            }
        }
    }

    /** Drops the rule, the inputs and the intermediate gradient: the forward's buffers become garbage. */
    private void free() {
        rule = null;
        inputs = null;
        versions = null;
        grad = null;
        gradShared = false;
        freed = true;
        LIVE_NODES.decrementAndGet();
    }

    /** Nodes reachable from this one through inputs that require gradients, inputs before outputs (iterative DFS). */
    private List<Var> topologicalOrder() {
        long epoch = EPOCH.incrementAndGet();
        List<Var> order = new ArrayList<>();
        ArrayDeque<Var> stack = new ArrayDeque<>();
        ArrayDeque<Integer> next = new ArrayDeque<>();
        visitEpoch = epoch;
        stack.push(this);
        next.push(0);
        while (!stack.isEmpty()) {
            Var v = stack.peek();
            int i = next.pop();
            if (v.freed) {
                throw new IllegalStateException("backward: the graph through '" + v.op + "' " + Shapes.str(v.shape())
                        + " was already freed by an earlier backward(); run the forward pass again");
            }
            Var[] in = v.inputs;
            if (in != null && i < in.length) {
                next.push(i + 1);
                Var u = in[i];
                if (u.requiresGrad && u.visitEpoch != epoch) {
                    u.visitEpoch = epoch;
                    stack.push(u);
                    next.push(0);
                }
            } else {
                stack.pop();
                order.add(v);
            }
        }
        return order;
    }

    /**
     * Adds {@code g} to this value's gradient (no-op when it does not require gradients). {@code g} is kept by
     * reference when it is the first contribution and copied on the next, so backward rules may pass one tensor to
     * several inputs.
     */
    public void accumulateGrad(Tensor g) {
        accumulateGrad(g, false);
    }

    /**
     * {@link #accumulateGrad(Tensor)} for a rule that made {@code g} for this input alone ({@code owned}: no other
     * reference to it survives the call). Such a tensor becomes the gradient without a copy, absorbs an earlier
     * shared contribution in place instead of a fresh sum (g + grad: the same bits as grad + g), and may later be
     * overwritten by this node's own {@link InPlaceBackward} rule.
     */
    void accumulateGrad(Tensor g, boolean owned) {
        if (!requiresGrad) {
            return;
        }
        if (!g.sameShape(value)) {
            throw new IllegalStateException("backward of " + op + ": gradient " + Shapes.str(g.shape())
                    + " does not match value " + Shapes.str(value.shape()));
        }
        owned &= inPlaceGradients;
        if (grad == null) {
            grad = g;
            gradShared = !owned;
        } else if (gradShared) {
            grad = owned ? g.addInPlace(grad) : grad.add(g);
            gradShared = false;
        } else {
            grad.addInPlace(g);
        }
    }

    /** True when this value needs a gradient (shorthand for rules). */
    boolean needsGrad() {
        return requiresGrad;
    }

    // ---------------------------------------------------------------- ops as methods (see the op classes)

    /** this + b with NumPy broadcasting; the gradient of a broadcast operand is summed back to its shape. */
    public Var add(Var b) {
        return Arithmetic.add(this, b);
    }

    /** this - b with broadcasting. */
    public Var sub(Var b) {
        return Arithmetic.sub(this, b);
    }

    /** this * b with broadcasting. */
    public Var mul(Var b) {
        return Arithmetic.mul(this, b);
    }

    /** this / b with broadcasting. */
    public Var div(Var b) {
        return Arithmetic.div(this, b);
    }

    /** this + s. */
    public Var add(float s) {
        return Arithmetic.add(this, s);
    }

    /** this - s. */
    public Var sub(float s) {
        return Arithmetic.add(this, -s);
    }

    /** this * s. */
    public Var mul(float s) {
        return Arithmetic.mul(this, s);
    }

    /** this / s. */
    public Var div(float s) {
        return Arithmetic.div(this, s);
    }

    /** -this. */
    public Var neg() {
        return Arithmetic.neg(this);
    }

    /** Elementwise maximum with broadcasting; on ties the gradient is split evenly. */
    public Var maximum(Var b) {
        return Arithmetic.maximum(this, b);
    }

    /** Elementwise minimum with broadcasting; on ties the gradient is split evenly. */
    public Var minimum(Var b) {
        return Arithmetic.minimum(this, b);
    }

    /** e^x. */
    public Var exp() {
        return Pointwise.exp(this);
    }

    /** Natural logarithm. */
    public Var log() {
        return Pointwise.log(this);
    }

    /** Square root. */
    public Var sqrt() {
        return Pointwise.sqrt(this);
    }

    /** 1 / sqrt(x). */
    public Var rsqrt() {
        return Pointwise.rsqrt(this);
    }

    /** x * x. */
    public Var square() {
        return Pointwise.square(this);
    }

    /** x^p; the gradient follows PyTorch at x = 0 (0 for p = 0, and p x^(p-1) as Math.pow gives it otherwise). */
    public Var pow(float p) {
        return Pointwise.pow(this, p);
    }

    /** Hyperbolic tangent. */
    public Var tanh() {
        return Pointwise.tanh(this);
    }

    /** 1 / (1 + e^-x). */
    public Var sigmoid() {
        return Pointwise.sigmoid(this);
    }

    /** x sigmoid(x) (SiLU), with a fused backward kernel. */
    public Var silu() {
        return Pointwise.silu(this);
    }

    /** |x|; the gradient at 0 is 0, as in PyTorch. */
    public Var abs() {
        return Pointwise.abs(this);
    }

    /** min(max(x, lo), hi); the gradient passes where lo &lt;= x &lt;= hi. */
    public Var clamp(float lo, float hi) {
        return Pointwise.clamp(this, lo, hi);
    }

    /** Sine (evaluated in double). */
    public Var sin() {
        return Pointwise.sin(this);
    }

    /** Cosine (evaluated in double). */
    public Var cos() {
        return Pointwise.cos(this);
    }

    /** Sum of all elements (rank 0). */
    public Var sum() {
        return Reductions.sum(this);
    }

    /** Sum over {@code axes} (all when none); keepDims leaves them as length 1. */
    public Var sum(boolean keepDims, int... axes) {
        return Reductions.sum(this, keepDims, axes);
    }

    /** Mean of all elements (rank 0). */
    public Var mean() {
        return Reductions.mean(this);
    }

    /** Mean over {@code axes} (all when none); keepDims leaves them as length 1. */
    public Var mean(boolean keepDims, int... axes) {
        return Reductions.mean(this, keepDims, axes);
    }

    /** Same elements, another shape (one dimension may be -1). */
    public Var reshape(int... shape) {
        return ShapeOps.reshape(this, shape);
    }

    /** The elements as a vector. */
    public Var flatten() {
        return ShapeOps.reshape(this, value.size());
    }

    /** Removes {@code axis}, which must have length 1. */
    public Var squeeze(int axis) {
        return ShapeOps.squeeze(this, axis);
    }

    /** Inserts an axis of length 1 at {@code axis}. */
    public Var unsqueeze(int axis) {
        return ShapeOps.unsqueeze(this, axis);
    }

    /** Reorders the axes: axis d of the result is axis {@code axes[d]} of this. */
    public Var permute(int... axes) {
        return ShapeOps.permute(this, axes);
    }

    /** Swaps two axes. */
    public Var transpose(int a, int b) {
        return ShapeOps.transpose(this, a, b);
    }

    /** Indices [start, end) of {@code axis}. */
    public Var slice(int axis, int start, int end) {
        return ShapeOps.slice(this, axis, start, end);
    }

    /** Repeats this value along broadcast dimensions to {@code shape}. */
    public Var broadcastTo(int... shape) {
        return ShapeOps.broadcastTo(this, shape);
    }

    /** Matrix product over the last two axes, leading (batch) axes broadcast as in NumPy. */
    public Var matmul(Var b) {
        return LinearOps.matmul(this, b, false, false);
    }
}
