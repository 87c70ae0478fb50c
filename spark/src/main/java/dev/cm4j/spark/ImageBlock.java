package dev.cm4j.spark;

import dev.cm4j.tensor.Tensor;
import java.io.Serializable;
import java.util.Arrays;

/**
 * A run of consecutive images of a larger set, as one Spark record: images {@code first .. first + count - 1}, each
 * (channels, size, size) in [-1, 1], row-major in {@code pixels}, with their class labels where the model is
 * class-conditional.
 *
 * @param first index of the first image in the whole set
 * @param count images in this block
 * @param channels channels per image (1 for Fashion-MNIST)
 * @param size height and width
 * @param pixels (count, channels, size, size), row-major
 * @param labels (count) class labels, or null for an unconditional model
 */
public record ImageBlock(int first, int count, int channels, int size, float[] pixels, int[] labels)
        implements Serializable {
    private static final long serialVersionUID = 1L;

    /** Checks that the arrays hold {@code count} images of the stated shape. */
    public ImageBlock {
        if (first < 0 || count < 1 || channels < 1 || size < 1 || pixels == null
                || pixels.length != (long) count * channels * size * size
                || labels != null && labels.length != count) {
            throw new IllegalArgumentException("ImageBlock: first " + first + ", count " + count + ", image "
                    + channels + "x" + size + "x" + size + " with " + (pixels == null ? "no" : pixels.length)
                    + " pixels and " + (labels == null ? "no" : labels.length) + " labels");
        }
    }

    /** The block of images {@code first ..} in a tensor (count, C, H, W), with optional labels; the data is shared. */
    public static ImageBlock of(int first, Tensor images, int[] labels) {
        if (images == null || images.rank() != 4 || images.dim(2) != images.dim(3)) {
            throw new IllegalArgumentException("ImageBlock.of: need square images (N, C, H, W), got "
                    + (images == null ? "null" : Arrays.toString(images.shape())));
        }
        float[] data = images.offset() == 0 && images.data().length == images.size() ? images.data()
                : images.toArray();
        return new ImageBlock(first, images.dim(0), images.dim(1), images.dim(2), data, labels);
    }

    /** The images as a tensor (count, C, H, W) over the same array. */
    public Tensor images() {
        return Tensor.wrap(pixels, new int[] {count, channels, size, size});
    }

    /** The index one past the last image. */
    public int end() {
        return first + count;
    }
}
