package dev.cm4j.consistency.metrics;

import dev.cm4j.tensor.Parallel;
import dev.cm4j.tensor.Rng;
import dev.cm4j.tensor.Tensor;
import java.util.Arrays;

/**
 * The sliced Wasserstein-p distance (Rabin et al. 2011; Bonneel et al. 2015):
 * {@code SW_p(a, b) = ( mean over directions theta of W_p^p(theta.a, theta.b) )^(1/p)}, with W_p between the 1-D
 * empirical distributions of the projections computed exactly from their quantile functions (any sizes n and m).
 *
 * <p>The directions are uniform on the unit sphere, drawn from a generator with a fixed seed, so a score is a
 * deterministic function of the two sample sets. Accumulation is in double; projections run in parallel, each into
 * its own slot, and are summed in order, so results do not depend on the thread count.
 *
 * @param projections number of random directions (e.g. 256)
 * @param p the order, 1 or 2
 * @param seed seed of the directions
 */
public record SlicedWasserstein(int projections, int p, long seed) implements SampleMetric {
    public SlicedWasserstein {
        if (projections < 1 || (p != 1 && p != 2)) {
            throw new IllegalArgumentException("SlicedWasserstein: need projections >= 1 and p in {1, 2}, got "
                    + projections + " projections, p = " + p);
        }
    }

    /** SW1 over 256 directions with seed 0. */
    public static SlicedWasserstein sw1() {
        return new SlicedWasserstein(256, 1, 0);
    }

    @Override
    public String name() {
        return "SW" + p;
    }

    @Override
    public double distance(Tensor a, Tensor b) {
        int d = SampleMetric.checkPair("SlicedWasserstein.distance", a, b);
        double[][] dirs = directions(d);
        double[] perDirection = new double[projections];
        Parallel.forRange(projections, 1, (k0, k1) -> {
            for (int k = k0; k < k1; k++) {
                perDirection[k] = wassersteinPowP(project(a, dirs[k]), project(b, dirs[k]), p);
            }
        });
        double sum = 0;
        for (double v : perDirection) {
            sum += v;
        }
        double mean = sum / projections;
        return p == 1 ? mean : Math.sqrt(mean);
    }

    /** Unit directions in R^d: normalised standard normal vectors. */
    private double[][] directions(int d) {
        Rng rng = new Rng(seed);
        double[][] dirs = new double[projections][d];
        for (double[] v : dirs) {
            double norm;
            do {
                norm = 0;
                for (int j = 0; j < d; j++) {
                    v[j] = rng.nextGaussian();
                    norm += v[j] * v[j];
                }
            } while (norm == 0);
            norm = Math.sqrt(norm);
            for (int j = 0; j < d; j++) {
                v[j] /= norm;
            }
        }
        return dirs;
    }

    /** Sorted projections of the rows of x (n, d) onto theta. */
    private static double[] project(Tensor x, double[] theta) {
        int n = x.dim(0);
        int d = theta.length;
        float[] data = x.data();
        int off = x.offset();
        double[] out = new double[n];
        for (int i = 0; i < n; i++) {
            double s = 0;
            for (int j = 0; j < d; j++) {
                s += theta[j] * data[off + i * d + j];
            }
            out[i] = s;
        }
        Arrays.sort(out);
        return out;
    }

    /**
     * W_p^p between the empirical distributions of sorted u (n points) and v (m points): the integral over q in (0, 1)
     * of |U^-1(q) - V^-1(q)|^p, where both quantile functions are step functions with steps at i/n and j/m.
     */
    static double wassersteinPowP(double[] u, double[] v, int p) {
        int n = u.length;
        int m = v.length;
        int i = 0;
        int j = 0;
        long prev = 0; // current position q, in units of 1/(n m)
        double acc = 0;
        while (i < n && j < m) {
            long nextU = (long) (i + 1) * m;
            long nextV = (long) (j + 1) * n;
            long next = Math.min(nextU, nextV);
            double diff = Math.abs(u[i] - v[j]);
            acc += (next - prev) * (p == 1 ? diff : diff * diff);
            prev = next;
            if (nextU == next) {
                i++;
            }
            if (nextV == next) {
                j++;
            }
        }
        return acc / ((double) n * m);
    }
}
