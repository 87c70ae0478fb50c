package dev.cm4j.spark;

import dev.cm4j.consistency.api.Sampling;
import java.io.Serializable;

/**
 * A {@link Sampling} in a form that Spark ships to executors: the kind and its times.
 *
 * @param kind 's' times in sigma (none = one step), 'g' grid indices, 'h' Heun
 * @param sigmas the times in sigma of kind 's'
 * @param points the grid points of kinds 'g' and 'h'
 * @param ts the grid indices of kind 'g'
 */
record SamplingSpec(char kind, double[] sigmas, int points, int[] ts) implements Serializable {
    private static final long serialVersionUID = 1L;

    static SamplingSpec of(Sampling sampling) {
        return switch (sampling) {
            case Sampling.Sigmas t -> new SamplingSpec('s', t.sigmas(), 0, null);
            case Sampling.GridIndices t -> new SamplingSpec('g', null, t.points(), t.ts());
            case Sampling.Heun t -> new SamplingSpec('h', null, t.points(), null);
        };
    }

    Sampling sampling() {
        return switch (kind) {
            case 's' -> sigmas.length == 0 ? Sampling.oneStep() : Sampling.sigmas(sigmas);
            case 'g' -> Sampling.gridIndices(points, ts);
            case 'h' -> Sampling.heun(points);
            default -> throw new IllegalStateException("SamplingSpec: unknown kind " + kind);
        };
    }
}
