package dev.cm4j.tensor.kernels;

import static dev.cm4j.tensor.kernels.FloatSpecies.L;
import static dev.cm4j.tensor.kernels.FloatSpecies.S;

import java.util.Arrays;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorMask;

/**
 * The column matrix of a same convolution ({@link Im2col#isSame}) packed straight into the GEMM's operands from the
 * images, with the Vector API: {@link #panels} are the B panels of the forward pass (y = w * col), {@link #rows} the A
 * rows of the transposed weight gradient (dw^T = col * dy^T; {@link Im2colRows} is its scalar twin). The column
 * matrix (C*kh*kw, count*H*W) of {@code count} consecutive images side by side is never stored.
 *
 * <p>In a same convolution the patch row of tap (i, j) is the channel plane shifted by {@code (i - padding) * W +
 * (j - padding)} floats, with zeros where the tap falls outside the image: the rows above or below (a range of pixels)
 * and |j - padding| columns at one edge of every image row. So every vector of the packed operand is one masked load
 * of x, the mask (which pixels of the tap read inside the image) loaded from a table per tap; masked-off lanes read as
 * 0f. im2col + packing instead copy each element twice, in runs of one image row. A vector that runs into the next
 * image of the unit takes a second masked load from that image.
 *
 * <p>Writes exactly the floats {@link GemmPack} writes for the explicit matrix (image values, 0f in the padding and
 * past the edges), so products through these packers are bit-identical to im2col + the matrix GEMM. Instances hold
 * only the geometry and the input, so the GEMM's threads may share one. Only for planes of at least one vector
 * ({@link #fits}); only referenced behind {@code Simd.ENABLED}.
 */
final class Im2colPanels {
    private final float[] x;
    private final int count;
    private final int plane;
    private final int inImage;
    /**
     * valid[tap][L + t]: tap (i, j) of output pixel t reads inside the image, for t in [-L, plane + NR) (false outside
     * the plane): one mask load gives a vector's padding lanes, also for lanes that spill past the plane (up to a
     * panel's width) or, shifted, into the next image.
     */
    private final boolean[][] valid;
    /** Where the unit's first image starts in x. */
    private final int xOff;
    /** Per patch row r: where pixel 0 of an image reads, relative to the image's start (may lie before the plane). */
    private final int[] rowSrc;
    /** Per patch row r: its tap (i*kw + j). */
    private final int[] rowTap;

    private Im2colPanels(ConvolutionShape s, float[] x, int xOff, int count) {
        if (!fits(s)) {
            throw new IllegalArgumentException("im2col panels: " + s.kh() + "x" + s.kw() + " kernel, stride "
                    + s.stride() + ", padding " + s.padding() + ", " + s.h() + "x" + s.w() + " planes: needs a same "
                    + "convolution with planes of at least " + L + " pixels");
        }
        Im2colRows.checkUnit(s, x, xOff, count);
        this.x = x;
        this.count = count;
        this.plane = s.outPlane();
        this.inImage = s.c() * s.inPlane();
        this.xOff = xOff;
        Tables t = tables(s);
        this.valid = t.valid();
        this.rowSrc = t.rowSrc();
        this.rowTap = t.rowTap();
    }

    /**
     * The tables of one geometry, read-only once built (the GEMM's threads may read them while this thread has moved
     * on to another geometry and built new ones).
     */
    private record Tables(int[] key, boolean[][] valid, int[] rowSrc, int[] rowTap) {
    }

    /**
     * The tables of the last {@value #CACHED_GEOMETRIES} geometries on this thread, replaced oldest first: a network
     * builds each geometry's tables once, not once per unit of images (each unit of a U-Net step used to allocate its
     * own row tables, about 20 MB per training step at batch 32) nor once per call (with one entry, the U-Net's
     * alternating geometries rebuilt them on every convolution: 0.8 % of a training step at batch 16).
     */
    private static final int CACHED_GEOMETRIES = 16;
    private static final ThreadLocal<Tables[]> TABLES = ThreadLocal.withInitial(() -> new Tables[CACHED_GEOMETRIES]);
    /** Where this thread's next new tables go. */
    private static final ThreadLocal<int[]> NEXT_SLOT = ThreadLocal.withInitial(() -> new int[1]);

    private static Tables tables(ConvolutionShape s) {
        Tables[] cached = TABLES.get();
        int[] key = {s.c(), s.h(), s.w(), s.kh(), s.kw(), s.padding()};
        for (Tables t : cached) {
            if (t != null && Arrays.equals(t.key(), key)) {
                return t;
            }
        }
        int plane = s.outPlane();
        boolean[][] valid = new boolean[s.kh() * s.kw()][L + plane + GemmMicroKernelVector.NR];
        for (int i = 0; i < s.kh(); i++) {
            for (int j = 0; j < s.kw(); j++) {
                for (int t = 0; t < plane; t++) {
                    int ih = t / s.w() + i - s.padding();
                    int iw = t % s.w() + j - s.padding();
                    valid[i * s.kw() + j][L + t] = ih >= 0 && ih < s.h() && iw >= 0 && iw < s.w();
                }
            }
        }
        int pad = s.padding();
        int w = s.w();
        int taps = s.kh() * s.kw();
        int patch = s.patch();
        int[] rowSrc = new int[patch];
        int[] rowTap = new int[patch];
        for (int r = 0; r < patch; r++) {
            // patch row (c*kh + i)*kw + j: channel c shifted by (i - padding, j - padding)
            int c = r / taps;
            int i = r / s.kw() % s.kh();
            int j = r % s.kw();
            rowSrc[r] = c * plane + (i - pad) * w + j - pad;
            rowTap[r] = r % taps;
        }
        Tables t = new Tables(key, valid, rowSrc, rowTap);
        int[] next = NEXT_SLOT.get();
        cached[next[0]] = t;
        next[0] = (next[0] + 1) % CACHED_GEOMETRIES;
        return t;
    }

    /** True when these packers take the shape: a same convolution whose planes hold at least one vector. */
    static boolean fits(ConvolutionShape s) {
        return Im2col.isSame(s) && s.outPlane() >= L;
    }

    // x: count images (C,H,W) from xOff -> op(B) = col (C*kh*kw, count*H*W) as NR-column panels
    static GemmBSource panels(ConvolutionShape s, float[] x, int xOff, int count) {
        Im2colPanels g = new Im2colPanels(s, x, xOff, count);
        return g::packPanels;
    }

    // x: count images (C,H,W) from xOff -> op(A) = col (C*kh*kw, count*H*W) as row-major blocks
    static GemmASource rows(ConvolutionShape s, float[] x, int xOff, int count) {
        Im2colPanels g = new Im2colPanels(s, x, xOff, count);
        return g::packRows;
    }

    // op(B)[p, j] = col[p0 + p, j0 + j] -> panels: (p, j) at (j / nr)*nr*kc + p*nr + j % nr
    private void packPanels(int p0, int kc, int j0, int nc, int nr, float[] dst) {
        if (nr != GemmMicroKernelVector.NR) {
            throw new IllegalArgumentException("im2col panels: panel width " + nr + ", expected "
                    + GemmMicroKernelVector.NR);
        }
        if (count == 1 && (nc % nr == 0 || j0 + nc == plane)) {
            // One image, and any lanes past nc lie past its plane, where the tables read as padding: every vector
            // is one table mask and one masked load (the loop that nearly all blocks of 14x14 and larger planes take)
            for (int p = 0; p < kc; p++) {
                int src = xOff + rowSrc[p0 + p];
                boolean[] tap = valid[rowTap[p0 + p]];
                for (int sj = 0; sj < nc; sj += nr) {
                    for (int l = 0, o = sj * kc + p * nr, t = j0 + sj; l < nr; l += L) {
                        FloatVector.fromArray(S, x, src + t + l, VectorMask.fromArray(S, tap, L + t + l))
                                .intoArray(dst, o + l);
                    }
                }
            }
            return;
        }
        int image0 = j0 / plane;
        int local0 = j0 - image0 * plane;
        for (int p = 0; p < kc; p++) {
            int r = p0 + p;
            int src = xOff + rowSrc[r];
            boolean[] tap = valid[rowTap[r]];
            int image = image0;
            int local = local0;
            for (int sj = 0; sj < nc; sj += nr) {
                for (int l = 0, o = sj * kc + p * nr; l < nr; l += L) {
                    int live = nc - sj - l;
                    if (local + L <= plane && live >= L) {
                        // the vector stays in one image
                        FloatVector.fromArray(S, x, src + image * inImage + local,
                                VectorMask.fromArray(S, tap, L + local)).intoArray(dst, o + l);
                    } else if (live <= 0) {
                        FloatVector.zero(S).intoArray(dst, o + l);
                    } else {
                        // into the next image, or partly past nc
                        edge(r, image, local, live, L, dst, o + l);
                    }
                    local += L;
                    if (local >= plane) {
                        local -= plane;
                        image++;
                    }
                }
            }
        }
    }

    // op(A)[i, p] = col[i0 + i, p0 + p] -> dst (mc, kc) row-major
    private void packRows(int i0, int mc, int p0, int kc, float[] dst) {
        int image0 = p0 / plane;
        int local0 = p0 - image0 * plane;
        for (int i = 0; i < mc; i++) {
            int r = i0 + i;
            int src = xOff + rowSrc[r];
            boolean[] tap = valid[rowTap[r]];
            int image = image0;
            int local = local0;
            int v = 0;
            if (count == 1) {
                // one image: whole vectors need no check (p0 + kc <= plane)
                for (; v + L <= kc; v += L) {
                    FloatVector.fromArray(S, x, src + p0 + v, VectorMask.fromArray(S, tap, L + p0 + v))
                            .intoArray(dst, i * kc + v);
                }
                local += v;
            }
            for (; v < kc; v += L) {
                int live = kc - v;
                if (local + L <= plane && live >= L) {
                    FloatVector.fromArray(S, x, src + image * inImage + local, VectorMask.fromArray(S, tap, L + local))
                            .intoArray(dst, i * kc + v);
                } else {
                    // into the next image, or the row's last vector, which stops at kc where the next row starts
                    edge(r, image, local, live, live, dst, i * kc + v);
                }
                local += L;
                if (local >= plane) {
                    local -= plane;
                    image++;
                }
            }
        }
    }

    /**
     * A vector that reaches past its image or past the block: patch row r at the L unit columns from pixel
     * {@code local} of image {@code image}, lanes from {@code live} on as 0f, lanes from {@code store} on not written,
     * to dst[off ..]. Masks stay inside this method (C2 boxes a mask passed to a method it does not inline).
     */
    private void edge(int r, int image, int local, int live, int store, float[] dst, int off) {
        boolean[] tap = valid[rowTap[r]];
        int src = xOff + rowSrc[r] + image * inImage + local;
        VectorMask<Float> lanes = S.indexInRange(0, live);
        FloatVector v = FloatVector.fromArray(S, x, src, VectorMask.fromArray(S, tap, L + local).and(lanes));
        // (no vector local is reassigned: C2 would box it)
        if (local + L > plane && image + 1 < count) {
            // lanes past this image's last pixel are the next image's first ones
            VectorMask<Float> next = VectorMask.fromArray(S, tap, L + local - plane).and(lanes);
            FloatVector both = v.blend(FloatVector.fromArray(S, x, src + inImage - plane, next), next);
            if (store >= L) {
                both.intoArray(dst, off);
            } else {
                both.intoArray(dst, off, S.indexInRange(0, store));
            }
        } else if (store >= L) {
            v.intoArray(dst, off);
        } else {
            v.intoArray(dst, off, S.indexInRange(0, store));
        }
    }
}
