package dev.cm4j.consistency.noise;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;

import dev.cm4j.tensor.Rng;
import java.util.Arrays;
import org.junit.jupiter.api.Test;

/** {@link NoiseSource#perSample}: a sample's draws depend on the seed and its index, not on its batch. */
class PerSampleNoiseTest {

    /** Three draws (the shapes a two-step sampler takes) for samples first..first+count-1, concatenated per draw. */
    private static float[][] draws(long seed, long first, int count) {
        NoiseSource n = NoiseSource.perSample(new Rng(seed), first, count);
        float[][] out = {n.normal(count, 3, 5).toArray(), n.normal(count, 3, 5).toArray(), n.normal(count, 2).toArray()};
        assertEquals(3, n.draws());
        return out;
    }

    @Test
    void eachSampleKeepsItsDrawsWhateverTheBatch() {
        float[][] whole = draws(9, 0, 7);
        // the same seven samples in batches of 3, 3 and 1
        int[][] batches = {{0, 3}, {3, 3}, {6, 1}};
        for (int[] b : batches) {
            float[][] part = draws(9, b[0], b[1]);
            int[] per = {15, 15, 2};
            for (int d = 0; d < 3; d++) {
                assertArrayEquals(Arrays.copyOfRange(whole[d], b[0] * per[d], (b[0] + b[1]) * per[d]), part[d],
                        "draw " + d + " of samples " + b[0] + " + " + b[1]);
            }
        }
        // samples differ from each other and from another seed
        assertFalse(Arrays.equals(Arrays.copyOfRange(whole[0], 0, 15), Arrays.copyOfRange(whole[0], 15, 30)));
        assertFalse(Arrays.equals(whole[0], draws(10, 0, 7)[0]));
        // roughly standard normal
        double sum = 0;
        double sq = 0;
        float[] big = NoiseSource.perSample(new Rng(1), 0, 200).normal(200, 100).toArray();
        for (float v : big) {
            sum += v;
            sq += v * v;
        }
        assertEquals(0, sum / big.length, 0.03);
        assertEquals(1, sq / big.length, 0.05);
    }

    @Test
    void aDrawMustBeAlongTheSamples() {
        NoiseSource n = NoiseSource.perSample(new Rng(1), 4, 3);
        var e = assertThrows(IllegalArgumentException.class, () -> n.normal(4, 2));
        assertEquals("NoiseSource.perSample: a draw of shape [4, 2] from a source of 3 samples; the first axis must "
                + "be the samples", e.getMessage());
        var f = assertThrows(IllegalArgumentException.class, () -> NoiseSource.perSample(new Rng(1), -1, 3));
        assertEquals("NoiseSource.perSample: samples -1 + 3: the first index must be >= 0 and the count >= 1",
                f.getMessage());
    }
}
