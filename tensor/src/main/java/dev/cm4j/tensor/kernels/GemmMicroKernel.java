package dev.cm4j.tensor.kernels;

/**
 * A register-blocked GEMM micro-kernel: one MR x NR tile of C from MR rows of A and an NR-column panel of packed B
 * (layouts in {@link GemmPack}).
 *
 * <p>Every implementation accumulates each element of the tile as {@code acc = 0; for p in 0..kc: acc += a[p] * b[p]}
 * in k order and then stores {@code C = alpha * acc + beta * C} ({@code C = alpha * acc} when beta is 0), so an
 * element's value does not depend on which tile, thread or partition computed it.
 */
abstract class GemmMicroKernel {
    /** Rows of a tile. */
    final int mr;
    /** Columns of a tile. */
    final int nr;

    GemmMicroKernel(int mr, int nr) {
        this.mr = mr;
        this.nr = nr;
    }

    /**
     * Computes the tile whose top-left element is {@code c[ic]}; only the first {@code rows x cols} elements (at most
     * MR x NR) are written. A holds the tile's rows: element (i, p) at {@code a[a0 + i * rs + p]} for i < rows (rows
     * past that are never read); pb is a packed B panel. {@code scratch} holds at least MR x NR floats.
     */
    abstract void tile(int kc, float[] a, int a0, int rs, float[] pb, int ib, float alpha, float beta,
                       float[] c, int ic, int ldc, int rows, int cols, float[] scratch);

    /**
     * Stores the valid part of a tile whose raw accumulators were written row by row to {@code acc} (row stride nr):
     * {@code C = alpha * acc + beta * C}. The vector kernel's full-tile store uses the same float operations, so the
     * two agree bitwise.
     */
    static void storeScalar(float[] acc, int nr, int rows, int cols, float alpha, float beta,
                            float[] c, int ic, int ldc) {
        for (int i = 0; i < rows; i++) {
            int o = ic + i * ldc;
            int s = i * nr;
            if (beta == 0f) {
                for (int j = 0; j < cols; j++) {
                    c[o + j] = alpha * acc[s + j];
                }
            } else if (beta == 1f) {
                for (int j = 0; j < cols; j++) {
                    c[o + j] = alpha * acc[s + j] + c[o + j];
                }
            } else {
                for (int j = 0; j < cols; j++) {
                    c[o + j] = alpha * acc[s + j] + beta * c[o + j];
                }
            }
        }
    }
}
