package dev.cm4j.consistency.data;

import dev.cm4j.tensor.Rng;
import dev.cm4j.tensor.Tensor;

/**
 * Two-dimensional toy distributions for testing generative models where the truth can be seen, each standardised to
 * mean 0 and standard deviation 0.5 per coordinate (sigma_data = 0.5, as the consistency models assume).
 *
 * <p>The standardisation constants are the exact mean and standard deviation of each raw distribution, derived below
 * for each shape, so every draw of any size comes from the same fixed distribution.
 */
public enum Toy2d {
    /** Eight Gaussians (std 0.1) on a circle of radius 2, as in the FFJORD / flow-matching toys. */
    EIGHT_GAUSSIANS {
        private static final double R = 2;
        private static final double NOISE = 0.1;

        @Override
        void raw(Rng rng, double[] xy) {
            int k = rng.nextInt(8);
            double a = 2 * Math.PI * k / 8;
            xy[0] = R * Math.cos(a) + NOISE * rng.nextGaussian();
            xy[1] = R * Math.sin(a) + NOISE * rng.nextGaussian();
        }

        @Override
        double[] moments() {
            // E[cos^2] over the 8 angles is 1/2: var = R^2/2 + noise^2 per coordinate, means 0
            double sd = Math.sqrt(R * R / 2 + NOISE * NOISE);
            return new double[] {0, 0, sd, sd};
        }
    },
    /** Two interleaved half circles (scikit-learn's make_moons) with Gaussian noise 0.05. */
    TWO_MOONS {
        private static final double NOISE = 0.05;

        @Override
        void raw(Rng rng, double[] xy) {
            double t = Math.PI * rng.nextDouble();
            if (rng.nextInt(2) == 0) {
                xy[0] = Math.cos(t);
                xy[1] = Math.sin(t);
            } else {
                xy[0] = 1 - Math.cos(t);
                xy[1] = 0.5 - Math.sin(t);
            }
            xy[0] += NOISE * rng.nextGaussian();
            xy[1] += NOISE * rng.nextGaussian();
        }

        @Override
        double[] moments() {
            // t ~ U(0, pi): E cos t = 0, E cos^2 t = 1/2, E sin t = 2/pi, E sin^2 t = 1/2.
            // x: upper moon cos t (mean 0), lower 1 - cos t (mean 1) -> mean 1/2, E x^2 = (1/2 + (1 + 1/2)) / 2 = 1
            // y: upper sin t (mean 2/pi), lower 1/2 - sin t (mean 1/2 - 2/pi) -> mean 1/4,
            //    E y^2 = (1/2 + (1/4 - 2/pi + 1/2)) / 2 = 5/8 - 1/pi
            double varX = 1 - 0.25 + NOISE * NOISE;
            double varY = 5.0 / 8 - 1 / Math.PI - 1.0 / 16 + NOISE * NOISE;
            return new double[] {0.5, 0.25, Math.sqrt(varX), Math.sqrt(varY)};
        }
    },
    /** The 2-D Swiss roll: (t cos t, t sin t) with t = 1.5 pi (1 + 2u), u ~ U(0,1), plus Gaussian noise 0.25. */
    SWISS_ROLL {
        private static final double NOISE = 0.25;
        private static final double A = 1.5 * Math.PI;
        private static final double B = 4.5 * Math.PI;

        @Override
        void raw(Rng rng, double[] xy) {
            double t = A + (B - A) * rng.nextDouble();
            xy[0] = t * Math.cos(t) + NOISE * rng.nextGaussian();
            xy[1] = t * Math.sin(t) + NOISE * rng.nextGaussian();
        }

        @Override
        double[] moments() {
            // t uniform on [A, B]; antiderivatives of t cos t, t sin t, t^2 cos^2 t, t^2 sin^2 t
            double l = B - A;
            double mx = (fc(B) - fc(A)) / l;
            double my = (fs(B) - fs(A)) / l;
            double ex2 = (gc(B) - gc(A)) / l;
            double ey2 = (gs(B) - gs(A)) / l;
            return new double[] {mx, my, Math.sqrt(ex2 - mx * mx + NOISE * NOISE),
                Math.sqrt(ey2 - my * my + NOISE * NOISE)};
        }

        // d/dt [cos t + t sin t] = t cos t
        private double fc(double t) {
            return Math.cos(t) + t * Math.sin(t);
        }

        // d/dt [sin t - t cos t] = t sin t
        private double fs(double t) {
            return Math.sin(t) - t * Math.cos(t);
        }

        // t^2 cos^2 t = t^2/2 + t^2 cos(2t)/2; integral of t^2 cos 2t = t^2 sin2t/2 + t cos2t/2 - sin2t/4
        private double gc(double t) {
            return t * t * t / 6 + 0.5 * (t * t * Math.sin(2 * t) / 2 + t * Math.cos(2 * t) / 2 - Math.sin(2 * t) / 4);
        }

        private double gs(double t) {
            return t * t * t / 3 - gc(t);
        }
    },
    /** A 4 x 4 checkerboard on [-2, 2]^2: uniform on the 8 squares where floor(x) + floor(y) is even. */
    CHECKERBOARD {
        @Override
        void raw(Rng rng, double[] xy) {
            int cell = rng.nextInt(8);
            int row = cell / 2;
            int col = 2 * (cell % 2) + (row % 2);
            xy[0] = col - 2 + rng.nextDouble();
            xy[1] = row - 2 + rng.nextDouble();
        }

        @Override
        double[] moments() {
            // each column and each row holds two squares: x and y are uniform on [-2, 2], variance 16/12
            double sd = Math.sqrt(16.0 / 12);
            return new double[] {0, 0, sd, sd};
        }
    };

    /** The standard deviation of every coordinate after standardisation. */
    public static final double STD = 0.5;

    /** Draws one point of the raw (unstandardised) distribution. */
    abstract void raw(Rng rng, double[] xy);

    /** Exact {mean x, mean y, sd x, sd y} of the raw distribution. */
    abstract double[] moments();

    /** Draws {@code n} points (n, 2), standardised to mean 0 and std 0.5 per coordinate. */
    public Tensor sample(int n, Rng rng) {
        if (n < 0) {
            throw new IllegalArgumentException("Toy2d.sample: n must be >= 0, got " + n);
        }
        double[] m = moments();
        float[] out = new float[2 * n];
        double[] xy = new double[2];
        for (int i = 0; i < n; i++) {
            raw(rng, xy);
            out[2 * i] = (float) ((xy[0] - m[0]) / m[2] * STD);
            out[2 * i + 1] = (float) ((xy[1] - m[1]) / m[3] * STD);
        }
        return Tensor.wrap(out, new int[] {n, 2});
    }

    /** The data set by its command-line name: 8gaussians, moons, swissroll, checkerboard (or the enum name). */
    public static Toy2d parse(String name) {
        String k = name.toLowerCase(java.util.Locale.ROOT).replace("_", "").replace("-", "");
        return switch (k) {
            case "8gaussians", "eightgaussians" -> EIGHT_GAUSSIANS;
            case "moons", "twomoons" -> TWO_MOONS;
            case "swissroll" -> SWISS_ROLL;
            case "checkerboard" -> CHECKERBOARD;
            default -> throw new IllegalArgumentException("Toy2d.parse: unknown data set '" + name
                    + "'; use 8gaussians, moons, swissroll or checkerboard");
        };
    }
}
