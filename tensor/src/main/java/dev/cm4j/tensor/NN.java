package dev.cm4j.tensor;

import dev.cm4j.tensor.backend.Backends;
import dev.cm4j.tensor.kernels.Convolution;
import dev.cm4j.tensor.kernels.ConvolutionShape;
import dev.cm4j.tensor.kernels.GroupNormSilu;
import dev.cm4j.tensor.kernels.GroupNormalization;
import dev.cm4j.tensor.kernels.Pool;
import dev.cm4j.tensor.kernels.Softmax;
import dev.cm4j.tensor.kernels.Upsampling;

/**
 * Neural-network operations on tensors, each forward beside its backward: convolution, 2x2 average pooling, nearest
 * upsampling, group normalisation, softmax and multi-head attention. Images are NCHW.
 *
 * <p>Every method checks its shapes and throws {@link IllegalArgumentException} naming itself and the shapes; inputs
 * are never modified and outputs are new tensors. Convolution and attention run on {@link Backends#current()}.
 */
public final class NN {
    private NN() {
    }

    // ---------------------------------------------------------------- convolution

    /**
     * 2-D cross-correlation (PyTorch's conv2d) with a square stride and symmetric zero padding.
     *
     * @param x    input (N, C, H, W)
     * @param w    weight (K, C, kh, kw)
     * @param bias (K) or null
     * @return y (N, K, Ho, Wo) with Ho = (H + 2 padding - kh) / stride + 1
     */
    public static Tensor conv2d(Tensor x, Tensor w, Tensor bias, int stride, int padding) {
        // x (N,C,H,W), w (K,C,kh,kw), bias (K) -> y (N,K,Ho,Wo)
        requireRank("conv2d", "input", x, 4);
        requireRank("conv2d", "weight", w, 4);
        if (x.dim(1) != w.dim(1)) {
            throw new IllegalArgumentException("conv2d: input " + Shapes.str(x.shape()) + " has " + x.dim(1)
                    + " channels but weight " + Shapes.str(w.shape()) + " expects " + w.dim(1));
        }
        if (bias != null && (bias.rank() != 1 || bias.dim(0) != w.dim(0))) {
            throw new IllegalArgumentException("conv2d: bias " + Shapes.str(bias.shape()) + " does not match the "
                    + w.dim(0) + " output channels of weight " + Shapes.str(w.shape()));
        }
        ConvolutionShape s = new ConvolutionShape(x.dim(0), x.dim(1), x.dim(2), x.dim(3), w.dim(0), w.dim(2), w.dim(3),
                stride, padding);
        Tensor y = Tensor.outputOverwritten(s.n(), s.k(), s.outH(), s.outW());
        Backends.current().conv2d(s, x.data(), x.offset(), w.data(), w.offset(),
                bias == null ? null : bias.data(), bias == null ? 0 : bias.offset(), y.data(), 0);
        return y;
    }

    /** The gradient of {@link #conv2d} with respect to its input: dy (N, K, Ho, Wo), w (K, C, kh, kw) -> dx. */
    public static Tensor conv2dBackwardData(Tensor dy, Tensor w, int[] xShape, int stride, int padding) {
        // dy (N,K,Ho,Wo), w (K,C,kh,kw) -> dx (N,C,H,W)
        requireRank("conv2dBackwardData", "weight", w, 4);
        if (xShape.length != 4) {
            throw new IllegalArgumentException("conv2dBackwardData: input shape " + Shapes.str(xShape)
                    + " must have rank 4 (N, C, H, W)");
        }
        ConvolutionShape s = new ConvolutionShape(xShape[0], xShape[1], xShape[2], xShape[3], w.dim(0), w.dim(2),
                w.dim(3), stride, padding);
        if (xShape[1] != w.dim(1)) {
            throw new IllegalArgumentException("conv2dBackwardData: input shape " + Shapes.str(xShape) + " has "
                    + xShape[1] + " channels but weight " + Shapes.str(w.shape()) + " expects " + w.dim(1));
        }
        requireShape("conv2dBackwardData", "output gradient", dy, s.n(), s.k(), s.outH(), s.outW());
        Tensor dx = Tensor.outputOverwritten(xShape);
        Backends.current().conv2dBackwardData(s, dy.data(), dy.offset(), w.data(), w.offset(), dx.data(), 0);
        return dx;
    }

    /** The gradient of {@link #conv2d} with respect to its weight: dy (N, K, Ho, Wo), x (N, C, H, W) -> dw. */
    public static Tensor conv2dBackwardWeight(Tensor dy, Tensor x, int[] wShape, int stride, int padding) {
        // dy (N,K,Ho,Wo), x (N,C,H,W) -> dw (K,C,kh,kw)
        requireRank("conv2dBackwardWeight", "input", x, 4);
        if (wShape.length != 4 || wShape[1] != x.dim(1)) {
            throw new IllegalArgumentException("conv2dBackwardWeight: weight shape " + Shapes.str(wShape)
                    + " must be (K, " + x.dim(1) + ", kh, kw) for input " + Shapes.str(x.shape()));
        }
        ConvolutionShape s = new ConvolutionShape(x.dim(0), x.dim(1), x.dim(2), x.dim(3), wShape[0], wShape[2],
                wShape[3], stride, padding);
        requireShape("conv2dBackwardWeight", "output gradient", dy, s.n(), s.k(), s.outH(), s.outW());
        Tensor dw = Tensor.outputOverwritten(wShape);
        Backends.current().conv2dBackwardWeight(s, dy.data(), dy.offset(), x.data(), x.offset(), dw.data(), 0);
        return dw;
    }

    /**
     * The gradient of {@link #conv2d} with respect to its bias: dy (N, K, Ho, Wo) -> (K), each image's plane summed in
     * float, the planes in double.
     */
    public static Tensor conv2dBackwardBias(Tensor dy) {
        requireRank("conv2dBackwardBias", "output gradient", dy, 4);
        Tensor db = Tensor.output(dy.dim(1));
        Convolution.backwardBias(dy.dim(0), dy.dim(1), dy.dim(2) * dy.dim(3), dy.data(), dy.offset(),
                db.data(), 0);
        return db;
    }

    // ---------------------------------------------------------------- pooling and upsampling

    /**
     * 2x2 average pooling with stride 2: x (N, C, H, W) -> (N, C, H/2, W/2). H and W must be even (an odd size would
     * drop its last row or column, which a U-Net's skip connections could not match); odd sizes are rejected.
     */
    public static Tensor avgPool2x2(Tensor x) {
        requireRank("avgPool2x2", "input", x, 4);
        if (x.dim(2) % 2 != 0 || x.dim(3) % 2 != 0) {
            throw new IllegalArgumentException("avgPool2x2: input " + Shapes.str(x.shape())
                    + " has an odd height or width; 2x2 pooling needs both even");
        }
        Tensor y = Tensor.outputOverwritten(x.dim(0), x.dim(1), x.dim(2) / 2, x.dim(3) / 2);
        Pool.avgPool2x2(x.dim(0) * x.dim(1), x.dim(2), x.dim(3), x.data(), x.offset(), y.data(), 0);
        return y;
    }

    /** The adjoint of {@link #avgPool2x2}: dy (N, C, H, W) -> dx (N, C, 2H, 2W), each value spread as a quarter. */
    public static Tensor avgPool2x2Backward(Tensor dy) {
        requireRank("avgPool2x2Backward", "output gradient", dy, 4);
        Tensor dx = Tensor.output(dy.dim(0), dy.dim(1), 2 * dy.dim(2), 2 * dy.dim(3));
        Pool.avgPool2x2Backward(dy.dim(0) * dy.dim(1), 2 * dy.dim(2), 2 * dy.dim(3), dy.data(), dy.offset(),
                dx.data(), 0);
        return dx;
    }

    /** Nearest-neighbour 2x upsampling: x (N, C, H, W) -> (N, C, 2H, 2W). */
    public static Tensor upsampleNearest2x(Tensor x) {
        requireRank("upsampleNearest2x", "input", x, 4);
        Tensor y = Tensor.outputOverwritten(x.dim(0), x.dim(1), 2 * x.dim(2), 2 * x.dim(3));
        Upsampling.nearest2x(x.dim(0) * x.dim(1), x.dim(2), x.dim(3), x.data(), x.offset(), y.data(), 0);
        return y;
    }

    /** The adjoint of {@link #upsampleNearest2x}: dy (N, C, H, W) with H, W even -> (N, C, H/2, W/2), 2x2 sums. */
    public static Tensor upsampleNearest2xBackward(Tensor dy) {
        requireRank("upsampleNearest2xBackward", "output gradient", dy, 4);
        if (dy.dim(2) % 2 != 0 || dy.dim(3) % 2 != 0) {
            throw new IllegalArgumentException("upsampleNearest2xBackward: output gradient " + Shapes.str(dy.shape())
                    + " has an odd height or width; a 2x upsampled map has both even");
        }
        Tensor dx = Tensor.output(dy.dim(0), dy.dim(1), dy.dim(2) / 2, dy.dim(3) / 2);
        Upsampling.nearest2xBackward(dy.dim(0) * dy.dim(1), dy.dim(2) / 2, dy.dim(3) / 2, dy.data(), dy.offset(),
                dx.data(), 0);
        return dx;
    }

    // ---------------------------------------------------------------- group normalisation

    /** Output of {@link #groupNorm}: y like x, and the per-(sample, group) mean and 1/std, each (N, groups). */
    public record GroupNormResult(Tensor y, Tensor mean, Tensor rstd) {
    }

    /** Gradients of {@link #groupNorm}: dx like x, dgamma and dbeta (C). */
    public record GroupNormGrads(Tensor dx, Tensor dgamma, Tensor dbeta) {
    }

    /**
     * Group normalisation: x (N, C, ...) split into {@code groups} groups of C/groups channels; each (n, group) is
     * normalised by its mean and biased variance (plus eps), then y = xhat * gamma[c] + beta[c].
     */
    public static GroupNormResult groupNorm(Tensor x, Tensor gamma, Tensor beta, int groups, float eps) {
        // x (N,C,S...), gamma (C), beta (C) -> y (N,C,S...), mean (N,G), rstd (N,G)
        checkGroupNorm("groupNorm", x, gamma, groups);
        if (beta.rank() != 1 || beta.dim(0) != x.dim(1)) {
            throw new IllegalArgumentException("groupNorm: beta " + Shapes.str(beta.shape()) + " must be (" + x.dim(1)
                    + ") for input " + Shapes.str(x.shape()));
        }
        if (!(eps >= 0)) {
            throw new IllegalArgumentException("groupNorm: eps must be >= 0, got " + eps);
        }
        int n = x.dim(0);
        int c = x.dim(1);
        Tensor y = Tensor.outputOverwritten(x.shape());
        Tensor mean = Tensor.output(n, groups);
        Tensor rstd = Tensor.output(n, groups);
        GroupNormalization.forward(n, c, x.size() / Math.max(1, n * c), groups, eps, x.data(), x.offset(),
                gamma.data(), gamma.offset(), beta.data(), beta.offset(), y.data(), 0, mean.data(), rstd.data());
        return new GroupNormResult(y, mean, rstd);
    }

    /** The gradients of {@link #groupNorm} from the saved mean and rstd. */
    public static GroupNormGrads groupNormBackward(Tensor dy, Tensor x, Tensor gamma, Tensor mean, Tensor rstd,
                                                   int groups) {
        return groupNormBackward(dy, x, gamma, mean, rstd, groups, false);
    }

    /**
     * {@link #groupNormBackward} writing dx over dy when {@code overwriteDy} (dy is then returned as dx and must not be
     * read afterwards): the kernel reads each block's dy for its sums before it writes dx at the same indices, so
     * the values are the same as into a fresh tensor.
     */
    public static GroupNormGrads groupNormBackward(Tensor dy, Tensor x, Tensor gamma, Tensor mean, Tensor rstd,
                                                   int groups, boolean overwriteDy) {
        // dy (N,C,S...), x (N,C,S...), gamma (C), mean, rstd (N,G) -> dx (N,C,S...), dgamma (C), dbeta (C)
        checkGroupNorm("groupNormBackward", x, gamma, groups);
        requireShape("groupNormBackward", "output gradient", dy, x.shape());
        int n = x.dim(0);
        int c = x.dim(1);
        requireShape("groupNormBackward", "mean", mean, n, groups);
        requireShape("groupNormBackward", "rstd", rstd, n, groups);
        Tensor dx = overwriteDy ? dy : Tensor.output(x.shape());
        Tensor dgamma = Tensor.output(c);
        Tensor dbeta = Tensor.output(c);
        // The kernel indexes mean and rstd from 0: pass compact copies when they are views.
        GroupNormalization.backward(n, c, x.size() / Math.max(1, n * c), groups, dy.data(), dy.offset(), x.data(),
                x.offset(), gamma.data(), gamma.offset(), compact(mean), compact(rstd), dx.data(), dx.offset(),
                dgamma.data(), dbeta.data());
        if (overwriteDy) {
            dx.markModified();
        }
        return new GroupNormGrads(dx, dgamma, dbeta);
    }

    /** Gradients of {@link #groupNormSilu}: dx like x, dgamma and dbeta (C), dscale and dshift (N, C) or null. */
    public record GroupNormSiluGrads(Tensor dx, Tensor dgamma, Tensor dbeta, Tensor dscale, Tensor dshift) {
    }

    /**
     * SiLU of group normalisation with an optional per-sample scale-shift, in one pass (the ADM U-Net's
     * {@code GroupNorm -> SiLU} and {@code GroupNorm -> x (1 + scale) + shift -> SiLU}):
     * y = silu(groupNorm(x) (1 + scale) + shift), scale and shift (N, C) both given or both null. The result's y is
     * the SiLU output; its mean and rstd are those of {@link #groupNorm}, kept for the backward. The normalised x is
     * never stored.
     */
    public static GroupNormResult groupNormSilu(Tensor x, Tensor gamma, Tensor beta, Tensor scale, Tensor shift,
                                                int groups, float eps) {
        // x (N,C,S...), gamma (C), beta (C), scale (N,C), shift (N,C) -> y (N,C,S...), mean (N,G), rstd (N,G)
        checkGroupNorm("groupNormSilu", x, gamma, groups);
        requireShape("groupNormSilu", "beta", beta, x.dim(1));
        checkScaleShift("groupNormSilu", x, scale, shift);
        if (!(eps >= 0)) {
            throw new IllegalArgumentException("groupNormSilu: eps must be >= 0, got " + eps);
        }
        int n = x.dim(0);
        int c = x.dim(1);
        Tensor y = Tensor.outputOverwritten(x.shape());
        Tensor mean = Tensor.output(n, groups);
        Tensor rstd = Tensor.output(n, groups);
        GroupNormSilu.forward(n, c, x.size() / Math.max(1, n * c), groups, eps, x.data(), x.offset(), gamma.data(),
                gamma.offset(), beta.data(), beta.offset(), compact(scale), compact(shift), y.data(), 0, mean.data(),
                rstd.data());
        return new GroupNormResult(y, mean, rstd);
    }

    /**
     * The gradients of {@link #groupNormSilu} from its inputs and saved mean and rstd, writing dx over dy when
     * {@code overwriteDy} (dy is then returned as dx and must not be read afterwards).
     */
    public static GroupNormSiluGrads groupNormSiluBackward(Tensor dy, Tensor x, Tensor gamma, Tensor beta,
                                                           Tensor scale, Tensor shift, Tensor mean, Tensor rstd,
                                                           int groups, boolean overwriteDy) {
        // dy (N,C,S...), x (N,C,S...), gamma, beta (C), scale, shift (N,C), mean, rstd (N,G)
        //   -> dx (N,C,S...), dgamma, dbeta (C), dscale, dshift (N,C)
        checkGroupNorm("groupNormSiluBackward", x, gamma, groups);
        requireShape("groupNormSiluBackward", "beta", beta, x.dim(1));
        checkScaleShift("groupNormSiluBackward", x, scale, shift);
        requireShape("groupNormSiluBackward", "output gradient", dy, x.shape());
        int n = x.dim(0);
        int c = x.dim(1);
        requireShape("groupNormSiluBackward", "mean", mean, n, groups);
        requireShape("groupNormSiluBackward", "rstd", rstd, n, groups);
        Tensor dx = overwriteDy ? dy : Tensor.output(x.shape());
        Tensor dgamma = Tensor.output(c);
        Tensor dbeta = Tensor.output(c);
        Tensor dscale = scale == null ? null : Tensor.output(scale.shape());
        Tensor dshift = shift == null ? null : Tensor.output(shift.shape());
        GroupNormSilu.backward(n, c, x.size() / Math.max(1, n * c), groups, dy.data(), dy.offset(), x.data(),
                x.offset(), gamma.data(), gamma.offset(), beta.data(), beta.offset(), compact(scale), compact(shift),
                compact(mean), compact(rstd), dx.data(), dx.offset(), dgamma.data(), dbeta.data(),
                dscale == null ? null : dscale.data(), dshift == null ? null : dshift.data());
        if (overwriteDy) {
            dx.markModified();
        }
        return new GroupNormSiluGrads(dx, dgamma, dbeta, dscale, dshift);
    }

    /** Scale and shift are both null, or both hold N*C values for input x (N, C, ...), sample first. */
    private static void checkScaleShift(String op, Tensor x, Tensor scale, Tensor shift) {
        if ((scale == null) != (shift == null)) {
            throw new IllegalArgumentException(op + ": scale and shift must be given together, got "
                    + (scale == null ? "only shift" : "only scale"));
        }
        for (Tensor t : scale == null ? new Tensor[0] : new Tensor[] {scale, shift}) {
            if (t.rank() < 2 || t.dim(0) != x.dim(0) || t.size() != x.dim(0) * x.dim(1)) {
                throw new IllegalArgumentException(op + ": " + (t == scale ? "scale " : "shift ")
                        + Shapes.str(t.shape()) + " must be (" + x.dim(0) + ", " + x.dim(1) + ") for input "
                        + Shapes.str(x.shape()));
            }
        }
    }

    /** The tensor's values from index 0 (its own array when it starts there, else a copy); null for null. */
    private static float[] compact(Tensor t) {
        return t == null ? null : t.offset() == 0 ? t.data() : t.toArray();
    }

    private static void checkGroupNorm(String op, Tensor x, Tensor gamma, int groups) {
        if (x.rank() < 2) {
            throw new IllegalArgumentException(op + ": input " + Shapes.str(x.shape()) + " must be (N, C, ...)");
        }
        if (groups < 1 || x.dim(1) % groups != 0) {
            throw new IllegalArgumentException(op + ": " + x.dim(1) + " channels of input " + Shapes.str(x.shape())
                    + " cannot be split into " + groups + " groups");
        }
        if (gamma.rank() != 1 || gamma.dim(0) != x.dim(1)) {
            throw new IllegalArgumentException(op + ": gamma " + Shapes.str(gamma.shape()) + " must be (" + x.dim(1)
                    + ") for input " + Shapes.str(x.shape()));
        }
    }

    // ---------------------------------------------------------------- softmax

    /** Softmax over the last axis. */
    public static Tensor softmax(Tensor x) {
        requireRankAtLeast("softmax", x, 1);
        Tensor y = Tensor.outputOverwritten(x.shape());
        int n = x.dim(-1);
        Softmax.forward(rows(x), n, x.data(), x.offset(), y.data(), 0);
        return y;
    }

    /** The gradient of {@link #softmax} from its output y: dx = y * (dy - sum(dy * y)) per row. */
    public static Tensor softmaxBackward(Tensor dy, Tensor y) {
        requireRankAtLeast("softmaxBackward", y, 1);
        requireShape("softmaxBackward", "output gradient", dy, y.shape());
        Tensor dx = Tensor.output(y.shape());
        Softmax.backward(rows(y), y.dim(-1), dy.data(), dy.offset(), y.data(), y.offset(), dx.data(), 0);
        return dx;
    }

    /** Log-softmax over the last axis: x - logsumexp(x). */
    public static Tensor logSoftmax(Tensor x) {
        requireRankAtLeast("logSoftmax", x, 1);
        Tensor y = Tensor.outputOverwritten(x.shape());
        Softmax.logForward(rows(x), x.dim(-1), x.data(), x.offset(), y.data(), 0);
        return y;
    }

    /** The gradient of {@link #logSoftmax} from its output y: dx = dy - exp(y) * sum(dy) per row. */
    public static Tensor logSoftmaxBackward(Tensor dy, Tensor y) {
        requireRankAtLeast("logSoftmaxBackward", y, 1);
        requireShape("logSoftmaxBackward", "output gradient", dy, y.shape());
        Tensor dx = Tensor.output(y.shape());
        Softmax.logBackward(rows(y), y.dim(-1), dy.data(), dy.offset(), y.data(), y.offset(), dx.data(), 0);
        return dx;
    }

    private static int rows(Tensor x) {
        int n = x.dim(-1);
        return n == 0 ? 0 : x.size() / n;
    }

    // ---------------------------------------------------------------- attention

    /** Output of the attention core: out (B, C, T) and the softmax probabilities (B*heads, T, T) for backward. */
    public record AttentionResult(Tensor out, Tensor probs) {
    }

    /**
     * Multi-head attention core in the layout of the ADM / consistency-models U-Net ({@code QKVAttention}): qkv
     * (B, 3C, T) with channels ordered (three, heads, headDim), i.e. the q block, then k, then v, each head-major.
     * out[b, h*d + c, t] = sum_s softmax_s(q_t . k_s / sqrt(d)) v[c, s] with d = C / heads.
     */
    public static AttentionResult qkvAttention(Tensor qkv, int heads) {
        // qkv (B,3C,T) -> out (B,C,T), probs (B*heads,T,T)
        int[] dims = checkQkv("qkvAttention", qkv, heads);
        int b = dims[0];
        int d = dims[1];
        int t = dims[2];
        Tensor out = Tensor.outputOverwritten(b, heads * d, t);
        Tensor probs = Tensor.outputOverwritten(b * heads, t, t);
        Backends.current().qkvAttention(b, heads, d, t, qkv.data(), qkv.offset(), out.data(), 0, probs.data(), 0);
        return new AttentionResult(out, probs);
    }

    /** The gradient of {@link #qkvAttention} with respect to qkv, from the saved probabilities. */
    public static Tensor qkvAttentionBackward(Tensor dout, Tensor qkv, Tensor probs, int heads) {
        // dout (B,C,T), qkv (B,3C,T), probs (B*heads,T,T) -> dqkv (B,3C,T)
        int[] dims = checkQkv("qkvAttentionBackward", qkv, heads);
        int b = dims[0];
        int d = dims[1];
        int t = dims[2];
        requireShape("qkvAttentionBackward", "output gradient", dout, b, heads * d, t);
        requireShape("qkvAttentionBackward", "probs", probs, b * heads, t, t);
        Tensor dqkv = Tensor.outputOverwritten(qkv.shape());
        Backends.current().qkvAttentionBackward(b, heads, d, t, dout.data(), dout.offset(), qkv.data(), qkv.offset(),
                probs.data(), probs.offset(), dqkv.data(), 0);
        return dqkv;
    }

    /** Gradients of {@link #attention} for q, k and v. */
    public record AttentionGrads(Tensor dq, Tensor dk, Tensor dv) {
    }

    /**
     * The same attention on separate q, k, v of shape (BH, d, T) (one head per leading index):
     * out[i, c, t] = sum_s softmax_s(q[i, :, t] . k[i, :, s] / sqrt(d)) v[i, c, s]. Costs one copy of q, k, v into the
     * fused layout.
     */
    public static AttentionResult attention(Tensor q, Tensor k, Tensor v) {
        Tensor qkv = fuse("attention", q, k, v);
        return qkvAttention(qkv, 1);
    }

    /** The gradients of {@link #attention}. */
    public static AttentionGrads attentionBackward(Tensor dout, Tensor q, Tensor k, Tensor v, Tensor probs) {
        Tensor qkv = fuse("attentionBackward", q, k, v);
        requireShape("attentionBackward", "output gradient", dout, q.shape());
        Tensor dqkv = qkvAttentionBackward(dout, qkv, probs, 1);
        int bh = q.dim(0);
        int block = q.dim(1) * q.dim(2);
        Tensor dq = Tensor.output(q.shape());
        Tensor dk = Tensor.output(q.shape());
        Tensor dv = Tensor.output(q.shape());
        for (int i = 0; i < bh; i++) {
            System.arraycopy(dqkv.data(), 3 * i * block, dq.data(), i * block, block);
            System.arraycopy(dqkv.data(), (3 * i + 1) * block, dk.data(), i * block, block);
            System.arraycopy(dqkv.data(), (3 * i + 2) * block, dv.data(), i * block, block);
        }
        return new AttentionGrads(dq, dk, dv);
    }

    /** Stacks q, k, v (BH, d, T) into qkv (BH, 3d, T). */
    private static Tensor fuse(String op, Tensor q, Tensor k, Tensor v) {
        requireRank(op, "q", q, 3);
        requireShape(op, "k", k, q.shape());
        requireShape(op, "v", v, q.shape());
        int bh = q.dim(0);
        int block = q.dim(1) * q.dim(2);
        Tensor qkv = Tensor.output(bh, 3 * q.dim(1), q.dim(2));
        for (int i = 0; i < bh; i++) {
            System.arraycopy(q.data(), q.offset() + i * block, qkv.data(), 3 * i * block, block);
            System.arraycopy(k.data(), k.offset() + i * block, qkv.data(), (3 * i + 1) * block, block);
            System.arraycopy(v.data(), v.offset() + i * block, qkv.data(), (3 * i + 2) * block, block);
        }
        return qkv;
    }

    /** Returns {batch, headDim, tokens} after checking qkv (B, 3 * heads * headDim, T). */
    private static int[] checkQkv(String op, Tensor qkv, int heads) {
        requireRank(op, "qkv", qkv, 3);
        int width = qkv.dim(1);
        if (heads < 1 || width % (3 * heads) != 0 || width == 0) {
            throw new IllegalArgumentException(op + ": qkv " + Shapes.str(qkv.shape()) + " has " + width
                    + " channels, not a positive multiple of 3 * heads = " + 3L * heads);
        }
        if (qkv.dim(2) < 1) {
            throw new IllegalArgumentException(op + ": qkv " + Shapes.str(qkv.shape()) + " has no tokens");
        }
        return new int[] {qkv.dim(0), width / (3 * heads), qkv.dim(2)};
    }

    // ---------------------------------------------------------------- checks

    private static void requireRank(String op, String what, Tensor t, int rank) {
        if (t.rank() != rank) {
            throw new IllegalArgumentException(op + ": " + what + " " + Shapes.str(t.shape()) + " must have rank "
                    + rank);
        }
    }

    private static void requireRankAtLeast(String op, Tensor t, int rank) {
        if (t.rank() < rank) {
            throw new IllegalArgumentException(op + ": input " + Shapes.str(t.shape()) + " must have rank >= " + rank);
        }
    }

    private static void requireShape(String op, String what, Tensor t, int... shape) {
        if (!java.util.Arrays.equals(t.shape(), shape)) {
            throw new IllegalArgumentException(op + ": " + what + " " + Shapes.str(t.shape()) + " must be "
                    + Shapes.str(shape));
        }
    }
}
