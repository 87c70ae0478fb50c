package dev.cm4j.models;

import dev.cm4j.tensor.HalfFormat;

import dev.cm4j.tensor.Tensor;

/**
 * A scope in which modules are built with placeholder parameters: every weight that {@link Init} would draw is
 * instead a zero-filled view of one shared array, so a model's names, shapes and parameter count can be read from the
 * very constructors that build it for training, without allocating (and drawing) its weights. The ImageNet-64 and
 * LSUN-256 U-Nets would otherwise need 1.2 GB and 2.1 GB of floats just to be counted.
 *
 * <pre>
 * try (ShapeOnly ignored = ShapeOnly.enter()) {
 *     long n = new UNet(UNet.Config.lsun256(), new Rng(0)).parameterCount();
 * }
 * </pre>
 *
 * <p>A module built in this scope is for inspection only: its parameters alias one another, so it must not be
 * trained, loaded into or run. Small fixed tensors (GroupNorm's ones and zeros) are still allocated for real. The
 * scope is per thread and nests like {@code NoGrad}.
 *
 * <p>A {@link #blank()} scope is the variant for {@link Module#copy()}: every such weight is a fresh zero tensor of its
 * own, so the module is real and can be loaded into, but nothing is drawn. A {@link #blank(HalfFormat)} scope
 * builds such a module with its {@link Module#toHalf 16-bit} weights already in 16 bits: each is registered as zeros
 * in that format, so the float32 weights of the whole network never exist at once (a released checkpoint is then
 * read straight into the 16-bit storage).
 */
public final class ShapeOnly implements AutoCloseable {
    private static final ThreadLocal<ShapeOnly> ACTIVE = new ThreadLocal<>();

    private final ShapeOnly outer;
    /** True for a {@link #blank()} scope: fresh zeros per placeholder instead of one shared array. */
    private final boolean allocate;
    /** The storage of 16-bit-capable parameters in a {@link #blank(HalfFormat)} scope; null otherwise. */
    private final HalfFormat half;
    /** Grows to the largest placeholder requested; earlier placeholders keep their (smaller) arrays. */
    private float[] zeros = new float[0];

    private ShapeOnly(ShapeOnly outer, boolean allocate, HalfFormat half) {
        this.outer = outer;
        this.allocate = allocate;
        this.half = half;
    }

    /** Opens a scope on this thread; close it (try-with-resources) to build real modules again. */
    public static ShapeOnly enter() {
        ShapeOnly s = new ShapeOnly(ACTIVE.get(), false, null);
        ACTIVE.set(s);
        return s;
    }

    /**
     * Opens a scope in which every weight {@link Init} would draw is a fresh zero tensor: the modules built are real
     * (unaliased, loadable) but cost no draws. {@link Module#copy()} builds its blank instance in one.
     */
    public static ShapeOnly blank() {
        ShapeOnly s = new ShapeOnly(ACTIVE.get(), true, null);
        ACTIVE.set(s);
        return s;
    }

    /**
     * A {@link #blank()} scope in which every parameter that {@link Module#toHalf} would store in 16 bits is
     * registered already stored in {@code format} (as zeros), without its float32 array being kept.
     */
    public static ShapeOnly blank(HalfFormat format) {
        if (format == null) {
            throw new IllegalArgumentException("ShapeOnly.blank: format is null; blank() builds float32 weights");
        }
        ShapeOnly s = new ShapeOnly(ACTIVE.get(), true, format);
        ACTIVE.set(s);
        return s;
    }

    /** The 16-bit storage of the innermost open scope on this thread, or null (none open, or not a 16-bit one). */
    static HalfFormat halfStorage() {
        ShapeOnly s = ACTIVE.get();
        return s == null ? null : s.half;
    }

    /** True while a scope is open on this thread. */
    public static boolean active() {
        return ACTIVE.get() != null;
    }

    /**
     * A zero-filled tensor of {@code shape}: a view of the open scope's shared array, or a fresh tensor in a
     * {@link #blank()} scope. Call only while {@link #active()}.
     */
    static Tensor placeholder(int... shape) {
        ShapeOnly s = ACTIVE.get();
        if (s == null) {
            throw new IllegalStateException("ShapeOnly.placeholder: no scope is open");
        }
        if (s.allocate) {
            return Tensor.zeros(shape);
        }
        long size = 1;
        for (int d : shape) {
            size *= d;
        }
        if (size > s.zeros.length) {
            s.zeros = new float[Math.toIntExact(size)];
        }
        return Tensor.wrap(s.zeros, 0, shape);
    }

    @Override
    public void close() {
        if (ACTIVE.get() != this) {
            throw new IllegalStateException("ShapeOnly.close: scopes must be closed innermost first");
        }
        if (outer == null) {
            ACTIVE.remove();
        } else {
            ACTIVE.set(outer);
        }
    }
}
