package dev.cm4j.tensor;

/**
 * A dense, row-major tensor stored in 16 bits per element ({@link HalfFormat#FP16} or {@link HalfFormat#BF16}) on a
 * heap {@code short[]}: half the memory of a float32 {@link Tensor}. It is storage only; computing with it means
 * widening it to float32 first ({@link #widenInto}, {@link #toFloat32}), exactly, so every product accumulates in
 * float32.
 */
public final class HalfTensor {
    private final short[] bits;
    private final int[] shape;
    private final HalfFormat format;

    private HalfTensor(short[] bits, int[] shape, HalfFormat format) {
        this.bits = bits;
        this.shape = shape;
        this.format = format;
    }

    /** Wraps {@code bits} (not copied); its length must equal the shape's size. */
    public static HalfTensor wrap(short[] bits, HalfFormat format, int... shape) {
        int size = Shapes.size("HalfTensor.wrap", shape);
        if (bits.length != size) {
            throw new IllegalArgumentException("HalfTensor.wrap: " + bits.length + " " + format + " values for shape "
                    + Shapes.str(shape) + " of size " + size);
        }
        return new HalfTensor(bits, shape.clone(), format);
    }

    /** {@code t} rounded to {@code format}, to nearest with ties to even; values past its range become +-inf. */
    public static HalfTensor narrow(Tensor t, HalfFormat format) {
        short[] bits = new short[t.size()];
        format.narrow(t.data(), t.offset(), bits, 0, bits.length);
        return new HalfTensor(bits, t.shape(), format);
    }

    /** Writes the exact float32 values into {@code dst[off, off + size)}. */
    public void widenInto(float[] dst, int off) {
        if (off < 0 || (long) off + bits.length > dst.length) {
            throw new IllegalArgumentException("HalfTensor.widenInto: " + bits.length + " values of shape "
                    + Shapes.str(shape) + " at offset " + off + " do not fit an array of length " + dst.length);
        }
        format.widen(bits, 0, dst, off, bits.length);
    }

    /** A new float32 tensor of the exact values. */
    public Tensor toFloat32() {
        float[] out = new float[bits.length];
        format.widen(bits, 0, out, 0, bits.length);
        return Tensor.wrap(out, shape);
    }

    /** The stored bits (live, not copied). */
    public short[] bits() {
        return bits;
    }

    public int[] shape() {
        return shape.clone();
    }

    public int size() {
        return bits.length;
    }

    public HalfFormat format() {
        return format;
    }

    /** Bytes of the stored values: 2 per element. */
    public long bytes() {
        return 2L * bits.length;
    }

    @Override
    public String toString() {
        return "HalfTensor" + Shapes.str(shape) + " " + format;
    }
}
