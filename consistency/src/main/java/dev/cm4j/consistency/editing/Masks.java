package dev.cm4j.consistency.editing;

import dev.cm4j.consistency.data.ImageFolder;
import dev.cm4j.tensor.Rng;
import dev.cm4j.tensor.Tensor;
import java.io.IOException;
import java.nio.file.Path;
import java.util.Arrays;

/**
 * Pixel masks for inpainting, (C, H, W) with 1 on the pixels to keep and 0 on the hole the model fills (the
 * {@code known} of {@link Edit#inpainting}); every channel of a pixel is kept or filled together.
 */
public final class Masks {
    private Masks() {
    }

    /**
     * Everything kept but the given boxes, each {@code {top, left, height, width}} in pixels; a box must lie inside
     * the image.
     */
    public static Tensor boxes(int channels, int height, int width, int[]... boxes) {
        float[] keep = filled(channels, height, width);
        for (int[] b : boxes) {
            if (b.length != 4 || b[0] < 0 || b[1] < 0 || b[2] < 1 || b[3] < 1 || b[0] + b[2] > height
                    || b[1] + b[3] > width) {
                throw new IllegalArgumentException("Masks.boxes: box " + Arrays.toString(b) + " (top, left, height, "
                        + "width) does not lie inside the " + height + "x" + width + " image");
            }
            for (int y = b[0]; y < b[0] + b[2]; y++) {
                for (int x = b[1]; x < b[1] + b[3]; x++) {
                    hole(keep, channels, height, width, y, x);
                }
            }
        }
        return Tensor.wrap(keep, new int[] {channels, height, width});
    }

    /**
     * A mask drawn as a PNG of exactly {@code height x width} pixels: white (luma at least one half) is the hole,
     * black is kept. Transparent pixels count as black (kept).
     */
    public static Tensor png(Path file, int channels, int height, int width) throws IOException {
        int[] size = ImageFolder.pngSize(file);
        if (size[0] != height || size[1] != width) {
            throw new IllegalArgumentException("Masks.png: " + file + " is " + size[0] + "x" + size[1]
                    + " pixels, the images are " + height + "x" + width);
        }
        float[] gray = ImageFolder.image(file, new ImageFolder.Options(height, width, 1, 0x000000, false)).data();
        float[] keep = filled(channels, height, width);
        for (int y = 0; y < height; y++) {
            for (int x = 0; x < width; x++) {
                if (gray[y * width + x] >= 0) {
                    hole(keep, channels, height, width, y, x);
                }
            }
        }
        return Tensor.wrap(keep, new int[] {channels, height, width});
    }

    /**
     * {@code count} random brush strokes, each a walk of 4 to 8 segments with a round brush of diameter
     * {@code brush} pixels, drawn from {@code seed} (the same seed gives the same mask).
     */
    public static Tensor strokes(int channels, int height, int width, long seed, int count, int brush) {
        if (count < 0 || brush < 1 || brush > Math.max(height, width)) {
            throw new IllegalArgumentException("Masks.strokes: need count >= 0 and a brush in [1, "
                    + Math.max(height, width) + "] pixels, got count " + count + ", brush " + brush);
        }
        float[] keep = filled(channels, height, width);
        Rng rng = new Rng(seed);
        float[] u = new float[2];
        double r = brush / 2.0;
        for (int s = 0; s < count; s++) {
            rng.fillUniform(u, 0, 2, 0, 1);
            double y = u[0] * height;
            double x = u[1] * width;
            rng.fillUniform(u, 0, 1, 0, 1);
            int segments = 4 + (int) (u[0] * 5);
            for (int k = 0; k < segments; k++) {
                rng.fillUniform(u, 0, 2, 0, 1);
                double angle = 2 * Math.PI * u[0];
                double length = (0.1 + 0.2 * u[1]) * Math.max(height, width);
                double y1 = Math.min(height - 1, Math.max(0, y + length * Math.sin(angle)));
                double x1 = Math.min(width - 1, Math.max(0, x + length * Math.cos(angle)));
                // stamp the brush along the segment every half pixel
                int stamps = (int) Math.ceil(2 * Math.hypot(y1 - y, x1 - x)) + 1;
                for (int i = 0; i <= stamps; i++) {
                    double cy = y + (y1 - y) * i / stamps;
                    double cx = x + (x1 - x) * i / stamps;
                    for (int py = (int) Math.floor(cy - r); py <= (int) Math.ceil(cy + r); py++) {
                        for (int px = (int) Math.floor(cx - r); px <= (int) Math.ceil(cx + r); px++) {
                            boolean inside = py >= 0 && py < height && px >= 0 && px < width;
                            if (inside && Math.hypot(py + 0.5 - cy, px + 0.5 - cx) <= r) {
                                hole(keep, channels, height, width, py, px);
                            }
                        }
                    }
                }
                y = y1;
                x = x1;
            }
        }
        return Tensor.wrap(keep, new int[] {channels, height, width});
    }

    /** The fraction of pixels in the hole. */
    public static double holeFraction(Tensor known) {
        float[] d = known.data();
        int zeros = 0;
        for (int i = 0; i < known.size(); i++) {
            zeros += d[known.offset() + i] == 0 ? 1 : 0;
        }
        return zeros / (double) known.size();
    }

    private static float[] filled(int channels, int height, int width) {
        if (channels < 1 || height < 1 || width < 1) {
            throw new IllegalArgumentException("Masks: need a positive size, got " + channels + "x" + height + "x"
                    + width);
        }
        float[] keep = new float[channels * height * width];
        Arrays.fill(keep, 1);
        return keep;
    }

    private static void hole(float[] keep, int channels, int height, int width, int y, int x) {
        for (int c = 0; c < channels; c++) {
            keep[(c * height + y) * width + x] = 0;
        }
    }
}
