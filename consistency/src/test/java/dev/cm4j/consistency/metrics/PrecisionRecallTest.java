package dev.cm4j.consistency.metrics;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.cm4j.tensor.Rng;
import dev.cm4j.tensor.Tensor;
import org.junit.jupiter.api.Test;

class PrecisionRecallTest {
    private static Tensor line(float... xs) {
        return Tensor.of(xs.clone(), xs.length, 1);
    }

    @Test
    void radiiAreTheDistanceToTheKthOtherPoint() {
        // points 0..9 on a line: the 3rd nearest other point is 3 away at the ends, 2 away inside
        double[] r = PrecisionRecall.paper().kthNeighbourDistances(line(0, 1, 2, 3, 4, 5, 6, 7, 8, 9));
        assertArrayEquals(new double[] {9, 4, 4, 4, 4, 4, 4, 4, 4, 9}, r, 0);
    }

    @Test
    void halfTheRealSetGeneratedGivesFullPrecisionAndPartialRecall() {
        // real 0..9, generated 0..4: every generated point is a real one (precision 1); the generated balls have
        // radii 3, 2, 2, 2, 3, so they reach real points up to 4 + 3 = 7 (boundary included): recall 8/10
        Tensor real = line(0, 1, 2, 3, 4, 5, 6, 7, 8, 9);
        Tensor gen = line(0, 1, 2, 3, 4);
        PrecisionRecall.Scores s = PrecisionRecall.paper().compute(real, gen);
        assertEquals(1.0, s.precision());
        assertEquals(0.8, s.recall());
    }

    @Test
    void pointsOutsideEveryBallCountAgainstPrecision() {
        // generated -2.5 lies in the ball of real 0 (radius 3); 12.5 and 20 lie in none (real 9 and 8 have radii 3
        // and 2); 4.5 lies between real 4 and 5: precision 2/4
        Tensor real = line(0, 1, 2, 3, 4, 5, 6, 7, 8, 9);
        Tensor gen = line(-2.5f, 4.5f, 12.5f, 20f);
        assertEquals(0.5, PrecisionRecall.paper().compute(real, gen).precision());
    }

    @Test
    void identicalSetsScoreOneAndDisjointSetsZero() {
        Tensor a = new Rng(4).normal(300, 5);
        PrecisionRecall.Scores same = PrecisionRecall.paper().compute(a, a.copy());
        assertEquals(1.0, same.precision());
        assertEquals(1.0, same.recall());
        Tensor far = a.copy();
        for (int i = 0; i < far.size(); i++) {
            far.data()[i] += 100f;
        }
        PrecisionRecall.Scores none = PrecisionRecall.paper().compute(a, far);
        assertEquals(0.0, none.precision());
        assertEquals(0.0, none.recall());
    }

    @Test
    void droppingAModeKeepsPrecisionAndHalvesRecall() {
        // real: two well separated clusters of 600 points each; generated: fresh points of the first cluster only
        Rng rng = new Rng(9);
        Tensor real = clusters(rng, 600, true);
        Tensor gen = clusters(rng, 600, false);
        PrecisionRecall.Scores s = PrecisionRecall.paper().compute(real, gen);
        assertTrue(s.precision() > 0.8, "precision " + s.precision());
        assertTrue(s.recall() > 0.4 && s.recall() <= 0.5, "recall " + s.recall());
        System.out.printf("one of two modes: precision %.4f, recall %.4f%n", s.precision(), s.recall());
    }

    /** n points of N(0, I) in 4-D, or n/2 of them and n/2 shifted by 50 along the first axis. */
    private static Tensor clusters(Rng rng, int n, boolean both) {
        Tensor t = rng.normal(n, 4);
        if (both) {
            for (int i = n / 2; i < n; i++) {
                t.data()[i * 4] += 50f;
            }
        }
        return t;
    }

    @Test
    void blocksGiveTheSameAnswerAsOneBlock() {
        // more rows than a block, so the distance matrix is computed in pieces
        Rng rng = new Rng(11);
        Tensor real = rng.normal(PrecisionRecall.BLOCK + 37, 3);
        Tensor gen = rng.normal(PrecisionRecall.BLOCK + 5, 3);
        double[] radii = PrecisionRecall.paper().kthNeighbourDistances(real);
        // brute force in double
        int inside = 0;
        for (int i = 0; i < gen.dim(0); i++) {
            boolean in = false;
            for (int j = 0; j < real.dim(0) && !in; j++) {
                double d2 = 0;
                for (int c = 0; c < 3; c++) {
                    double v = gen.get(i, c) - real.get(j, c);
                    d2 += v * v;
                }
                in = d2 <= radii[j];
            }
            inside += in ? 1 : 0;
        }
        assertEquals((double) inside / gen.dim(0), PrecisionRecall.paper().compute(real, gen).precision(), 1e-12);
    }

    @Test
    void badInputIsRefused() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> PrecisionRecall.paper().compute(Tensor.zeros(10, 2), Tensor.zeros(3, 2)));
        assertTrue(e.getMessage().contains("k = 3") && e.getMessage().contains("3 generated"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class,
                () -> PrecisionRecall.paper().compute(Tensor.zeros(10, 2), Tensor.zeros(10, 3)));
        assertTrue(e.getMessage().contains("[10, 2]") && e.getMessage().contains("[10, 3]"), e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> new PrecisionRecall(0));
    }
}
