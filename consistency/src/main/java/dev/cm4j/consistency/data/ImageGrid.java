package dev.cm4j.consistency.data;

import dev.cm4j.models.io.Npz;
import dev.cm4j.tensor.Tensor;
import java.awt.image.BufferedImage;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import javax.imageio.ImageIO;

/** Image samples (N, C, H, W) in [-1, 1] as bytes, PNG grids and {@code .npz} archives. */
public final class ImageGrid {
    /** Pixels between the images of a grid (white). */
    private static final int GAP = 2;

    private ImageGrid() {
    }

    /**
     * Samples (N, C, H, W) in [-1, 1] as bytes (N, H, W, C), channels last, with the pixels of {@link Npz#writeImages}:
     * {@code round((x + 1) * 127.5)} clamped to 0..255 (a NaN, which the clamping samplers do not give, as 0).
     */
    public static byte[] toBytes(Tensor x) {
        if (x.rank() != 4) {
            throw new IllegalArgumentException("ImageGrid.toBytes: need images (N, C, H, W), got "
                    + Arrays.toString(x.shape()));
        }
        int n = x.dim(0);
        int c = x.dim(1);
        int h = x.dim(2);
        int w = x.dim(3);
        float[] d = x.data();
        int off = x.offset();
        byte[] out = new byte[n * h * w * c];
        for (int i = 0; i < n; i++) {
            for (int ch = 0; ch < c; ch++) {
                for (int p = 0; p < h * w; p++) {
                    float v = d[off + (i * c + ch) * h * w + p];
                    long b = Float.isNaN(v) ? 0 : Math.round((v + 1.0) * 127.5);
                    out[(i * h * w + p) * c + ch] = (byte) Math.max(0, Math.min(255, b));
                }
            }
        }
        return out;
    }

    /**
     * Writes the first {@code count} samples (N, C, H, W) in [-1, 1] as one PNG: rows of {@code columns} images, each
     * pixel drawn {@code scale} x {@code scale}, separated by white lines. One channel gives a gray image, three RGB.
     */
    public static void png(Path file, Tensor x, int count, int columns, int scale) throws IOException {
        png(file, x, count, columns, scale, GAP);
    }

    /** The first image of {@code x} (N, C, H, W) as a PNG of its own size, without a frame: an image to edit again. */
    public static void image(Path file, Tensor x) throws IOException {
        png(file, x, 1, 1, 1, 0);
    }

    /** {@link #png(Path, Tensor, int, int, int)} with {@code gap} white pixels around and between the images. */
    public static void png(Path file, Tensor x, int count, int columns, int scale, int gap) throws IOException {
        int n = Math.min(count, x.dim(0));
        int c = x.dim(1);
        int h = x.dim(2);
        int w = x.dim(3);
        if (c != 1 && c != 3) {
            throw new IllegalArgumentException("ImageGrid.png: images need 1 or 3 channels, got " + c);
        }
        int cols = Math.max(1, Math.min(columns, n));
        int rows = Math.max(1, (n + cols - 1) / cols);
        int cellW = w * scale + gap;
        int cellH = h * scale + gap;
        BufferedImage img = new BufferedImage(cols * cellW + gap, rows * cellH + gap, BufferedImage.TYPE_INT_RGB);
        for (int y = 0; y < img.getHeight(); y++) {
            for (int xx = 0; xx < img.getWidth(); xx++) {
                img.setRGB(xx, y, 0xFFFFFF);
            }
        }
        byte[] bytes = toBytes(x);
        for (int i = 0; i < n; i++) {
            int x0 = gap + (i % cols) * cellW;
            int y0 = gap + (i / cols) * cellH;
            for (int py = 0; py < h; py++) {
                for (int px = 0; px < w; px++) {
                    int at = ((i * h + py) * w + px) * c;
                    int r = bytes[at] & 0xFF;
                    int rgb = c == 1 ? r << 16 | r << 8 | r : r << 16 | (bytes[at + 1] & 0xFF) << 8 | bytes[at + 2] & 0xFF;
                    for (int sy = 0; sy < scale; sy++) {
                        for (int sx = 0; sx < scale; sx++) {
                            img.setRGB(x0 + px * scale + sx, y0 + py * scale + sy, rgb);
                        }
                    }
                }
            }
        }
        Path parent = file.toAbsolutePath().getParent();
        if (parent != null) {
            Files.createDirectories(parent);
        }
        // beside and renamed over, so a grid that is read while it is rewritten is whole
        Path tmp = file.resolveSibling(file.getFileName() + ".tmp");
        if (!ImageIO.write(img, "png", tmp.toFile())) {
            throw new IOException(file + ": no PNG writer available");
        }
        Files.move(tmp, file, java.nio.file.StandardCopyOption.REPLACE_EXISTING,
                java.nio.file.StandardCopyOption.ATOMIC_MOVE);
    }

    /**
     * Writes samples (N, C, H, W) in [-1, 1] as {@code arr_0}, uint8 (N, H, W, C), and the labels, if any, as
     * {@code arr_1} (N): the layout of the released sampling script, which {@code cm4j eval} and numpy read
     * ({@link Npz#writeImages}).
     */
    public static void npz(Path file, Tensor x, int[] labels) throws IOException {
        Npz.writeImages(file, x, labels);
    }
}
