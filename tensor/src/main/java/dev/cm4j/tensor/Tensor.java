package dev.cm4j.tensor;

import dev.cm4j.tensor.kernels.Elementwise;
import dev.cm4j.tensor.kernels.Elementwise.Binary;
import dev.cm4j.tensor.kernels.Elementwise.Unary;
import dev.cm4j.tensor.kernels.Reduce;
import java.util.Arrays;

/**
 * A dense, row-major, contiguous float32 tensor over a heap {@code float[]}.
 *
 * <p>A tensor is a view: {@code (data, offset, shape)}. Reshapes and leading-axis slices share the array; operations
 * that change the element order (permute, transpose, other slices) copy. Images are NCHW.
 *
 * <p>Operations never modify their inputs unless their name ends in {@code InPlace}. Every operation checks its
 * inputs and throws {@link IllegalArgumentException} naming itself and the shapes involved.
 *
 * <p>Every in-place write advances a {@link #version()} counter shared by a tensor and its views, so that a value
 * saved for a backward pass can be checked for changes made after it was saved.
 *
 * <p>Inside an open {@link BufferArena} the results of operations ({@link #output}) take their arrays from the arena's
 * {@link BufferPool}; when the arena closes (or a backward pass recycles them) those arrays go back to the pool and
 * every tensor over them, views included, refuses further use with an {@link IllegalStateException}. Tensors made
 * explicitly ({@link #zeros}, {@link #full}, {@link #of}, {@link #copy}, {@link #wrap}) are always the caller's own.
 */
public final class Tensor {
    private final float[] data;
    private final int offset;
    private final int[] shape;
    private final int size;
    private final Storage storage;

    /**
     * What the views of one array share (a mutable box: views are separate objects): the write counter, and for an
     * array lent by a {@link BufferArena} the arena and whether the array has gone back to its pool.
     */
    static final class Storage {
        private int count;
        /** The arena that lent the array and will take it back; null for an array of the caller's own. */
        BufferArena arena;
        /** The lent array (to give back); null when not lent. */
        float[] array;
        /** True once the array went back to the pool: every access then throws. */
        boolean released;
    }

    private Tensor(float[] data, int offset, int[] shape) {
        this(data, offset, shape, new Storage());
    }

    private Tensor(float[] data, int offset, int[] shape, Storage storage) {
        this.data = data;
        this.offset = offset;
        this.shape = shape;
        this.size = Shapes.size("Tensor", shape);
        this.storage = storage;
        if (offset < 0 || (long) offset + size > data.length) {
            throw new IllegalArgumentException("Tensor: view [" + offset + ", " + ((long) offset + size)
                    + ") of shape " + Shapes.str(shape) + " outside an array of length " + data.length);
        }
    }

    /** A view of this tensor's storage at another offset and shape; it shares the version counter. */
    Tensor view(int newOffset, int... newShape) {
        return new Tensor(data, newOffset, newShape.clone(), storage);
    }

    // ---------------------------------------------------------------- creation

    /**
     * Wraps {@code data} without copying; the tensor covers {@code data[offset, offset + size)}. It gets a version
     * counter of its own: writes through another tensor wrapping the same array are not counted here.
     */
    public static Tensor wrap(float[] data, int offset, int... shape) {
        Shapes.size("Tensor.wrap", shape);
        return new Tensor(data, offset, shape.clone());
    }

    /** Wraps {@code data} without copying; its length must equal the shape's size. */
    public static Tensor wrap(float[] data, int... shape) {
        if (Shapes.size("Tensor.wrap", shape) != data.length) {
            throw new IllegalArgumentException("Tensor.wrap: array of length " + data.length + " does not match shape "
                    + Shapes.str(shape));
        }
        return new Tensor(data, 0, shape.clone());
    }

    /** Copies {@code data} into a new tensor of the given shape. */
    public static Tensor of(float[] data, int... shape) {
        return wrap(data.clone(), shape);
    }

    /** A rank-0 tensor (shape {@code ()}) holding {@code value}. */
    public static Tensor scalar(float value) {
        return new Tensor(new float[] {value}, 0, new int[0]);
    }

    /** A new tensor of the given shape filled with 0; no shape means rank 0. */
    public static Tensor zeros(int... shape) {
        return new Tensor(new float[Shapes.size("Tensor.zeros", shape)], 0, shape.clone());
    }

    /**
     * A new zero-filled tensor for the result of an operation. Inside an open {@link BufferArena} (on this thread) its
     * array is lent by the arena's pool and given back when the arena closes, or earlier when a backward pass has
     * consumed it; outside one it is a fresh array, as {@link #zeros}. Tensor ops, autodiff rules and layers allocate
     * their results here; what a caller keeps across steps (parameters, optimizer state, averages) is made with
     * {@link #zeros} or {@link #copy}.
     */
    public static Tensor output(int... shape) {
        return output("Tensor.output", true, shape);
    }

    /**
     * {@link #output} for an operation that writes every element of its result before anything reads it: a reused
     * array is lent as it was, not zero-filled first (NaN-filled under {@code -Dcm4j.tensor.poison=true}, so that
     * tests catch an element left unwritten); a new one is zero as always.
     */
    static Tensor outputOverwritten(int... shape) {
        return output("Tensor.outputOverwritten", false, shape);
    }

    private static Tensor output(String op, boolean zero, int[] shape) {
        int n = Shapes.size(op, shape);
        BufferArena arena = BufferArena.current();
        if (arena == null) {
            return new Tensor(new float[n], 0, shape.clone());
        }
        Storage s = new Storage();
        return new Tensor(arena.lend(n, s, zero), 0, shape.clone(), s);
    }

    /** The storage shared by this tensor's views (for {@link BufferArena}). */
    Storage storage() {
        return storage;
    }

    /** Throws when this tensor's array has gone back to a {@link BufferPool}: it may hold another tensor now. */
    private void checkLive(String op) {
        if (storage.released) {
            throw new IllegalStateException("Tensor." + op + ": this tensor of shape " + Shapes.str(shape)
                    + " was lent by a BufferArena that has taken its array back (the arena closed, or a backward pass"
                    + " consumed it); the array may hold another tensor now. Keep a tensor beyond its arena with"
                    + " BufferArena.keep(t) (or copy it) while the arena is open");
        }
    }

    /** A new tensor of the given shape filled with 1. */
    public static Tensor ones(int... shape) {
        return full(1f, shape);
    }

    /** A new tensor of the given shape with every element {@code value}. */
    public static Tensor full(float value, int... shape) {
        Tensor t = new Tensor(new float[Shapes.size("Tensor.full", shape)], 0, shape.clone());
        Arrays.fill(t.data, value);
        return t;
    }

    /** 0, 1, ..., n-1 as a vector. */
    public static Tensor arange(int n) {
        return arange(0f, n, 1f);
    }

    /** start, start+step, ... while below end (above for negative steps), as a vector. */
    public static Tensor arange(float start, float end, float step) {
        if (step == 0 || !Float.isFinite(step) || !Float.isFinite(start) || !Float.isFinite(end)) {
            throw new IllegalArgumentException("Tensor.arange: start " + start + ", end " + end + ", step " + step
                    + " must be finite with a non-zero step");
        }
        int n = (int) Math.max(0, Math.ceil((end - (double) start) / step));
        float[] d = new float[n];
        for (int i = 0; i < n; i++) {
            d[i] = (float) (start + (double) i * step);
        }
        return new Tensor(d, 0, new int[] {n});
    }

    /** Standard normal numbers from a seeded generator; see {@link Rng}. */
    public static Tensor randn(Rng rng, int... shape) {
        return rng.normal(shape);
    }

    /** Uniform numbers in [lo, hi) from a seeded generator. */
    public static Tensor rand(Rng rng, float lo, float hi, int... shape) {
        return rng.uniform(lo, hi, shape);
    }

    // ---------------------------------------------------------------- structure

    /** The backing array (shared, not copied); the tensor occupies {@code [offset(), offset() + size())}. */
    public float[] data() {
        checkLive("data");
        return data;
    }

    public int offset() {
        return offset;
    }

    /** A copy of the shape. */
    public int[] shape() {
        return shape.clone();
    }

    /** Size of dimension {@code axis}; negative axes count from the end. */
    public int dim(int axis) {
        return shape[Shapes.axis("Tensor.dim", axis, shape)];
    }

    /** Number of dimensions (0 for a scalar). */
    public int rank() {
        return shape.length;
    }

    /** Number of elements (the product of the dimensions). */
    public int size() {
        return size;
    }

    /** True when both tensors have the same dimensions. */
    public boolean sameShape(Tensor other) {
        return Arrays.equals(shape, other.shape);
    }

    /** The value of a one-element tensor. */
    public float item() {
        if (size != 1) {
            throw new IllegalArgumentException("Tensor.item: tensor of shape " + Shapes.str(shape)
                    + " has " + size + " elements, expected 1");
        }
        checkLive("item");
        return data[offset];
    }

    /** The element at {@code index} (one index per dimension, each within bounds). */
    public float get(int... index) {
        checkLive("get");
        return data[offset + Shapes.flatIndex("Tensor.get", shape, index)];
    }

    /** Writes {@code value} at {@code index} (one index per dimension); counts as an in-place write. */
    public void set(float value, int... index) {
        checkLive("set");
        data[offset + Shapes.flatIndex("Tensor.set", shape, index)] = value;
        storage.count++;
    }

    /**
     * How many in-place writes this tensor's storage has seen: every {@code ...InPlace} method, {@link #copyFrom},
     * {@link #fill} and {@link #set} add one, and so does {@link #markModified()}, which code that writes through
     * {@link #data()} calls. Views made by reshape, flatten, squeeze, unsqueeze and contiguous slices share the counter
     * with the tensor they view. Autodiff records it for the values a backward pass reads and refuses to run the
     * backward pass once it has changed.
     */
    public int version() {
        return storage.count;
    }

    /** Records a write made through {@link #data()} (optimizers, loaders); returns this. */
    public Tensor markModified() {
        storage.count++;
        return this;
    }

    /** A fresh array holding the elements in row-major order. */
    public float[] toArray() {
        checkLive("toArray");
        return Arrays.copyOfRange(data, offset, offset + size);
    }

    /** A deep copy with its own array. */
    public Tensor copy() {
        return new Tensor(toArray(), 0, shape.clone());
    }

    /** Copies the elements of {@code src} (same size) into this tensor; an in-place write. */
    public Tensor copyFrom(Tensor src) {
        if (src.size != size) {
            throw new IllegalArgumentException("Tensor.copyFrom: source shape " + Shapes.str(src.shape)
                    + " does not match " + Shapes.str(shape));
        }
        System.arraycopy(src.data(), src.offset, data(), offset, size);
        storage.count++;
        return this;
    }

    /** Same elements, another shape; one dimension may be -1. Shares the array (and the version counter). */
    public Tensor reshape(int... newShape) {
        return new Tensor(data, offset, ShapeOps.reshapeTarget(shape, newShape), storage);
    }

    // ---------------------------------------------------------------- shape

    /** The elements as a vector (a view). */
    public Tensor flatten() {
        return new Tensor(data, offset, new int[] {size}, storage);
    }

    /** Removes {@code axis}, which must have size 1 (a view). */
    public Tensor squeeze(int axis) {
        int ax = Shapes.axis("squeeze", axis, shape);
        if (shape[ax] != 1) {
            throw new IllegalArgumentException("squeeze: axis " + axis + " of shape " + Shapes.str(shape)
                    + " has size " + shape[ax] + ", not 1");
        }
        int[] s = new int[shape.length - 1];
        System.arraycopy(shape, 0, s, 0, ax);
        System.arraycopy(shape, ax + 1, s, ax, shape.length - ax - 1);
        return new Tensor(data, offset, s, storage);
    }

    /** Inserts an axis of size 1 so that it becomes axis {@code axis} of the result (a view). */
    public Tensor unsqueeze(int axis) {
        int ax = Shapes.axis("unsqueeze", axis, shape.length + 1);
        int[] s = new int[shape.length + 1];
        System.arraycopy(shape, 0, s, 0, ax);
        s[ax] = 1;
        System.arraycopy(shape, ax, s, ax + 1, shape.length - ax);
        return new Tensor(data, offset, s, storage);
    }

    /** Reorders the axes: axis d of the result is axis {@code axes[d]} of this (a copy). */
    public Tensor permute(int... axes) {
        return ShapeOps.permute(this, axes);
    }

    /** Swaps two axes (a copy). */
    public Tensor transpose(int a, int b) {
        int[] p = new int[shape.length];
        for (int d = 0; d < p.length; d++) {
            p[d] = d;
        }
        int x = Shapes.axis("transpose", a, shape), y = Shapes.axis("transpose", b, shape);
        p[x] = y;
        p[y] = x;
        return ShapeOps.permute(this, p);
    }

    /** Indices [start, end) of {@code axis}: a view when contiguous (all leading axes of size 1), else a copy. */
    public Tensor slice(int axis, int start, int end) {
        return ShapeOps.slice(this, axis, start, end);
    }

    /** Joins tensors along an existing axis; the other dimensions must agree. */
    public static Tensor concat(int axis, Tensor... ts) {
        return ShapeOps.concat(axis, ts);
    }

    /** Joins equal-shaped tensors along a new axis. */
    public static Tensor stack(int axis, Tensor... ts) {
        return ShapeOps.stack(axis, ts);
    }

    /** Adds {@code before[d]} and {@code after[d]} cells of {@code value} on each side of axis d. */
    public Tensor pad(int[] before, int[] after, float value) {
        return ShapeOps.pad(this, before, after, value);
    }

    /** Repeats this tensor along broadcast dimensions to {@code shape} (NumPy rules; a copy). */
    public Tensor broadcastTo(int... shape) {
        return ShapeOps.broadcastTo(this, shape);
    }

    /**
     * The adjoint of {@link #broadcastTo}: sums over the dimensions that broadcasting {@code shape} to this shape
     * repeats. The gradient of a broadcast input is {@code grad.sumTo(input.shape())}.
     */
    public Tensor sumTo(int... shape) {
        return ShapeOps.sumTo(this, shape);
    }

    // ---------------------------------------------------------------- binary, NumPy broadcasting

    /** this + other with NumPy broadcasting (as every binary op taking a Tensor). */
    public Tensor add(Tensor other) {
        return ElementwiseOps.binary("add", Binary.ADD, this, other);
    }

    /** this - other, broadcasting. */
    public Tensor sub(Tensor other) {
        return ElementwiseOps.binary("sub", Binary.SUB, this, other);
    }

    /** this * other, broadcasting. */
    public Tensor mul(Tensor other) {
        return ElementwiseOps.binary("mul", Binary.MUL, this, other);
    }

    /** this / other, broadcasting. */
    public Tensor div(Tensor other) {
        return ElementwiseOps.binary("div", Binary.DIV, this, other);
    }

    /** Elementwise maximum (NaN propagates). */
    public Tensor maximum(Tensor other) {
        return ElementwiseOps.binary("maximum", Binary.MAX, this, other);
    }

    /** Elementwise minimum (NaN propagates). */
    public Tensor minimum(Tensor other) {
        return ElementwiseOps.binary("minimum", Binary.MIN, this, other);
    }

    /** 1 where this > other, else 0. */
    public Tensor greater(Tensor other) {
        return ElementwiseOps.binary("greater", Binary.GREATER, this, other);
    }

    /** 1 where this &lt; other, else 0. */
    public Tensor less(Tensor other) {
        return ElementwiseOps.binary("less", Binary.LESS, this, other);
    }

    /** this + s. */
    public Tensor add(float s) {
        return ElementwiseOps.binaryScalar(Binary.ADD, this, s);
    }

    /** this - s. */
    public Tensor sub(float s) {
        return ElementwiseOps.binaryScalar(Binary.SUB, this, s);
    }

    /** this * s. */
    public Tensor mul(float s) {
        return ElementwiseOps.binaryScalar(Binary.MUL, this, s);
    }

    /** this / s (a true division, not a multiplication by 1/s). */
    public Tensor div(float s) {
        return ElementwiseOps.binaryScalar(Binary.DIV, this, s);
    }

    /** 1 where this > s, else 0. */
    public Tensor greater(float s) {
        return ElementwiseOps.binaryScalar(Binary.GREATER, this, s);
    }

    /** 1 where this &lt; s, else 0. */
    public Tensor less(float s) {
        return ElementwiseOps.binaryScalar(Binary.LESS, this, s);
    }

    /** {@code a} where {@code cond != 0}, else {@code b}; the three shapes broadcast together. */
    public static Tensor where(Tensor cond, Tensor a, Tensor b) {
        return ElementwiseOps.where(cond, a, b);
    }

    // ---------------------------------------------------------------- unary

    /** -x. */
    public Tensor neg() {
        return ElementwiseOps.unary(Unary.NEG, 0, 0, this);
    }

    /** |x|. */
    public Tensor abs() {
        return ElementwiseOps.unary(Unary.ABS, 0, 0, this);
    }

    /** -1, 0 or 1 (as Math.signum; NaN stays NaN). */
    public Tensor sign() {
        return ElementwiseOps.unary(Unary.SIGN, 0, 0, this);
    }

    /** e^x. */
    public Tensor exp() {
        return ElementwiseOps.unary(Unary.EXP, 0, 0, this);
    }

    /** Natural logarithm. */
    public Tensor log() {
        return ElementwiseOps.unary(Unary.LOG, 0, 0, this);
    }

    /** Square root (NaN below 0). */
    public Tensor sqrt() {
        return ElementwiseOps.unary(Unary.SQRT, 0, 0, this);
    }

    /** 1 / sqrt(x). */
    public Tensor rsqrt() {
        return ElementwiseOps.unary(Unary.RSQRT, 0, 0, this);
    }

    /** x * x. */
    public Tensor square() {
        return ElementwiseOps.unary(Unary.SQUARE, 0, 0, this);
    }

    /** Hyperbolic tangent. */
    public Tensor tanh() {
        return ElementwiseOps.unary(Unary.TANH, 0, 0, this);
    }

    /** Sine (radians). */
    public Tensor sin() {
        return ElementwiseOps.unary(Unary.SIN, 0, 0, this);
    }

    /** Cosine (radians). */
    public Tensor cos() {
        return ElementwiseOps.unary(Unary.COS, 0, 0, this);
    }

    /** 1 / (1 + e^-x). */
    public Tensor sigmoid() {
        return ElementwiseOps.unary(Unary.SIGMOID, 0, 0, this);
    }

    /** x * sigmoid(x) (SiLU, also called swish). */
    public Tensor silu() {
        return ElementwiseOps.unary(Unary.SILU, 0, 0, this);
    }

    /** x^p (as Math.pow). */
    public Tensor pow(float p) {
        return ElementwiseOps.unary(Unary.POW, p, 0, this);
    }

    /** min(max(x, lo), hi). */
    public Tensor clamp(float lo, float hi) {
        ElementwiseOps.checkRange("clamp", lo, hi);
        return ElementwiseOps.unary(Unary.CLAMP, lo, hi, this);
    }

    // ---------------------------------------------------------------- reductions (no axes = all axes)

    /** Sum of all elements as a rank-0 tensor; blocked so the bits do not depend on the thread count. */
    public Tensor sum() {
        return sum(false);
    }

    /** Sum over {@code axes} (all when none; negative ones count from the end); keepDims leaves them as 1. */
    public Tensor sum(boolean keepDims, int... axes) {
        return Reductions.reduce("sum", Reduce.Op.SUM, this, Reductions.mask("sum", shape, axes), keepDims);
    }

    /** Mean of all elements as a rank-0 tensor. */
    public Tensor mean() {
        return mean(false);
    }

    /** Mean over {@code axes} (all when none). */
    public Tensor mean(boolean keepDims, int... axes) {
        return Reductions.mean(this, keepDims, axes);
    }

    /** Maximum over {@code axes} (all when none); NaN propagates. */
    public Tensor max(boolean keepDims, int... axes) {
        return Reductions.reduce("max", Reduce.Op.MAX, this, Reductions.mask("max", shape, axes), keepDims);
    }

    /** Minimum over {@code axes} (all when none); NaN propagates. */
    public Tensor min(boolean keepDims, int... axes) {
        return Reductions.reduce("min", Reduce.Op.MIN, this, Reductions.mask("min", shape, axes), keepDims);
    }

    /** Population variance (divides by n), computed as the mean of squared deviations from the mean. */
    public Tensor variance(boolean keepDims, int... axes) {
        return Reductions.variance(this, keepDims, axes);
    }

    /** Index of the first maximum along {@code axis}, as float values. */
    public Tensor argmax(int axis, boolean keepDims) {
        return Reductions.argmax(this, axis, keepDims);
    }

    /** log(sum(exp(x))) as m + log(sum(exp(x - m))), m the maximum: no overflow, no underflow to log(0). */
    public Tensor logsumexp(boolean keepDims, int... axes) {
        return Reductions.logsumexp(this, keepDims, axes);
    }

    // ---------------------------------------------------------------- in place (optimizers, gradient accumulation)

    /** Sets every element to {@code value}; returns this. */
    public Tensor fill(float value) {
        Arrays.fill(data(), offset, offset + size, value);
        storage.count++;
        return this;
    }

    /** this += other, where other broadcasts to this shape; returns this. */
    public Tensor addInPlace(Tensor other) {
        int[] b = sameShape(other) ? shape : Shapes.broadcast("addInPlace", shape, other.shape);
        if (!Arrays.equals(b, shape)) {
            throw new IllegalArgumentException("addInPlace: shape " + Shapes.str(other.shape)
                    + " does not broadcast to " + Shapes.str(shape));
        }
        ElementwiseOps.binaryInto(Binary.ADD, this, other, this);
        storage.count++;
        return this;
    }

    /**
     * this *= other with broadcasting (other must broadcast to this shape); returns this. The same products as
     * {@link #mul(Tensor)}, written over this.
     */
    public Tensor mulInPlace(Tensor other) {
        int[] b = sameShape(other) ? shape : Shapes.broadcast("mulInPlace", shape, other.shape);
        if (!Arrays.equals(b, shape)) {
            throw new IllegalArgumentException("mulInPlace: shape " + Shapes.str(other.shape)
                    + " does not broadcast to " + Shapes.str(shape));
        }
        ElementwiseOps.binaryInto(Binary.MUL, this, other, this);
        storage.count++;
        return this;
    }

    /** this *= s; returns this. */
    public Tensor mulInPlace(float s) {
        ElementwiseOps.binaryScalarInto(Binary.MUL, this, s, this);
        storage.count++;
        return this;
    }

    /** this += alpha * x (same shape); returns this. */
    public Tensor axpyInPlace(float alpha, Tensor x) {
        requireSameShape("axpyInPlace", x);
        float[] xd = x.data(), d = data();
        Parallel.forRange(size, ElementwiseOps.GRAIN, ElementwiseOps.ALIGN, (s, e) ->
                Elementwise.axpy(alpha, xd, x.offset + s, d, offset + s, e - s));
        storage.count++;
        return this;
    }

    /** this = min(max(this, lo), hi); returns this. */
    public Tensor clampInPlace(float lo, float hi) {
        ElementwiseOps.checkRange("clampInPlace", lo, hi);
        ElementwiseOps.unaryInto(Unary.CLAMP, lo, hi, this, this);
        storage.count++;
        return this;
    }

    // ---------------------------------------------------------------- comparison

    /** True when every |this - other| &lt;= atol + rtol * |other| (same shape; NaN is never close). */
    public boolean allClose(Tensor other, float rtol, float atol) {
        requireSameShape("allClose", other);
        return Reductions.allClose(this, other, rtol, atol);
    }

    /** max |this - other| (same shape); NaN when any difference is NaN. */
    public float maxAbsDiff(Tensor other) {
        requireSameShape("maxAbsDiff", other);
        return Reductions.maxAbsDiff(this, other);
    }

    private void requireSameShape(String op, Tensor other) {
        if (!sameShape(other)) {
            throw new IllegalArgumentException(op + ": shapes " + Shapes.str(shape) + " and "
                    + Shapes.str(other.shape) + " differ");
        }
    }

    @Override
    public String toString() {
        StringBuilder sb = new StringBuilder("Tensor").append(Shapes.str(shape)).append(' ');
        if (storage.released) {
            return sb.append("[given back to its pool]").toString();
        }
        int show = Math.min(size, 8);
        sb.append('[');
        for (int i = 0; i < show; i++) {
            sb.append(i > 0 ? ", " : "").append(data[offset + i]);
        }
        return sb.append(size > show ? ", ...]" : "]").toString();
    }
}
