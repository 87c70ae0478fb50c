package dev.cm4j.consistency.data;

import static dev.cm4j.consistency.data.IdxTest.gzip;
import static dev.cm4j.consistency.data.IdxTest.idx;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.cm4j.tensor.Tensor;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class FashionMnistTest {
    @TempDir
    Path dir;

    /** A tiny data set in the real layout: n images of 28 x 28 per split with the given pixel and label bytes. */
    private void writeSplits(int n, byte[] labels) throws IOException {
        for (FashionMnist.Split s : FashionMnist.Split.values()) {
            byte[] pixels = new byte[n * 28 * 28];
            for (int i = 0; i < pixels.length; i++) {
                pixels[i] = (byte) i;
            }
            Files.write(dir.resolve(s.imagesFile()), gzip(idx(Idx.IMAGES_MAGIC, new int[] {n, 28, 28}, pixels)));
            Files.write(dir.resolve(s.labelsFile()), gzip(idx(Idx.LABELS_MAGIC, new int[] {labels.length}, labels)));
        }
    }

    @Test
    void scalesPixelsToMinusOneOneAndKeepsLabels() throws IOException {
        writeSplits(3, new byte[] {0, 9, 4});
        ImageDataset d = FashionMnist.load(dir, FashionMnist.Split.TEST);
        assertArrayEquals(new int[] {3, 1, 28, 28}, d.images().shape());
        assertArrayEquals(new int[] {0, 9, 4}, d.labels());
        assertEquals(FashionMnist.CLASSES, d.classes());
        float[] x = d.images().toArray();
        for (int i = 0; i < x.length; i++) {
            assertEquals((i & 0xFF) / 127.5f - 1f, x[i], 0f);
        }
        assertEquals(-1f, FashionMnist.scale(new byte[] {0})[0], 0f);
        assertEquals(1f, FashionMnist.scale(new byte[] {(byte) 255})[0], 0f);
    }

    @Test
    void missingDataSetIsOneErrorNamingThePathAndTheAptCommand() throws IOException {
        Path absent = dir.resolve("nowhere");
        DataFileException e = assertThrows(DataFileException.class,
                () -> FashionMnist.load(absent, FashionMnist.Split.TRAIN));
        assertEquals(absent, e.file());
        assertTrue(e.getMessage().startsWith(absent + ": Fashion-MNIST not found"), e.getMessage());
        assertTrue(e.getMessage().contains("apt-get install dataset-fashion-mnist"), e.getMessage());

        writeSplits(1, new byte[] {1});
        Files.delete(dir.resolve("t10k-labels-idx1-ubyte.gz"));
        Files.delete(dir.resolve("train-images-idx3-ubyte.gz"));
        e = assertThrows(DataFileException.class, () -> FashionMnist.load(dir, FashionMnist.Split.TRAIN));
        assertTrue(e.getMessage().contains("missing train-images-idx3-ubyte.gz, t10k-labels-idx1-ubyte.gz"),
                e.getMessage());
        assertTrue(e.getMessage().contains("apt-get install dataset-fashion-mnist"), e.getMessage());
    }

    @Test
    void refusesLabelsOutsideTheClassesAndCountMismatch() throws IOException {
        writeSplits(2, new byte[] {3, 10});
        DataFileException e = assertThrows(DataFileException.class,
                () -> FashionMnist.load(dir, FashionMnist.Split.TRAIN));
        assertEquals(dir.resolve("train-labels-idx1-ubyte.gz"), e.file());
        assertTrue(e.getMessage().contains("label 10 of image 1 is outside 0..9"), e.getMessage());

        writeSplits(2, new byte[] {3});
        e = assertThrows(DataFileException.class, () -> FashionMnist.load(dir, FashionMnist.Split.TEST));
        assertTrue(e.getMessage().contains("1 labels for the 2 images"), e.getMessage());
    }

    @Test
    void refusesImagesOfAnotherSize() throws IOException {
        writeSplits(1, new byte[] {1});
        Path f = dir.resolve("train-images-idx3-ubyte.gz");
        Files.write(f, gzip(idx(Idx.IMAGES_MAGIC, new int[] {1, 32, 32}, new byte[32 * 32])));
        DataFileException e = assertThrows(DataFileException.class,
                () -> FashionMnist.load(dir, FashionMnist.Split.TRAIN));
        assertTrue(e.getMessage().contains("images of 32 x 32 pixels; Fashion-MNIST's are 28 x 28"), e.getMessage());
    }

    @Test
    void realDataSet() throws IOException {
        assumeTrue(Files.isDirectory(FashionMnist.DEFAULT_DIR), "Fashion-MNIST is not installed at "
                + FashionMnist.DEFAULT_DIR + " (" + FashionMnist.APT_COMMAND + ")");
        for (FashionMnist.Split split : FashionMnist.Split.values()) {
            ImageDataset d = FashionMnist.load(split);
            assertEquals(split.count(), d.size(), split.name());
            assertArrayEquals(new int[] {split.count(), 1, 28, 28}, d.images().shape());
            Tensor x = d.images();
            float min = Float.POSITIVE_INFINITY;
            float max = Float.NEGATIVE_INFINITY;
            double sum = 0;
            for (float v : x.toArray()) {
                min = Math.min(min, v);
                max = Math.max(max, v);
                sum += v;
            }
            assertEquals(-1f, min, 0f);
            assertEquals(1f, max, 0f);
            // the mean pixel of Fashion-MNIST is 0.286 of full scale: 2 * 0.286 - 1 = -0.43
            double mean = sum / x.size();
            assertEquals(-0.43, mean, 0.01, split + " mean");
            // balanced classes: 6,000 per class in train, 1,000 in test
            int[] histogram = new int[10];
            for (int y : d.labels()) {
                histogram[y]++;
            }
            int[] expected = new int[10];
            java.util.Arrays.fill(expected, split.count() / 10);
            assertArrayEquals(expected, histogram, split.name());
        }
    }
}
