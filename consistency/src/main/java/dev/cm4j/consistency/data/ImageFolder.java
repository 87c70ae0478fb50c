package dev.cm4j.consistency.data;

import dev.cm4j.tensor.Tensor;
import java.awt.image.BufferedImage;
import java.awt.image.ColorModel;
import java.awt.image.ComponentColorModel;
import java.awt.image.Raster;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.stream.Stream;
import java.util.zip.CRC32;
import javax.imageio.ImageIO;

/**
 * A folder of PNG images of any sizes, grayscale or colour, as an {@link ImageDataset} of one size and channel count
 * for a model: (N, C, H, W) float32 in [-1, 1].
 *
 * <p><b>Files.</b> Every {@code *.png} (any case) under the folder, sub-folders included, sorted by their path
 * relative to it; names starting with '.' are skipped, other files ignored. With {@link Options#labelled()} each
 * immediate sub-folder is a class: classes are the sub-folders' names sorted, label k naming the k-th; every image
 * must then lie in a class sub-folder and every class hold one image at least.
 *
 * <p><b>Pixels.</b> Values as stored in the file, each sample divided by its maximum (255 at 8 bits, 65535 at 16),
 * with no colour-space or gamma conversion. Transparency is composited over {@link Options#background()}
 * ({@code a * c + (1 - a) * bg}); colour to one channel is the ITU-R BT.601 luma {@code 0.299 R + 0.587 G + 0.114 B}
 * (as PIL's {@code convert("L")}); gray to three channels repeats the gray.
 *
 * <p><b>Resizing.</b> Each image is cropped at its centre to the target's aspect ratio (whole pixels), then resampled
 * by area averaging: an output pixel is the mean of the source over its footprint, partly covered source pixels
 * weighted by the covered fraction (OpenCV's {@code INTER_AREA}; exact box averaging for whole-number factors,
 * pixel replication when enlarging by whole-number factors). Computed in double, separably, so the result depends on
 * nothing but the file. Then {@code x = 2 v - 1}.
 *
 * <p><b>Errors.</b> A missing or empty folder, an empty class, a file that is not a PNG, is truncated (its chunks
 * do not end with IEND) or corrupt (a chunk's CRC differs, or the decoder refuses it) throws
 * {@link DataFileException} naming the folder or file and the problem; nothing is returned half-loaded.
 */
public final class ImageFolder {
    private static final byte[] PNG_SIGNATURE = {(byte) 0x89, 'P', 'N', 'G', '\r', '\n', 0x1a, '\n'};

    private ImageFolder() {
    }

    /**
     * What to make of the images.
     *
     * @param height output height in pixels
     * @param width output width in pixels
     * @param channels 1 (gray) or 3 (RGB)
     * @param background the colour under transparent pixels, 0xRRGGBB
     * @param labelled whether the immediate sub-folders are classes
     */
    public record Options(int height, int width, int channels, int background, boolean labelled) {
        public Options {
            if (height < 1 || width < 1) {
                throw new IllegalArgumentException("ImageFolder.Options: size must be >= 1, got " + height + " x "
                        + width);
            }
            if (channels != 1 && channels != 3) {
                throw new IllegalArgumentException("ImageFolder.Options: channels must be 1 or 3, got " + channels);
            }
            if ((background & ~0xFFFFFF) != 0) {
                throw new IllegalArgumentException(String.format(
                        "ImageFolder.Options: background must be 0xRRGGBB, got 0x%x", background));
            }
        }

        /** Square images of {@code size}, {@code channels} channels, black background, unlabelled. */
        public static Options of(int size, int channels) {
            return new Options(size, size, channels, 0x000000, false);
        }

        public Options withBackground(int rgb) {
            return new Options(height, width, channels, rgb, labelled);
        }

        public Options withLabels(boolean labelled) {
            return new Options(height, width, channels, background, labelled);
        }
    }

    /** Loads every PNG under {@code dir} as {@code options} says (see the class comment). */
    public static ImageDataset load(Path dir, Options options) throws IOException {
        if (!Files.isDirectory(dir)) {
            throw new DataFileException(dir, Files.exists(dir) ? "not a folder" : "no such folder");
        }
        List<Path> files = new ArrayList<>();
        List<Integer> labels = new ArrayList<>();
        List<String> classes = new ArrayList<>();
        if (options.labelled()) {
            for (Path f : sortedEntries(dir)) {
                if (Files.isDirectory(f)) {
                    List<Path> pngs = pngsUnder(f);
                    if (pngs.isEmpty()) {
                        throw new DataFileException(f, "class folder '" + f.getFileName()
                                + "' holds no PNG images (*.png)");
                    }
                    for (Path p : pngs) {
                        files.add(p);
                        labels.add(classes.size());
                    }
                    classes.add(f.getFileName().toString());
                } else if (isPng(f)) {
                    throw new DataFileException(f, "lies directly in " + dir
                            + "; with labels from sub-folders every image must be in a class sub-folder");
                }
            }
        } else {
            files.addAll(pngsUnder(dir));
        }
        if (files.isEmpty()) {
            throw new DataFileException(dir, "no PNG images (*.png) in this folder"
                    + (options.labelled() ? " (labelled: none in class sub-folders)" : " or its sub-folders"));
        }
        int per = options.channels() * options.height() * options.width();
        float[] out = new float[Math.multiplyExact(files.size(), per)];
        for (int i = 0; i < files.size(); i++) {
            float[] img = convert(files.get(i), options);
            System.arraycopy(img, 0, out, i * per, per);
        }
        int[] y = options.labelled() ? labels.stream().mapToInt(Integer::intValue).toArray() : null;
        return new ImageDataset("PNG folder " + dir, Tensor.wrap(out, new int[] {files.size(), options.channels(),
            options.height(), options.width()}), y, classes);
    }

    /** One PNG file as a batch of one image (1, C, H, W) in [-1, 1], converted as {@code o} says (class comment). */
    public static Tensor image(Path file, Options o) throws IOException {
        return Tensor.wrap(convert(file, o), new int[] {1, o.channels(), o.height(), o.width()});
    }

    /** The stored size of a PNG file, {height, width}, checked as {@link #load} checks its files. */
    public static int[] pngSize(Path file) throws IOException {
        BufferedImage img = decode(file);
        return new int[] {img.getHeight(), img.getWidth()};
    }

    private static BufferedImage decode(Path file) throws IOException {
        byte[] bytes = Files.readAllBytes(file);
        checkPngChunks(file, bytes);
        BufferedImage img;
        try {
            img = ImageIO.read(new ByteArrayInputStream(bytes));
        } catch (IOException | RuntimeException e) {
            throw new DataFileException(file, "unreadable PNG (" + e + ")", e);
        }
        if (img == null) {
            throw new DataFileException(file, "unreadable PNG (no decoder accepts it)");
        }
        return img;
    }

    /** One image file as (C, H, W) in [-1, 1], flattened. */
    static float[] convert(Path file, Options o) throws IOException {
        BufferedImage img = decode(file);
        int h = img.getHeight();
        int w = img.getWidth();
        double[][] planes = pixels(img, o);
        // centre crop to the target's aspect ratio, in whole pixels
        int ch = h;
        int cw = w;
        if ((long) w * o.height() > (long) h * o.width()) {
            cw = (int) Math.max(1, Math.round((double) h * o.width() / o.height()));
        } else {
            ch = (int) Math.max(1, Math.round((double) w * o.height() / o.width()));
        }
        int y0 = (h - ch) / 2;
        int x0 = (w - cw) / 2;
        int area = o.height() * o.width();
        float[] out = new float[o.channels() * area];
        for (int c = 0; c < o.channels(); c++) {
            double[] r = resizeArea(planes[c], w, y0, x0, ch, cw, o.height(), o.width());
            for (int i = 0; i < area; i++) {
                out[c * area + i] = (float) (2 * r[i] - 1);
            }
        }
        return out;
    }

    /** The image's pixels in [0, 1] as {@code o.channels()} planes (H*W each), composited over the background. */
    private static double[][] pixels(BufferedImage img, Options o) {
        int h = img.getHeight();
        int w = img.getWidth();
        ColorModel cm = img.getColorModel();
        Raster raster = img.getRaster();
        int bands = raster.getNumBands();
        double[] bg = {(o.background() >> 16 & 0xFF) / 255.0, (o.background() >> 8 & 0xFF) / 255.0,
            (o.background() & 0xFF) / 255.0};
        double[][] out = new double[o.channels()][h * w];
        double[] rgba = new double[4];
        int[] row = new int[w * bands];
        // A ComponentColorModel (gray, gray+alpha, RGB, RGBA at 8 or 16 bits) is read from the raster: getRGB would
        // convert a linear gray colour space to sRGB and change the values. Palettes and packed pixels are 8-bit
        // sRGB, where getRGB returns the stored values.
        boolean alpha = cm.hasAlpha();
        int colours = bands - (alpha ? 1 : 0);
        boolean direct = cm instanceof ComponentColorModel && (colours == 1 || colours == 3);
        if (!direct) {
            colours = 3;
        }
        double[] max = new double[bands];
        for (int b = 0; b < bands && direct; b++) {
            max[b] = (1L << cm.getComponentSize(b)) - 1;
        }
        for (int y = 0; y < h; y++) {
            if (direct) {
                raster.getPixels(0, y, w, 1, row);
            }
            for (int x = 0; x < w; x++) {
                if (direct) {
                    int s = x * bands;
                    for (int b = 0; b < colours; b++) {
                        rgba[b] = row[s + b] / max[b];
                    }
                    rgba[3] = alpha ? row[s + colours] / max[colours] : 1;
                    if (alpha && cm.isAlphaPremultiplied() && rgba[3] > 0) {
                        for (int b = 0; b < colours; b++) {
                            rgba[b] = Math.min(1, rgba[b] / rgba[3]);
                        }
                    }
                    if (colours == 1) {
                        rgba[1] = rgba[0];
                        rgba[2] = rgba[0];
                    }
                } else {
                    int argb = img.getRGB(x, y);
                    rgba[0] = (argb >> 16 & 0xFF) / 255.0;
                    rgba[1] = (argb >> 8 & 0xFF) / 255.0;
                    rgba[2] = (argb & 0xFF) / 255.0;
                    rgba[3] = (argb >>> 24) / 255.0;
                }
                double a = rgba[3];
                int i = y * w + x;
                if (o.channels() == 3) {
                    for (int c = 0; c < 3; c++) {
                        out[c][i] = a * rgba[c] + (1 - a) * bg[c];
                    }
                } else {
                    // a gray source keeps its value (r = g = b); luma is linear, so compositing commutes with it
                    double v = colours == 1 ? rgba[0] : luma(rgba[0], rgba[1], rgba[2]);
                    out[0][i] = a * v + (1 - a) * luma(bg[0], bg[1], bg[2]);
                }
            }
        }
        return out;
    }

    private static double luma(double r, double g, double b) {
        return 0.299 * r + 0.587 * g + 0.114 * b;
    }

    /**
     * Area-averaging resample of the crop (ch, cw) at (y0, x0) of a plane of width {@code w} to (dh, dw).
     * Output pixel (i, j) covers source rows [i ch/dh, (i+1) ch/dh) and columns [j cw/dw, (j+1) cw/dw).
     */
    static double[] resizeArea(double[] src, int w, int y0, int x0, int ch, int cw, int dh, int dw) {
        double[][] wx = areaWeights(cw, dw);
        double[][] wy = areaWeights(ch, dh);
        int[] fx = firstSource(cw, dw);
        int[] fy = firstSource(ch, dh);
        // columns first: (ch, dw)
        double[] tmp = new double[ch * dw];
        for (int r = 0; r < ch; r++) {
            int s = (y0 + r) * w + x0;
            for (int j = 0; j < dw; j++) {
                double acc = 0;
                for (int k = 0; k < wx[j].length; k++) {
                    acc += wx[j][k] * src[s + fx[j] + k];
                }
                tmp[r * dw + j] = acc;
            }
        }
        double[] out = new double[dh * dw];
        for (int i = 0; i < dh; i++) {
            for (int k = 0; k < wy[i].length; k++) {
                double wk = wy[i][k];
                int s = (fy[i] + k) * dw;
                for (int j = 0; j < dw; j++) {
                    out[i * dw + j] += wk * tmp[s + j];
                }
            }
        }
        return out;
    }

    /** For each output index j, the first source index its footprint touches. */
    private static int[] firstSource(int n, int m) {
        int[] f = new int[m];
        for (int j = 0; j < m; j++) {
            f[j] = (int) ((long) j * n / m);
        }
        return f;
    }

    /** For each output index j of m, the weights of the source pixels (of n) under [j n/m, (j+1) n/m), summing to 1. */
    private static double[][] areaWeights(int n, int m) {
        double[][] weights = new double[m][];
        for (int j = 0; j < m; j++) {
            // footprint in units of 1/m source pixels, exact in integers: [j n, (j+1) n)
            long lo = (long) j * n;
            long hi = lo + n;
            int first = (int) (lo / m);
            int last = (int) ((hi - 1) / m);
            double[] wj = new double[last - first + 1];
            for (int s = first; s <= last; s++) {
                long a = Math.max(lo, (long) s * m);
                long b = Math.min(hi, (long) (s + 1) * m);
                wj[s - first] = (double) (b - a) / n;
            }
            weights[j] = wj;
        }
        return weights;
    }

    /**
     * Walks the PNG chunk structure: signature, then chunks of (length, type, data, CRC-32 of type and data) up to
     * IEND. Catches truncation and corruption the decoder would not notice (it reads no further than the pixels).
     */
    private static void checkPngChunks(Path file, byte[] b) throws DataFileException {
        if (b.length < PNG_SIGNATURE.length || !java.util.Arrays.equals(b, 0, PNG_SIGNATURE.length, PNG_SIGNATURE,
                0, PNG_SIGNATURE.length)) {
            throw new DataFileException(file, "not a PNG file (no PNG signature"
                    + (b.length == 0 ? "; the file is empty)" : ")"));
        }
        ByteBuffer buf = ByteBuffer.wrap(b);
        int pos = PNG_SIGNATURE.length;
        boolean first = true;
        while (true) {
            if (b.length - pos < 12) {
                throw new DataFileException(file, "truncated PNG: " + (b.length - pos)
                        + " bytes left at offset " + pos + " where a chunk should start; no IEND chunk");
            }
            long len = buf.getInt(pos) & 0xFFFFFFFFL;
            String type = new String(b, pos + 4, 4, StandardCharsets.ISO_8859_1);
            if (first && !type.equals("IHDR")) {
                throw new DataFileException(file, "corrupt PNG: the first chunk is '" + printable(type)
                        + "', not IHDR");
            }
            first = false;
            if (len > b.length - pos - 12) {
                throw new DataFileException(file, "truncated PNG: chunk '" + printable(type) + "' at offset " + pos
                        + " announces " + len + " bytes, " + (b.length - pos - 12) + " remain");
            }
            CRC32 crc = new CRC32();
            crc.update(b, pos + 4, 4 + (int) len);
            long stored = buf.getInt(pos + 8 + (int) len) & 0xFFFFFFFFL;
            if (crc.getValue() != stored) {
                throw new DataFileException(file, String.format(
                        "corrupt PNG: chunk '%s' at offset %d has CRC 0x%08x, its data gives 0x%08x",
                        printable(type), pos, stored, crc.getValue()));
            }
            pos += 12 + (int) len;
            if (type.equals("IEND")) {
                return;
            }
        }
    }

    private static String printable(String type) {
        return type.chars().allMatch(c -> c >= 0x20 && c < 0x7f) ? type : "?".repeat(type.length());
    }

    private static boolean isPng(Path f) {
        String name = f.getFileName().toString();
        return !name.startsWith(".") && name.toLowerCase(Locale.ROOT).endsWith(".png") && Files.isRegularFile(f);
    }

    /** The folder's entries (hidden ones skipped) sorted by name. */
    private static List<Path> sortedEntries(Path dir) throws IOException {
        try (Stream<Path> s = Files.list(dir)) {
            return s.filter(p -> !p.getFileName().toString().startsWith("."))
                    .sorted((a, b) -> a.getFileName().toString().compareTo(b.getFileName().toString()))
                    .toList();
        }
    }

    /** Every PNG under {@code dir}, hidden files and folders skipped, sorted by relative path ('/'-separated). */
    private static List<Path> pngsUnder(Path dir) throws IOException {
        List<Path> out = new ArrayList<>();
        collect(dir, out);
        return out;
    }

    // depth first over entries sorted by name gives the order of the relative paths compared segment by segment
    private static void collect(Path dir, List<Path> out) throws IOException {
        for (Path p : sortedEntries(dir)) {
            if (Files.isDirectory(p)) {
                collect(p, out);
            } else if (isPng(p)) {
                out.add(p);
            }
        }
    }
}
