package dev.cm4j.consistency.data;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.cm4j.tensor.Rng;
import dev.cm4j.tensor.Tensor;
import java.util.Arrays;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

class Toy2dTest {
    @ParameterizedTest
    @EnumSource(Toy2d.class)
    void standardisedToMeanZeroAndStdHalf(Toy2d toy) {
        int n = 400_000;
        Tensor x = toy.sample(n, new Rng(1));
        assertArrayEquals(new int[] {n, 2}, x.shape());
        for (int c = 0; c < 2; c++) {
            double s = 0;
            double s2 = 0;
            for (int i = 0; i < n; i++) {
                double v = x.get(i, c);
                s += v;
                s2 += v * v;
            }
            double mean = s / n;
            double sd = Math.sqrt(s2 / n - mean * mean);
            // sampling error of the std at n = 400k is about 0.5/sqrt(2n) = 5.6e-4
            assertEquals(0, mean, 0.004, toy + " mean of coordinate " + c);
            assertEquals(0.5, sd, 0.003, toy + " std of coordinate " + c);
        }
    }

    @ParameterizedTest
    @EnumSource(Toy2d.class)
    void drawsAreReproducibleFromTheSeed(Toy2d toy) {
        assertArrayEquals(toy.sample(1000, new Rng(7)).toArray(), toy.sample(1000, new Rng(7)).toArray());
        assertFalse(Arrays.equals(toy.sample(1000, new Rng(7)).toArray(), toy.sample(1000, new Rng(8)).toArray()));
    }

    @Test
    void shapesHaveTheirStructure() {
        // eight Gaussians: every point lies near one of 8 centres on a circle
        Tensor g = Toy2d.EIGHT_GAUSSIANS.sample(5000, new Rng(2));
        double scale = 0.5 / Math.sqrt(2.0 + 0.01);
        int[] hits = new int[8];
        for (int i = 0; i < 5000; i++) {
            double x = g.get(i, 0) / scale;
            double y = g.get(i, 1) / scale;
            double a = Math.atan2(y, x);
            int k = (int) Math.floorMod(Math.round(a / (2 * Math.PI / 8)), 8);
            double cx = 2 * Math.cos(2 * Math.PI * k / 8);
            double cy = 2 * Math.sin(2 * Math.PI * k / 8);
            assertTrue(Math.hypot(x - cx, y - cy) < 0.6, "point " + i + " far from every centre");
            hits[k]++;
        }
        for (int h : hits) {
            assertTrue(h > 500, "each mode gets about 1/8 of the points: " + Arrays.toString(hits));
        }
        // checkerboard: raw coordinates fall only on squares where floor(x) + floor(y) is even
        Tensor c = Toy2d.CHECKERBOARD.sample(5000, new Rng(3));
        double cs = 0.5 / Math.sqrt(16.0 / 12);
        for (int i = 0; i < 5000; i++) {
            int fx = (int) Math.floor(c.get(i, 0) / cs);
            int fy = (int) Math.floor(c.get(i, 1) / cs);
            assertEquals(0, Math.floorMod(fx + fy, 2), "checkerboard point " + i + " on a white square");
        }
    }

    @Test
    void parsesCommandLineNames() {
        assertEquals(Toy2d.TWO_MOONS, Toy2d.parse("moons"));
        assertEquals(Toy2d.EIGHT_GAUSSIANS, Toy2d.parse("8gaussians"));
        assertEquals(Toy2d.SWISS_ROLL, Toy2d.parse("swiss-roll"));
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> Toy2d.parse("spirals"));
        assertTrue(e.getMessage().contains("spirals"), e.getMessage());
    }
}
