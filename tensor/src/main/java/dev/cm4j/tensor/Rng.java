package dev.cm4j.tensor;

import dev.cm4j.tensor.kernels.PhiloxVector;

/**
 * A seeded random stream on top of {@link Philox}: key = seed, counter = (block index, stream id).
 *
 * <p>Element {@code i} of a draw that starts at block position {@code p} is word {@code i % 4} of block
 * {@code p + i / 4}: a pure function of (seed, stream, position, i). Bulk draws are split over threads without
 * changing a single bit. The state to save for an exact resume is {@link #position()}.
 *
 * <p>Not thread-safe: one {@code Rng} per consumer; use {@link #fork(long)} for independent streams. Forks get
 * negative stream ids, so a fork never shares a stream with a generator made by {@link #Rng(long, long)} with a
 * stream id {@code >= 0} (negative ids are best left to forks).
 */
public final class Rng {
    private static final double TWO_PI = 2 * Math.PI;
    private static final double INV_2_32 = 1.0 / 4294967296.0;
    private static final int BLOCKS_PER_TASK = 4096;
    /** Key tweak for deriving fork ids, so they are not the words the parent stream itself draws. */
    private static final int FORK_TWEAK = 0x6A09E667;

    private final long seed;
    private final long stream;
    private long position;

    /** Stream 0 of {@code seed}, at position 0. */
    public Rng(long seed) {
        this(seed, 0L);
    }

    /** Stream {@code stream} of {@code seed}, at position 0 (ids >= 0 never meet a {@link #fork}). */
    public Rng(long seed, long stream) {
        this.seed = seed;
        this.stream = stream;
    }

    /** The key of every block. */
    public long seed() {
        return seed;
    }

    /** The stream id: the caller's for {@link #Rng(long, long)}, a derived negative id for a {@link #fork}. */
    public long stream() {
        return stream;
    }

    /** Number of 4-word blocks consumed so far. */
    public long position() {
        return position;
    }

    /** Restores a position saved with {@link #position()}. */
    public void setPosition(long position) {
        if (position < 0) {
            throw new IllegalArgumentException("Rng.setPosition: position must be >= 0, got " + position);
        }
        this.position = position;
    }

    /**
     * An independent stream of the same seed, at position 0; {@code id} selects it. The child's stream id is one
     * Philox block of (id, parent stream) under the seed with a fork-only key tweak: a pseudo-random 63-bit number
     * with the sign bit set. It never equals a non-negative stream id, and two different (parent, id)
     * pairs collide only with the odds of a 63-bit hash. The parent's position does not matter and does not change.
     */
    public Rng fork(long id) {
        int[] w = new int[4];
        Philox.block((int) id, (int) (id >>> 32), (int) stream, (int) (stream >>> 32), (int) seed ^ FORK_TWEAK,
                (int) (seed >>> 32), w);
        long child = ((long) w[1] << 32) | (w[0] & 0xFFFFFFFFL);
        return new Rng(seed, child | Long.MIN_VALUE);
    }

    private void block(long blockIndex, int[] out) {
        Philox.block((int) blockIndex, (int) (blockIndex >>> 32), (int) stream, (int) (stream >>> 32),
                (int) seed, (int) (seed >>> 32), out);
    }

    /** Fills {@code dst[off, off+n)} with standard normal numbers (Box-Muller on word pairs). */
    public void fillNormal(float[] dst, int off, int n) {
        fill(dst, off, n, true, 0f, 1f);
    }

    /** Fills {@code dst[off, off+n)} with N(mean, std^2) numbers. */
    public void fillNormal(float[] dst, int off, int n, float mean, float std) {
        fill(dst, off, n, true, mean, std);
    }

    /** Fills {@code dst[off, off+n)} with uniform numbers in [lo, hi). */
    public void fillUniform(float[] dst, int off, int n, float lo, float hi) {
        fill(dst, off, n, false, lo, hi - lo);
    }

    private void fill(float[] dst, int off, int n, boolean normal, float a, float b) {
        if (off < 0 || n < 0 || (long) off + n > dst.length) {
            throw new IllegalArgumentException("Rng.fill: range [" + off + ", " + ((long) off + n)
                    + ") outside an array of length " + dst.length);
        }
        long base = position;
        int blocks = (n + 3) / 4;
        position += blocks;
        int tasks = (blocks + BLOCKS_PER_TASK - 1) / BLOCKS_PER_TASK;
        int c2 = (int) stream;
        int c3 = (int) (stream >>> 32);
        int k0 = (int) seed;
        int k1 = (int) (seed >>> 32);
        Parallel.forRange(tasks, 1, (t0, t1) -> {
            boolean vector = Simd.ENABLED;
            int group = vector ? PhiloxVector.LANES : 1;
            int[] w = new int[4 * group];
            long[] scratch = vector ? new long[4 * group] : null;
            for (int b0 = t0 * BLOCKS_PER_TASK, bEnd = Math.min(blocks, t1 * BLOCKS_PER_TASK); b0 < bEnd; ) {
                int count;
                if (vector && bEnd - b0 >= group) {
                    PhiloxVector.blocks(base + b0, c2, c3, k0, k1, w, scratch);
                    count = group;
                } else {
                    block(base + b0, w);
                    count = 1;
                }
                for (int g = 0; g < count; g++, b0++) {
                    convert(w, 4 * g, dst, off + b0 * 4, Math.min(4, n - b0 * 4), normal, a, b);
                }
            }
        });
    }

    /** Turns the 4 words {@code w[at, at+4)} of one block into {@code m} numbers at {@code dst[to]}. */
    private static void convert(int[] w, int at, float[] dst, int to, int m, boolean normal, float a, float b) {
        if (normal) {
            double r0 = Math.sqrt(-2 * Math.log(unitOpen(w[at])));
            double t = TWO_PI * unit(w[at + 1]);
            double r1 = Math.sqrt(-2 * Math.log(unitOpen(w[at + 2])));
            double s = TWO_PI * unit(w[at + 3]);
            for (int j = 0; j < m; j++) {
                double v = switch (j) {
                    case 0 -> r0 * Math.cos(t);
                    case 1 -> r0 * Math.sin(t);
                    case 2 -> r1 * Math.cos(s);
                    default -> r1 * Math.sin(s);
                };
                dst[to + j] = (float) (a + b * v);
            }
        } else {
            for (int j = 0; j < m; j++) {
                float u = (float) (a + b * unit(w[at + j]));
                // rounding can push a + b*u up to hi; keep the interval half-open
                dst[to + j] = u < a + b ? u : Math.nextDown(a + b);
            }
        }
    }

    /** A uniform double in [0, 1) from the next block (53 random bits). */
    public double nextDouble() {
        int[] w = new int[4];
        block(position++, w);
        long bits = ((w[0] & 0xFFFFFFFFL) << 21) ^ (w[1] & 0xFFFFFFFFL);
        return (bits & ((1L << 53) - 1)) * 0x1.0p-53;
    }

    /** A standard normal double from the next block. */
    public double nextGaussian() {
        int[] w = new int[4];
        block(position++, w);
        return Math.sqrt(-2 * Math.log(unitOpen(w[0]))) * Math.cos(TWO_PI * unit(w[1]));
    }

    /** A uniform integer in [0, bound) from the next block (unbiased by rejection). */
    public int nextInt(int bound) {
        if (bound <= 0) {
            throw new IllegalArgumentException("Rng.nextInt: bound must be > 0, got " + bound);
        }
        int[] w = new int[4];
        long limit = (1L << 32) - ((1L << 32) % bound);
        while (true) {
            block(position++, w);
            for (int j = 0; j < 4; j++) {
                long x = w[j] & 0xFFFFFFFFL;
                if (x < limit) {
                    return (int) (x % bound);
                }
            }
        }
    }

    /** A Tensor of standard normal numbers. */
    public Tensor normal(int... shape) {
        Tensor t = Tensor.zeros(shape);
        fillNormal(t.data(), t.offset(), t.size());
        return t;
    }

    /** A Tensor of uniform numbers in [lo, hi). */
    public Tensor uniform(float lo, float hi, int... shape) {
        Tensor t = Tensor.zeros(shape);
        fillUniform(t.data(), t.offset(), t.size(), lo, hi);
        return t;
    }

    private static double unit(int w) {
        return (w & 0xFFFFFFFFL) * INV_2_32;
    }

    /** In (0, 1]: safe for log. */
    private static double unitOpen(int w) {
        return ((w & 0xFFFFFFFFL) + 1) * INV_2_32;
    }
}
