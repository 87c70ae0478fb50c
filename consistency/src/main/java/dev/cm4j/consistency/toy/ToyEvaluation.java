package dev.cm4j.consistency.toy;

import dev.cm4j.consistency.KarrasSchedule;
import dev.cm4j.consistency.data.Toy2d;
import dev.cm4j.consistency.metrics.EnergyDistance;
import dev.cm4j.consistency.metrics.SlicedWasserstein;
import dev.cm4j.consistency.model.Denoiser;
import dev.cm4j.consistency.noise.NoiseSource;
import dev.cm4j.consistency.sampling.EdmSampler;
import dev.cm4j.consistency.sampling.MultistepSampler;
import dev.cm4j.consistency.sampling.TernarySearch;
import dev.cm4j.tensor.Rng;
import dev.cm4j.tensor.Tensor;

/**
 * Scores samplers on a 2-D toy against a fixed reference draw of the data: sliced Wasserstein-1 (256 directions) on
 * all samples and the energy distance on the first {@value #ENERGY_SAMPLES} (it costs O(n^2)), from fixed sampler
 * noise, so every method is scored on the same footing. The floor of the metric is the score of a second, independent
 * draw of the data; it fluctuates itself (SW1 of two draws of 10k Swiss-roll points ranged 0.005-0.015 over seeds),
 * which is why the default uses 20k samples.
 *
 * <p>Two-step sampling picks its middle time on a separate validation draw and is then scored on the reference.
 */
public final class ToyEvaluation {
    /** Samples used by the energy distance. */
    public static final int ENERGY_SAMPLES = 5000;
    /**
     * Grid points of the teacher's Heun sampler (2N - 1 = 127 evaluations). EDM's 18 points, enough for CIFAR-10,
     * are too few for the checkerboard's sharp edges: the same trained teachers (seeds 0-3) scored SW1 2.4-3.6x the
     * floor with 18 points and 0.8-1.8x with 40-100, where points beyond 40 changed it by at most an eighth
     * (docs/RESULTS.md#cm4j-demo--2-d-checkerboard-std-05-per-coordinate).
     */
    public static final int TEACHER_GRID_POINTS = 64;

    private final Toy2d data;
    private final int n;
    private final Tensor reference;
    private final Tensor validation;
    private final Tensor noise;
    private final Rng rng;
    private final SlicedWasserstein sw = SlicedWasserstein.sw1();
    private final EnergyDistance energy = new EnergyDistance();
    private final MultistepSampler multistep = new MultistepSampler(ToyPipeline.GRID, false);

    /** One method's samples, scores and sampling time. */
    public record Score(Tensor samples, double sw, double energy, double millis) {
    }

    public ToyEvaluation(Toy2d data, int n, long seed) {
        if (n < 2) {
            throw new IllegalArgumentException("ToyEvaluation: need at least 2 samples, got " + n);
        }
        Rng r = new Rng(seed);
        this.data = data;
        this.n = n;
        this.reference = data.sample(n, r.fork(1));
        this.validation = data.sample(n, r.fork(2));
        this.noise = r.fork(3).normal(n, 2);
        this.rng = r.fork(4);
    }

    /** The reference draw (n, 2). */
    public Tensor reference() {
        return reference;
    }

    /** Scores {@code samples} (drawn from {@link #noise()}) and records the time it took to draw them. */
    public Score score(Tensor samples, double millis) {
        int m = Math.min(ENERGY_SAMPLES, n);
        double e = energy.distance(reference.slice(0, 0, m), samples.slice(0, 0, m));
        return new Score(samples, sw.distance(reference, samples), e, millis);
    }

    /** The standard normal noise (n, 2) every sampler starts from. */
    public Tensor noise() {
        return noise;
    }

    /** The metric's floor: an independent fresh draw of the data, scored like a sampler. */
    public Score floor() {
        return score(data.sample(n, rng.fork(10)), 0);
    }

    /** The teacher's deterministic Heun sampler on the {@value #TEACHER_GRID_POINTS}-point grid. */
    public Score edm(Denoiser teacher) {
        return edm(teacher, TEACHER_GRID_POINTS);
    }

    /** The teacher's deterministic Heun sampler on a {@code gridPoints}-point grid (2 gridPoints - 1 evaluations). */
    public Score edm(Denoiser teacher, int gridPoints) {
        long t0 = System.nanoTime();
        Tensor x = EdmSampler.heun(ToyPipeline.GRID, gridPoints).sample(teacher, noise, (NoiseSource) null);
        return score(x, (System.nanoTime() - t0) / 1e6);
    }

    /** Algorithm 1 at the given times (sigmaMax first). */
    public Score consistency(Denoiser f, double... sigmas) {
        long t0 = System.nanoTime();
        Tensor x = multistep.sample(f, noise, sigmas, rng.fork(20));
        return score(x, (System.nanoTime() - t0) / 1e6);
    }

    /**
     * The middle sigma for two-step sampling: the index of the 18-point grid whose two-step samples score best on
     * the validation draw. All 16 candidates are scored (milliseconds each): the curve can have two dips, one near
     * sigmaMax where two steps act like one and one at a medium sigma, where a ternary search may stop in the wrong
     * one.
     */
    public double bestMiddleSigma(Denoiser f) {
        KarrasSchedule grid = ToyPipeline.GRID;
        int best = TernarySearch.exhaustive(0, 17, p -> sw.distance(validation, multistep.sample(f, noise,
                new double[] {grid.sigmaMax(), grid.sigma(p, 18)}, rng.fork(30)))).best();
        return grid.sigma(best, 18);
    }
}
