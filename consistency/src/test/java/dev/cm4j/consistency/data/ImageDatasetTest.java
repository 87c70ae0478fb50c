package dev.cm4j.consistency.data;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.cm4j.consistency.train.DataSource;
import dev.cm4j.tensor.Rng;
import dev.cm4j.tensor.Tensor;
import java.util.List;
import org.junit.jupiter.api.Test;

class ImageDatasetTest {
    /** n images (n, 2, 3, 4) where image i holds 1000 i + its flat index, labels i % 3. */
    private static ImageDataset numbered(int n) {
        float[] x = new float[n * 24];
        int[] y = new int[n];
        for (int i = 0; i < n; i++) {
            for (int j = 0; j < 24; j++) {
                x[i * 24 + j] = 1000 * i + j;
            }
            y[i] = i % 3;
        }
        return new ImageDataset("numbered", Tensor.wrap(x, new int[] {n, 2, 3, 4}), y, List.of("a", "b", "c"));
    }

    @Test
    void batchesAreTheSameForTheSameSeedAndPositionAndContinueOnResume() {
        ImageDataset d = numbered(50);
        DataSource src = d.source(true);
        Rng a = new Rng(7);
        DataSource.Batch first = src.batch(16, a);
        DataSource.Batch second = src.batch(16, a);
        Rng b = new Rng(7);
        assertArrayEquals(first.x().toArray(), src.batch(16, b).x().toArray());
        // a resumed generator (same seed, saved position) draws the batch the run would have drawn
        Rng resumed = new Rng(7);
        resumed.setPosition(b.position());
        DataSource.Batch again = src.batch(16, resumed);
        assertArrayEquals(second.x().toArray(), again.x().toArray());
        assertArrayEquals(second.labels(), again.labels());
        assertFalse(java.util.Arrays.equals(first.x().toArray(), second.x().toArray()));
    }

    @Test
    void flipsMirrorRowsAndLabelsFollowTheirImages() {
        ImageDataset d = numbered(20);
        DataSource.Batch plain = d.draw(64, new Rng(3), false);
        DataSource.Batch flipped = d.draw(64, new Rng(3), true);
        assertArrayEquals(plain.labels(), flipped.labels(), "flips are drawn after the indices");
        int mirrored = 0;
        for (int i = 0; i < 64; i++) {
            int image = (int) (plain.x().get(i, 0, 0, 0) / 1000);
            assertEquals(image % 3, plain.labels()[i]);
            boolean isFlipped = flipped.x().get(i, 0, 0, 0) != plain.x().get(i, 0, 0, 0);
            for (int c = 0; c < 2; c++) {
                for (int h = 0; h < 3; h++) {
                    for (int w = 0; w < 4; w++) {
                        float expected = plain.x().get(i, c, h, isFlipped ? 3 - w : w);
                        assertEquals(expected, flipped.x().get(i, c, h, w), 0f);
                    }
                }
            }
            mirrored += isFlipped ? 1 : 0;
        }
        // 64 fair coins: 32 +- 4 expected; fixed by the seed
        assertTrue(mirrored > 16 && mirrored < 48, mirrored + " of 64 flipped");
        DataSource.Batch flippedAgain = d.draw(64, new Rng(3), true);
        assertArrayEquals(flipped.x().toArray(), flippedAgain.x().toArray());
    }

    @Test
    void drawsUniformlyWithReplacement() {
        ImageDataset d = numbered(5);
        int[] counts = new int[5];
        DataSource.Batch b = d.draw(50_000, new Rng(11), false);
        for (int i = 0; i < 50_000; i++) {
            counts[(int) (b.x().get(i, 0, 0, 0) / 1000)]++;
        }
        for (int c : counts) {
            assertEquals(10_000, c, 400);
        }
    }

    @Test
    void unlabelledDataGivesNullLabels() {
        ImageDataset d = new ImageDataset("u", Tensor.zeros(4, 1, 2, 2), null, List.of());
        assertFalse(d.labelled());
        assertNull(d.source().batch(3, new Rng(1)).labels());
        assertArrayEquals(new int[] {3, 1, 2, 2}, d.source().sample(3, new Rng(1)).shape());
    }

    @Test
    void labelsAreCheckedAgainstTheClassCount() {
        Tensor x = Tensor.zeros(3, 1, 2, 2);
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> new ImageDataset("three", x, new int[] {0, 2, 1}, List.of("a", "b")));
        assertTrue(e.getMessage().contains("label 2 of image 1 is outside 0..1 (2 classes)"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class,
                () -> new ImageDataset("three", x, new int[] {0, -1, 1}, List.of("a", "b")));
        assertTrue(e.getMessage().contains("label -1 of image 1"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class,
                () -> new ImageDataset("three", x, new int[] {0, 1}, List.of("a", "b")));
        assertTrue(e.getMessage().contains("2 labels for 3 images"), e.getMessage());

        ImageDataset d = numbered(6);
        assertEquals(d, d.requireClasses(3));
        e = assertThrows(IllegalArgumentException.class, () -> d.requireClasses(2));
        assertTrue(e.getMessage().contains("has label 2 (image 2, 3 classes) but the model takes 0..1"),
                e.getMessage());
    }
}
