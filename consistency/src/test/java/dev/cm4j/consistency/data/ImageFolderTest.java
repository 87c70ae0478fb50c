package dev.cm4j.consistency.data;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.awt.image.BufferedImage;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ImageFolderTest {
    @TempDir
    Path dir;

    private static BufferedImage rgb(int w, int h, int argbOrRgb, int type) {
        BufferedImage img = new BufferedImage(w, h, type);
        for (int y = 0; y < h; y++) {
            for (int x = 0; x < w; x++) {
                img.setRGB(x, y, argbOrRgb);
            }
        }
        return img;
    }

    /** A gray image whose stored sample at (x, y) is v(x, y), written through the raster (no colour conversion). */
    private static BufferedImage gray(int w, int h, int[] v) {
        BufferedImage img = new BufferedImage(w, h, BufferedImage.TYPE_BYTE_GRAY);
        img.getRaster().setPixels(0, 0, w, h, v);
        return img;
    }

    private Path png(String name, BufferedImage img) throws IOException {
        Path f = dir.resolve(name);
        Files.createDirectories(f.getParent());
        assertTrue(ImageIO.write(img, "png", f.toFile()));
        return f;
    }

    @Test
    void rgbImageKeepsItsValuesScaledToMinusOneOne() throws IOException {
        png("a.png", rgb(4, 4, 0xFF8000, BufferedImage.TYPE_INT_RGB));
        ImageDataset d = ImageFolder.load(dir, ImageFolder.Options.of(4, 3));
        assertArrayEquals(new int[] {1, 3, 4, 4}, d.images().shape());
        assertEquals(1f, d.images().get(0, 0, 2, 1), 0f);
        assertEquals(128 / 127.5f - 1f, d.images().get(0, 1, 3, 3), 1e-6f);
        assertEquals(-1f, d.images().get(0, 2, 0, 0), 0f);
        // one channel: BT.601 luma
        ImageDataset g = ImageFolder.load(dir, ImageFolder.Options.of(4, 1));
        double luma = 0.299 * 255 + 0.587 * 128;
        assertEquals(luma / 127.5 - 1, g.images().get(0, 0, 1, 1), 1e-6);
        assertTrue(!g.labelled() && g.classes().isEmpty());
    }

    @Test
    void grayImageIsReadWithoutGammaAndRepeatedForRgb() throws IOException {
        int[] v = {0, 64, 128, 255};
        png("g.png", gray(2, 2, v));
        ImageDataset one = ImageFolder.load(dir, ImageFolder.Options.of(2, 1));
        ImageDataset three = ImageFolder.load(dir, ImageFolder.Options.of(2, 3));
        for (int i = 0; i < 4; i++) {
            float expected = v[i] / 127.5f - 1f;
            assertEquals(expected, one.images().get(0, 0, i / 2, i % 2), 1e-6f);
            for (int c = 0; c < 3; c++) {
                assertEquals(expected, three.images().get(0, c, i / 2, i % 2), 1e-6f);
            }
        }
    }

    @Test
    void alphaIsCompositedOnTheBackground() throws IOException {
        BufferedImage img = new BufferedImage(2, 1, BufferedImage.TYPE_INT_ARGB);
        img.setRGB(0, 0, 0x00FF0000); // fully transparent red
        img.setRGB(1, 0, 0x80FF0000); // half transparent red (alpha 128/255)
        png("t.png", img);
        ImageDataset white = ImageFolder.load(dir, new ImageFolder.Options(1, 2, 3, 0xFFFFFF, false));
        float[] x = white.images().toArray(); // (1, 3, 1, 2): R R G G B B
        double a = 128 / 255.0;
        assertArrayEquals(new float[] {1, 1, 1, (float) (2 * (1 - a) - 1), 1, (float) (2 * (1 - a) - 1)}, x, 1e-6f);
        ImageDataset black = ImageFolder.load(dir, new ImageFolder.Options(1, 2, 3, 0x000000, false));
        assertArrayEquals(new float[] {-1, (float) (2 * a - 1), -1, -1, -1, -1}, black.images().toArray(), 1e-6f);
        // one channel over a gray background: luma of the composite
        ImageDataset grey = ImageFolder.load(dir, new ImageFolder.Options(1, 2, 1, 0x808080, false));
        double bg = 128 / 255.0;
        assertArrayEquals(new float[] {(float) (2 * bg - 1), (float) (2 * (a * 0.299 + (1 - a) * bg) - 1)},
                grey.images().toArray(), 1e-6f);
    }

    @Test
    void mixedSizesAreCroppedAndAreaAveraged() throws IOException {
        // 4 x 4 -> 2 x 2 averages 2 x 2 blocks exactly
        int[] v = new int[16];
        for (int i = 0; i < 16; i++) {
            v[i] = i * 10;
        }
        png("a.png", gray(4, 4, v));
        // 6 wide x 2 high -> centre 2 x 2 (columns 2..3), then 1 : 1
        png("b.png", gray(6, 2, new int[] {0, 0, 30, 60, 0, 0, 0, 0, 90, 120, 0, 0}));
        // 1 x 1 -> 2 x 2: replication
        png("c.png", gray(1, 1, new int[] {200}));
        // 3 x 3 -> 2 x 2: footprints of 1.5 pixels; output (0, 0) = weights (2/3, 1/3) on rows and columns
        png("d.png", gray(3, 3, new int[] {90, 0, 0, 0, 0, 0, 0, 0, 0}));
        ImageDataset d = ImageFolder.load(dir, ImageFolder.Options.of(2, 1));
        assertEquals(4, d.size());
        float[] x = d.images().toArray();
        float[] expected = {
            (0 + 10 + 40 + 50) / 4f, (20 + 30 + 60 + 70) / 4f, (80 + 90 + 120 + 130) / 4f, (100 + 110 + 140 + 150) / 4f,
            30, 60, 90, 120,
            200, 200, 200, 200,
            90 * 4f / 9, 0, 0, 0};
        for (int i = 0; i < 16; i++) {
            assertEquals(expected[i] / 127.5f - 1f, x[i], 1e-5f, "pixel " + i);
        }
    }

    @Test
    void sixteenBitAndPaletteImages() throws IOException {
        BufferedImage g16 = new BufferedImage(1, 1, BufferedImage.TYPE_USHORT_GRAY);
        g16.getRaster().setPixel(0, 0, new int[] {65535 / 4});
        png("a16.png", g16);
        BufferedImage pal = new BufferedImage(1, 1, BufferedImage.TYPE_BYTE_INDEXED);
        pal.setRGB(0, 0, 0xFF0000);
        png("b-palette.png", pal);
        ImageDataset d = ImageFolder.load(dir, ImageFolder.Options.of(1, 3));
        float q = 2 * (65535 / 4) / 65535f - 1;
        assertArrayEquals(new float[] {q, q, q, 1, -1, -1}, d.images().toArray(), 1e-6f);
    }

    @Test
    void labelsFromSortedSubFoldersInSortedFileOrder() throws IOException {
        png("shoe/b.png", gray(2, 2, new int[] {1, 1, 1, 1}));
        png("shoe/a.png", gray(2, 2, new int[] {2, 2, 2, 2}));
        png("bag/z.png", gray(3, 3, new int[9]));
        png("bag/deep/y.png", gray(2, 2, new int[] {3, 3, 3, 3}));
        Files.writeString(dir.resolve("bag/notes.txt"), "ignored");
        png("coat/.hidden.png", gray(2, 2, new int[4]));
        png("coat/Q.PNG", gray(2, 2, new int[] {4, 4, 4, 4}));
        ImageDataset d = ImageFolder.load(dir, ImageFolder.Options.of(2, 1).withLabels(true));
        assertEquals(List.of("bag", "coat", "shoe"), d.classes());
        assertArrayEquals(new int[] {0, 0, 1, 2, 2}, d.labels());
        float[] firstPixels = new float[5];
        for (int i = 0; i < 5; i++) {
            firstPixels[i] = Math.round((d.images().get(i, 0, 0, 0) + 1) * 127.5f);
        }
        // bag/deep/y.png, bag/z.png, coat/Q.PNG, shoe/a.png, shoe/b.png
        assertArrayEquals(new float[] {3, 0, 4, 2, 1}, firstPixels);
        // unlabelled: the same files in the same order
        ImageDataset u = ImageFolder.load(dir, ImageFolder.Options.of(2, 1));
        assertArrayEquals(d.images().toArray(), u.images().toArray());
        // loading twice gives the same bits
        assertArrayEquals(d.images().toArray(),
                ImageFolder.load(dir, ImageFolder.Options.of(2, 1).withLabels(true)).images().toArray());
    }

    private DataFileException refused(Path expectedFile, ImageFolder.Options o, String... phrases) {
        DataFileException e = assertThrows(DataFileException.class, () -> ImageFolder.load(dir, o));
        assertEquals(expectedFile, e.file(), e.getMessage());
        for (String p : phrases) {
            assertTrue(e.getMessage().contains(p), "expected '" + p + "' in: " + e.getMessage());
        }
        return e;
    }

    @Test
    void emptyOrMissingFolderIsAnError() throws IOException {
        Files.writeString(dir.resolve("readme.txt"), "no images");
        refused(dir, ImageFolder.Options.of(8, 1), "no PNG images");
        Files.createDirectories(dir.resolve("cats"));
        refused(dir.resolve("cats"), ImageFolder.Options.of(8, 1).withLabels(true), "class folder 'cats' holds no PNG");
        Path absent = dir.resolve("absent");
        DataFileException e = assertThrows(DataFileException.class,
                () -> ImageFolder.load(absent, ImageFolder.Options.of(8, 1)));
        assertTrue(e.getMessage().equals(absent + ": no such folder"), e.getMessage());
    }

    @Test
    void imageOutsideAClassFolderIsRefusedWhenLabelled() throws IOException {
        png("cats/a.png", gray(2, 2, new int[4]));
        Path loose = png("b.png", gray(2, 2, new int[4]));
        refused(loose, ImageFolder.Options.of(2, 1).withLabels(true), "every image must be in a class sub-folder");
    }

    @Test
    void corruptAndTruncatedPngsAreRefusedNamingTheFile() throws IOException {
        png("a-good.png", rgb(8, 8, 0x123456, BufferedImage.TYPE_INT_RGB));
        Path bad = png("b-bad.png", rgb(8, 8, 0x654321, BufferedImage.TYPE_INT_RGB));
        byte[] good = Files.readAllBytes(bad);
        ImageFolder.Options o = ImageFolder.Options.of(4, 3);

        Files.write(bad, Arrays.copyOf(good, good.length - 20));
        refused(bad, o, "truncated PNG");
        Files.write(bad, Arrays.copyOf(good, 40));
        refused(bad, o, "truncated PNG");

        byte[] flipped = good.clone();
        flipped[good.length - 20] ^= 0x01; // inside the IDAT data
        Files.write(bad, flipped);
        refused(bad, o, "corrupt PNG", "has CRC");

        Files.writeString(bad, "GIF89a not a png at all");
        refused(bad, o, "not a PNG file");
        Files.write(bad, new byte[0]);
        refused(bad, o, "not a PNG file", "empty");
    }

    @Test
    void undecodablePngWithValidChunksIsRefused() throws IOException {
        Path bad = png("x.png", rgb(8, 8, 0x123456, BufferedImage.TYPE_INT_RGB));
        byte[] b = Files.readAllBytes(bad);
        // IHDR's bit depth (offset 8 + 8 + 8) set to 7, which PNG does not allow; fix the CRC so only the decoder sees it
        b[24] = 7;
        java.util.zip.CRC32 crc = new java.util.zip.CRC32();
        crc.update(b, 12, 4 + 13);
        java.nio.ByteBuffer.wrap(b).putInt(8 + 8 + 13, (int) crc.getValue());
        Files.write(bad, b);
        refused(bad, ImageFolder.Options.of(4, 3), "unreadable PNG");
    }

    @Test
    void optionsAreChecked() {
        assertThrows(IllegalArgumentException.class, () -> ImageFolder.Options.of(8, 2));
        assertThrows(IllegalArgumentException.class, () -> ImageFolder.Options.of(0, 1));
        assertThrows(IllegalArgumentException.class, () -> ImageFolder.Options.of(8, 3).withBackground(0x1000000));
    }
}
