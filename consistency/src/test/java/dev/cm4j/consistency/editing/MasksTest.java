package dev.cm4j.consistency.editing;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.cm4j.tensor.Tensor;
import java.awt.image.BufferedImage;
import java.nio.file.Path;
import java.util.Arrays;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Inpainting masks: boxes, PNG drawings and seeded strokes. */
class MasksTest {
    @Test
    void boxesCutExactlyTheirPixelsInEveryChannel() {
        Tensor m = Masks.boxes(3, 6, 8, new int[] {1, 2, 2, 3});
        assertEquals(3 * 6 / (3.0 * 48), Masks.holeFraction(m), 1e-12);
        for (int c = 0; c < 3; c++) {
            assertEquals(0, m.get(c, 1, 2));
            assertEquals(0, m.get(c, 2, 4));
            assertEquals(1, m.get(c, 0, 2));
            assertEquals(1, m.get(c, 3, 4));
            assertEquals(1, m.get(c, 1, 5));
        }
    }

    @Test
    void pngMasksHoleTheWhitePixelsAndRefuseOtherSizes(@TempDir Path dir) throws Exception {
        BufferedImage img = new BufferedImage(8, 8, BufferedImage.TYPE_INT_RGB);
        img.setRGB(3, 5, 0xFFFFFF);
        img.setRGB(0, 0, 0x404040);
        Path file = dir.resolve("mask.png");
        ImageIO.write(img, "png", file.toFile());
        Tensor m = Masks.png(file, 1, 8, 8);
        assertEquals(0, m.get(0, 5, 3), "white is the hole");
        assertEquals(1, m.get(0, 0, 0), "dark gray is kept");
        assertEquals(1 / 64.0, Masks.holeFraction(m), 1e-12);
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> Masks.png(file, 1, 16, 16));
        assertTrue(e.getMessage().contains("8x8") && e.getMessage().contains("16x16"), e.getMessage());
    }

    @Test
    void strokesDependOnlyOnTheSeed() {
        Tensor a = Masks.strokes(1, 32, 32, 9, 3, 3);
        Tensor b = Masks.strokes(1, 32, 32, 9, 3, 3);
        Tensor c = Masks.strokes(1, 32, 32, 10, 3, 3);
        assertArrayEquals(a.toArray(), b.toArray());
        assertFalse(Arrays.equals(a.toArray(), c.toArray()));
        double hole = Masks.holeFraction(a);
        assertTrue(hole > 0.02 && hole < 0.9, "three strokes of a 3-pixel brush cover " + hole);
        assertEquals(0, Masks.holeFraction(Masks.strokes(1, 32, 32, 9, 0, 3)));
    }
}
