package dev.cm4j.tornado;

/**
 * Copies between a caller's strided matrix slice and a plan's compact staging array. Device buffers are bound to the
 * staging arrays once; the caller's arrays change from call to call and may be larger than the operand.
 */
final class Staging {
    private Staging() {
    }

    // src rows x cols with row stride ld from off -> dst (rows, cols) compact
    static void in(float[] src, int off, int ld, int rows, int cols, float[] dst) {
        if (ld == cols) {
            System.arraycopy(src, off, dst, 0, rows * cols);
            return;
        }
        for (int r = 0; r < rows; r++) {
            System.arraycopy(src, off + r * ld, dst, r * cols, cols);
        }
    }

    // src (rows, cols) compact -> dst rows x cols with row stride ld from off
    static void out(float[] src, int rows, int cols, float[] dst, int off, int ld) {
        if (ld == cols) {
            System.arraycopy(src, 0, dst, off, rows * cols);
            return;
        }
        for (int r = 0; r < rows; r++) {
            System.arraycopy(src, r * cols, dst, off + r * ld, cols);
        }
    }

    /** True when {@code src[off, off + dst.length)} equals {@code dst}: the device copy is still current. */
    static boolean same(float[] src, int off, float[] dst) {
        return java.util.Arrays.equals(src, off, off + dst.length, dst, 0, dst.length);
    }
}
