package dev.cm4j.consistency.editing;

import dev.cm4j.tensor.Tensor;
import java.util.Arrays;

/**
 * What an edit keeps of its reference: an orthogonal transform A and the components of A-space that are known
 * (Song et al. 2023, Algorithm 4; docs/EDITING.md#algorithm-4). The paper's mask Omega marks the components to
 * generate; {@code known} is its complement, 1 where the reference is kept and 0 where the model generates, as the
 * released code's {@code mask}.
 *
 * @param name what the edit is, for messages ("inpainting", "colorization", ...)
 * @param transform A
 * @param known (C, H, W) in A-space, or (B, C, H, W) for one mask per sample; every value 0 or 1
 * @param fill the A-space value the {@link #reference reference} takes where nothing is known: -1 for inpainting
 *             (the released code blanks unknown pixels to -1), 0 for the others (Algorithm 4's A^T[(Ay) (1 - Omega)])
 */
public record Edit(String name, OrthogonalTransform transform, Tensor known, float fill) {
    public Edit {
        if (known.rank() != 3 && known.rank() != 4) {
            throw new IllegalArgumentException(name + ": the mask must be (C, H, W) or (B, C, H, W), got "
                    + Arrays.toString(known.shape()));
        }
        int r = known.rank();
        transform.check(name, known.dim(r - 3), known.dim(r - 2), known.dim(r - 1));
        float[] d = known.data();
        for (int i = 0; i < known.size(); i++) {
            float v = d[known.offset() + i];
            if (v != 0 && v != 1) {
                throw new IllegalArgumentException(name + ": mask values must be 0 or 1, got " + v + " at element " + i);
            }
        }
    }

    /** Inpainting: A = I, {@code known} (C, H, W) or (B, C, H, W) is 1 on the pixels to keep (see {@link Masks}). */
    public static Edit inpainting(Tensor known) {
        return new Edit("inpainting", new OrthogonalTransform.Identity(), known, -1);
    }

    /**
     * Colorization of (B, 3, H, W) images: per pixel the luminance coefficient (column 0 of
     * {@link OrthogonalBases#luminance()}) is known, the two chroma coefficients are generated.
     */
    public static Edit colorization(int height, int width) {
        Tensor known = Tensor.zeros(3, height, width);
        float[] k = known.data();
        Arrays.fill(k, 0, height * width, 1);
        return new Edit("colorization", new OrthogonalTransform.ChannelBasis(OrthogonalBases.luminance()), known, 0);
    }

    /**
     * Super-resolution by patch size {@code p}: per channel and p x p patch, the mean (coefficient 0 of
     * {@link OrthogonalBases#patch(int)}) is known, the other p^2 - 1 coefficients are generated. {@code p} must
     * divide the height and the width.
     */
    public static Edit superResolution(int channels, int height, int width, int p) {
        OrthogonalTransform.PatchBasis a = new OrthogonalTransform.PatchBasis(p, OrthogonalBases.patch(p));
        a.check("superresolution", channels, height, width);
        Tensor known = Tensor.zeros(channels, height, width);
        float[] k = known.data();
        for (int c = 0; c < channels; c++) {
            for (int y = 0; y < height; y += p) {
                for (int x = 0; x < width; x += p) {
                    k[(c * height + y) * width + x] = 1;
                }
            }
        }
        return new Edit("superresolution", a, known, 0);
    }

    /** Nothing known: every component is generated (stroke-guided generation; the replacement returns its input). */
    public static Edit nothingKnown(int channels, int height, int width) {
        return new Edit("generation", new OrthogonalTransform.Identity(), Tensor.zeros(channels, height, width), 0);
    }

    /** Throws a clear error unless images {@code y} (B, C, H, W) fit this edit's mask. */
    public void check(Tensor y) {
        if (y.rank() != 4) {
            throw new IllegalArgumentException(name + ": need images (B, C, H, W), got " + Arrays.toString(y.shape()));
        }
        int[] m = known.shape();
        int[] s = y.shape();
        boolean fits = known.rank() == 3
                ? m[0] == s[1] && m[1] == s[2] && m[2] == s[3]
                : Arrays.equals(m, s);
        if (!fits) {
            throw new IllegalArgumentException(name + ": the mask " + Arrays.toString(m) + " does not fit the images "
                    + Arrays.toString(s) + " (need the same channels, height and width"
                    + (known.rank() == 4 ? " and batch" : "") + ")");
        }
        transform.check(name, s[1], s[2], s[3]);
    }

    /**
     * The reference of Algorithm 4, {@code A^T[(A y) known + fill (1 - known)]}: the known components of {@code y},
     * {@link #fill} elsewhere (the released code's {@code images = replacement(images, fill)}).
     */
    public Tensor reference(Tensor y) {
        check(y);
        Tensor c = transform.forward(y);
        return transform.inverse(mixCoefficients(c, null, fill));
    }

    /**
     * The replacement step {@code A^T[(A ref) known + (A gen) (1 - known)]} (released {@code replacement(x0, x1)}):
     * the known components from {@code ref}, the rest from {@code gen}.
     */
    public Tensor replace(Tensor ref, Tensor gen) {
        check(ref);
        check(gen);
        return replaceCoefficients(transform.forward(ref), gen);
    }

    /** {@link #replace} with the reference already in A-space ({@code A ref}), as a loop over steps holds it. */
    Tensor replaceCoefficients(Tensor refCoefficients, Tensor gen) {
        return transform.inverse(mixCoefficients(refCoefficients, transform.forward(gen), 0));
    }

    /** known * a + (1 - known) * (b, or the constant {@code fill} when b is null), all in A-space (B, C, H, W). */
    private Tensor mixCoefficients(Tensor a, Tensor b, float constant) {
        float[] ad = a.data();
        float[] bd = b == null ? null : b.data();
        float[] k = known.data();
        int per = known.rank() == 3 ? known.size() : a.size();
        float[] out = new float[a.size()];
        for (int i = 0; i < out.length; i++) {
            boolean keep = k[known.offset() + i % per] != 0;
            out[i] = keep ? ad[a.offset() + i] : bd == null ? constant : bd[b.offset() + i];
        }
        return Tensor.wrap(out, a.shape());
    }

    /** The largest |A x - A y| over the known components: 0 when x keeps everything the edit knows of y. */
    public double knownError(Tensor x, Tensor y) {
        check(x);
        check(y);
        Tensor cx = transform.forward(x);
        Tensor cy = transform.forward(y);
        float[] k = known.data();
        int per = known.rank() == 3 ? known.size() : cx.size();
        double worst = 0;
        for (int i = 0; i < cx.size(); i++) {
            if (k[known.offset() + i % per] != 0) {
                worst = Math.max(worst, Math.abs(cx.data()[cx.offset() + i] - cy.data()[cy.offset() + i]));
            }
        }
        return worst;
    }
}
