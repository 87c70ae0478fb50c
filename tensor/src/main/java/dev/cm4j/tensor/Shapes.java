package dev.cm4j.tensor;

import java.util.Arrays;

/** Shape arithmetic and NumPy broadcasting rules. */
public final class Shapes {
    private Shapes() {
    }

    /** Number of elements; throws when a dimension is negative or the size exceeds what one Java array holds. */
    public static int size(int... shape) {
        return size("shape", shape);
    }

    /** {@link #size(int...)} with {@code op} named in the error ("conv2d: negative dimension in shape [..]"). */
    public static int size(String op, int... shape) {
        long n = 1;
        for (int d : shape) {
            if (d < 0) {
                throw new IllegalArgumentException(op + ": negative dimension in shape " + Arrays.toString(shape));
            }
            n *= d;
            if (n > Integer.MAX_VALUE - 8) {
                throw new IllegalArgumentException(op + ": shape " + Arrays.toString(shape)
                        + " has more than 2^31 elements");
            }
        }
        return (int) n;
    }

    /** Row-major flat position of {@code index} in {@code shape}; {@code op} names the caller in errors. */
    public static int flatIndex(String op, int[] shape, int[] index) {
        if (index.length != shape.length) {
            throw new IllegalArgumentException(op + ": index " + Arrays.toString(index) + " has rank " + index.length
                    + ", tensor has shape " + str(shape));
        }
        int flat = 0;
        for (int i = 0; i < index.length; i++) {
            if (index[i] < 0 || index[i] >= shape[i]) {
                throw new IllegalArgumentException(op + ": index " + Arrays.toString(index)
                        + " out of bounds for shape " + str(shape));
            }
            flat = flat * shape[i] + index[i];
        }
        return flat;
    }

    /** Row-major strides of a contiguous tensor. */
    public static int[] strides(int... shape) {
        int[] s = new int[shape.length];
        int acc = 1;
        for (int i = shape.length - 1; i >= 0; i--) {
            s[i] = acc;
            acc *= shape[i];
        }
        return s;
    }

    /** NumPy broadcast of two shapes; {@code op} names the operation in the error. */
    public static int[] broadcast(String op, int[] a, int[] b) {
        int rank = Math.max(a.length, b.length);
        int[] out = new int[rank];
        for (int i = 0; i < rank; i++) {
            int da = i < rank - a.length ? 1 : a[i - (rank - a.length)];
            int db = i < rank - b.length ? 1 : b[i - (rank - b.length)];
            if (da != db && da != 1 && db != 1) {
                throw new IllegalArgumentException(op + ": shapes " + Arrays.toString(a) + " and " + Arrays.toString(b)
                        + " cannot be broadcast (dimension " + i + ": " + da + " vs " + db + ")");
            }
            out[i] = da == 1 ? db : da;
        }
        return out;
    }

    /** Normalises a possibly negative axis against {@code rank}. */
    public static int axis(String op, int axis, int rank) {
        int a = axis < 0 ? axis + rank : axis;
        if (a < 0 || a >= rank) {
            throw new IllegalArgumentException(op + ": axis " + axis + " out of range for rank " + rank);
        }
        return a;
    }

    /** Normalises a possibly negative axis of {@code shape}; the error names the op and the shape. */
    public static int axis(String op, int axis, int[] shape) {
        int a = axis < 0 ? axis + shape.length : axis;
        if (a < 0 || a >= shape.length) {
            throw new IllegalArgumentException(op + ": axis " + axis + " out of range for shape " + str(shape)
                    + " (rank " + shape.length + ")");
        }
        return a;
    }

    /** Product of the dimensions before {@code axis}: how many blocks an axis-wise operation walks. */
    public static int outer(int[] shape, int axis) {
        int n = 1;
        for (int d = 0; d < axis; d++) {
            n *= shape[d];
        }
        return n;
    }

    /** Product of the dimensions after {@code axis}: the contiguous run per index of that axis. */
    public static int inner(int[] shape, int axis) {
        int n = 1;
        for (int d = axis + 1; d < shape.length; d++) {
            n *= shape[d];
        }
        return n;
    }

    public static String str(int... shape) {
        return Arrays.toString(shape);
    }
}
