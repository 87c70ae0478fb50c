package dev.cm4j.tensor;

import java.util.Arrays;

/**
 * A dense, row-major, contiguous float32 tensor over a heap {@code float[]}.
 *
 * <p>A tensor is a view: {@code (data, offset, shape)}. Reshapes and leading-axis slices share the array; operations
 * that change the element order (permute, transpose, other slices) copy. Images are NCHW.
 *
 * <p>Operations never modify their inputs unless their name ends in {@code InPlace}. Every operation checks its
 * inputs and throws {@link IllegalArgumentException} naming itself and the shapes involved.
 */
public final class Tensor {
    private final float[] data;
    private final int offset;
    private final int[] shape;
    private final int size;

    private Tensor(float[] data, int offset, int[] shape) {
        this.data = data;
        this.offset = offset;
        this.shape = shape;
        this.size = Shapes.size(shape);
        if (offset < 0 || (long) offset + size > data.length) {
            throw new IllegalArgumentException("Tensor: view [" + offset + ", " + ((long) offset + size)
                    + ") of shape " + Shapes.str(shape) + " outside an array of length " + data.length);
        }
    }

    // ---------------------------------------------------------------- creation

    /** Wraps {@code data} without copying; the tensor covers {@code data[offset, offset + size)}. */
    public static Tensor wrap(float[] data, int offset, int... shape) {
        return new Tensor(data, offset, shape.clone());
    }

    /** Wraps {@code data} without copying; its length must equal the shape's size. */
    public static Tensor wrap(float[] data, int... shape) {
        if (Shapes.size(shape) != data.length) {
            throw new IllegalArgumentException("Tensor.wrap: array of length " + data.length + " does not match shape "
                    + Shapes.str(shape));
        }
        return new Tensor(data, 0, shape.clone());
    }

    /** Copies {@code data} into a new tensor of the given shape. */
    public static Tensor of(float[] data, int... shape) {
        return wrap(data.clone(), shape);
    }

    public static Tensor scalar(float value) {
        return new Tensor(new float[] {value}, 0, new int[0]);
    }

    public static Tensor zeros(int... shape) {
        return new Tensor(new float[Shapes.size(shape)], 0, shape.clone());
    }

    public static Tensor ones(int... shape) {
        return full(1f, shape);
    }

    public static Tensor full(float value, int... shape) {
        Tensor t = zeros(shape);
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
        return shape[Shapes.axis("Tensor.dim", axis, shape.length)];
    }

    public int rank() {
        return shape.length;
    }

    public int size() {
        return size;
    }

    public boolean sameShape(Tensor other) {
        return Arrays.equals(shape, other.shape);
    }

    /** The value of a one-element tensor. */
    public float item() {
        if (size != 1) {
            throw new IllegalArgumentException("Tensor.item: tensor of shape " + Shapes.str(shape)
                    + " has " + size + " elements, expected 1");
        }
        return data[offset];
    }

    public float get(int... index) {
        return data[offset + flatIndex("Tensor.get", index)];
    }

    public void set(float value, int... index) {
        data[offset + flatIndex("Tensor.set", index)] = value;
    }

    private int flatIndex(String op, int[] index) {
        if (index.length != shape.length) {
            throw new IllegalArgumentException(op + ": index " + Arrays.toString(index) + " has rank " + index.length
                    + ", tensor has shape " + Shapes.str(shape));
        }
        int flat = 0;
        for (int i = 0; i < index.length; i++) {
            if (index[i] < 0 || index[i] >= shape[i]) {
                throw new IllegalArgumentException(op + ": index " + Arrays.toString(index)
                        + " out of bounds for shape " + Shapes.str(shape));
            }
            flat = flat * shape[i] + index[i];
        }
        return flat;
    }

    /** A fresh array holding the elements in row-major order. */
    public float[] toArray() {
        return Arrays.copyOfRange(data, offset, offset + size);
    }

    /** A deep copy with its own array. */
    public Tensor copy() {
        return new Tensor(toArray(), 0, shape.clone());
    }

    /** Copies the elements of {@code src} (same size) into this tensor. */
    public Tensor copyFrom(Tensor src) {
        if (src.size != size) {
            throw new IllegalArgumentException("Tensor.copyFrom: source shape " + Shapes.str(src.shape)
                    + " does not match " + Shapes.str(shape));
        }
        System.arraycopy(src.data, src.offset, data, offset, size);
        return this;
    }

    /** Same elements, another shape; one dimension may be -1. Shares the array. */
    public Tensor reshape(int... newShape) {
        int[] s = newShape.clone();
        int infer = -1;
        long known = 1;
        for (int i = 0; i < s.length; i++) {
            if (s[i] == -1) {
                if (infer >= 0) {
                    throw new IllegalArgumentException("Tensor.reshape: more than one -1 in " + Arrays.toString(newShape));
                }
                infer = i;
            } else if (s[i] < 0) {
                throw new IllegalArgumentException("Tensor.reshape: negative dimension in " + Arrays.toString(newShape));
            } else {
                known *= s[i];
            }
        }
        if (infer >= 0) {
            if (known == 0 || size % known != 0) {
                throw new IllegalArgumentException("Tensor.reshape: cannot reshape " + Shapes.str(shape) + " ("
                        + size + " elements) into " + Arrays.toString(newShape));
            }
            s[infer] = (int) (size / known);
            known *= s[infer];
        }
        if (known != size) {
            throw new IllegalArgumentException("Tensor.reshape: cannot reshape " + Shapes.str(shape) + " (" + size
                    + " elements) into " + Arrays.toString(newShape));
        }
        return new Tensor(data, offset, s);
    }

    @Override
    public String toString() {
        StringBuilder sb = new StringBuilder("Tensor").append(Shapes.str(shape)).append(' ');
        int show = Math.min(size, 8);
        sb.append('[');
        for (int i = 0; i < show; i++) {
            sb.append(i > 0 ? ", " : "").append(data[offset + i]);
        }
        return sb.append(size > show ? ", ...]" : "]").toString();
    }
}
