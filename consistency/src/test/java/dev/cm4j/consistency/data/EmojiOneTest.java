package dev.cm4j.consistency.data;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.cm4j.tensor.Tensor;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** EmojiOne from Debian's ruby-gemojione: all 1,794 images, transparency over white, 64 -> 32 by box averaging. */
class EmojiOneTest {
    private static void assumeInstalled() {
        assumeTrue(Files.isDirectory(EmojiOne.DEFAULT_DIR), "EmojiOne is not installed at " + EmojiOne.DEFAULT_DIR
                + " (" + EmojiOne.APT_COMMAND + ")");
    }

    @Test
    void loadsEveryImageAsRgbInRange() throws Exception {
        assumeInstalled();
        ImageDataset d = EmojiOne.load(EmojiOne.DEFAULT_DIR, 32, EmojiOne.WHITE);
        assertArrayEquals(new int[] {1794, 3, 32, 32}, d.images().shape());
        assertTrue(d.images().min(false).item() >= -1 && d.images().max(false).item() <= 1);
        assertEquals(false, d.labelled());
    }

    @Test
    void theGrinningFaceIsYellowOnWhite(@TempDir Path dir) throws Exception {
        assumeInstalled();
        Files.copy(EmojiOne.DEFAULT_DIR.resolve("1F600.png"), dir.resolve("1F600.png"));
        Tensor x = EmojiOne.load(dir, 32, EmojiOne.WHITE).images();
        for (int c = 0; c < 3; c++) {
            assertEquals(1f, x.get(0, c, 0, 0), 1e-6, "a transparent corner is white, channel " + c);
        }
        // the forehead, row 8 of 32 at the centre: yellow, red and green high, blue low
        float r = x.get(0, 0, 8, 16);
        float g = x.get(0, 1, 8, 16);
        float b = x.get(0, 2, 8, 16);
        assertTrue(r > 0.5 && g > 0.2 && b < 0, "forehead colour " + r + ", " + g + ", " + b);
    }

    @Test
    void aMissingFolderNamesThePackage(@TempDir Path dir) {
        DataFileException e = assertThrows(DataFileException.class,
                () -> EmojiOne.load(dir.resolve("absent"), 32, EmojiOne.WHITE));
        assertTrue(e.getMessage().contains("ruby-gemojione") && e.getMessage().contains("absent"), e.getMessage());
    }
}
