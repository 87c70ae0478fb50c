package dev.cm4j.tensor.kernels;

/**
 * The geometry of a 2-D convolution over NCHW images: input (n, c, h, w), weight (k, c, kh, kw), a square stride and
 * a symmetric zero padding. Output (n, k, outH, outW) with {@code outH = (h + 2 padding - kh) / stride + 1}.
 *
 * <p>Every convolution kernel (forward, backward-data, backward-weight; reference, fast, device) takes one of these.
 */
public record ConvolutionShape(int n, int c, int h, int w, int k, int kh, int kw, int stride, int padding) {

    public ConvolutionShape {
        if (n < 1 || c < 1 || h < 1 || w < 1 || k < 1 || kh < 1 || kw < 1) {
            throw new IllegalArgumentException("conv2d: all sizes must be positive, got input (" + n + ", " + c + ", "
                    + h + ", " + w + ") and weight (" + k + ", " + c + ", " + kh + ", " + kw + ")");
        }
        if (stride < 1 || padding < 0) {
            throw new IllegalArgumentException("conv2d: stride must be >= 1 and padding >= 0, got stride " + stride
                    + ", padding " + padding);
        }
        if (h + 2 * padding < kh || w + 2 * padding < kw) {
            throw new IllegalArgumentException("conv2d: kernel " + kh + "x" + kw + " is larger than the padded input "
                    + (h + 2 * padding) + "x" + (w + 2 * padding) + " (input " + h + "x" + w + ", padding " + padding + ")");
        }
    }

    public int outH() {
        return (h + 2 * padding - kh) / stride + 1;
    }

    public int outW() {
        return (w + 2 * padding - kw) / stride + 1;
    }

    /** Rows of the im2col matrix: c * kh * kw. */
    public int patch() {
        return c * kh * kw;
    }

    /** Pixels of one output plane: outH * outW. */
    public int outPlane() {
        return outH() * outW();
    }

    public int inPlane() {
        return h * w;
    }

    /** True for a 1x1, stride-1, unpadded convolution: a plain matrix product per image, no im2col. */
    public boolean isPointwise() {
        return kh == 1 && kw == 1 && stride == 1 && padding == 0;
    }

    public long inputSize() {
        return (long) n * c * h * w;
    }

    public long weightSize() {
        return (long) k * c * kh * kw;
    }

    public long outputSize() {
        return (long) n * k * outH() * outW();
    }
}
