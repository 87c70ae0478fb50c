package dev.cm4j.cli;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.awt.image.BufferedImage;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The loss plot's axis: a log scale only where it has numbers on it. */
class PlotsTest {

    @Test
    void aLossWithinOneDecadeIsDrawnOnALinearAxis() {
        assertFalse(Plots.logScale(0.0021, 0.0039), "a distillation loss swinging around one level");
        assertFalse(Plots.logScale(0.23, 1.59), "a teacher's loss falling by 7x");
        assertTrue(Plots.logScale(0.01, 0.1));
        assertTrue(Plots.logScale(0.002, 8.5));
        assertFalse(Plots.logScale(0, 1), "a zero loss cannot go on a log axis");
    }

    @Test
    void writesAPictureForBothKindsOfAxis(@TempDir Path dir) throws Exception {
        long[] steps = new long[200];
        double[] narrow = new double[200];
        double[] wide = new double[200];
        for (int i = 0; i < 200; i++) {
            steps[i] = i + 1;
            narrow[i] = 0.003 + 0.001 * Math.sin(i / 7.0);
            wide[i] = 2.0 * Math.exp(-i / 30.0) + 0.01;
        }
        for (double[] losses : List.of(narrow, wide)) {
            Path png = dir.resolve("loss.png");
            Files.deleteIfExists(png);
            Plots.losses(png, List.of(new Plots.Curve("run", steps, losses)));
            BufferedImage img = ImageIO.read(png.toFile());
            assertTrue(img.getWidth() == 900 && img.getHeight() == 420, img.getWidth() + "x" + img.getHeight());
        }
    }
}
