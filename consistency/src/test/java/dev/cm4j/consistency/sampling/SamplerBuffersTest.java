package dev.cm4j.consistency.sampling;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.cm4j.consistency.KarrasSchedule;
import dev.cm4j.consistency.PerSample;
import dev.cm4j.consistency.model.Denoiser;
import dev.cm4j.consistency.model.Preconditioned;
import dev.cm4j.consistency.model.Preconditioning;
import dev.cm4j.consistency.model.ToyMlpNet;
import dev.cm4j.consistency.noise.NoiseSource;
import dev.cm4j.models.ToyMlp;
import dev.cm4j.tensor.BufferArena;
import dev.cm4j.tensor.BufferPool;
import dev.cm4j.tensor.Rng;
import dev.cm4j.tensor.Tensor;
import org.junit.jupiter.api.Test;

/**
 * The samplers run each step in a {@link BufferArena}: the samples are the same bits as the same steps written out
 * without arenas, they stay usable after every arena has closed, and a caller's pool is reused across calls.
 */
class SamplerBuffersTest {
    private static final double[] TAU = {80, 1.5, 0.3};
    private static final Denoiser F = new Preconditioned(ToyMlpNet.create(new ToyMlp.Config(2, 32, 2, 16, 100, 0f),
            new Rng(3)), Preconditioning.consistency(0.5, 0.002)).denoiser();
    private static final MultistepSampler SAMPLER = new MultistepSampler(KarrasSchedule.DEFAULT, false);

    /** The multistep loop without arenas: evaluate at tau_n, then add sqrt(tau_{n+1}^2 - eps^2) z. */
    private static Tensor byHand(Tensor z, NoiseSource noise) {
        int b = z.dim(0);
        double eps = KarrasSchedule.DEFAULT.sigmaMin();
        Tensor x = PerSample.scale("test", z, PerSample.fill(b, TAU[0]));
        for (int n = 0; n < TAU.length; n++) {
            x = F.denoise(x, PerSample.fill(b, TAU[n]));
            double next = n + 1 < TAU.length ? TAU[n + 1] : eps;
            Tensor zn = noise.normal(x.shape());
            x = PerSample.combine("test", x, PerSample.fill(b, 1), zn,
                    PerSample.fill(b, Math.sqrt(Math.max(0, next * next - eps * eps))));
        }
        return x;
    }

    @Test
    void samplesAreTheSameBitsAsWithoutArenasAndOutliveThem() {
        Tensor z = new Rng(1).normal(64, 2);
        Tensor expected = byHand(z, NoiseSource.of(new Rng(2)));
        assertFalse(BufferArena.isOpen());
        Tensor own = SAMPLER.sample(F, z, TAU, new Rng(2));
        assertArrayEquals(expected.toArray(), own.toArray(), "without a caller's arena");

        BufferPool pool = new BufferPool(true);
        Tensor first;
        Tensor second;
        try (BufferArena arena = pool.open()) {
            first = SAMPLER.sample(F, z, TAU, new Rng(2));
            long[] afterFirst = pool.counts();
            second = SAMPLER.sample(F, z, TAU, new Rng(2));
            long[] afterSecond = pool.counts();
            assertTrue(afterFirst[0] > 0, "the steps borrowed from the caller's pool");
            assertEquals(afterFirst[1], afterSecond[1], "the second call allocated no new arrays: " + pool);
        }
        assertArrayEquals(expected.toArray(), first.toArray(), "the caller's pool, first call");
        assertArrayEquals(expected.toArray(), second.toArray(), "the caller's pool, second call");
    }
}
