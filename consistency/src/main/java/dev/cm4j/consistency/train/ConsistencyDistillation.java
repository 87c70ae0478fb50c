package dev.cm4j.consistency.train;

import dev.cm4j.autodiff.Var;
import dev.cm4j.consistency.KarrasSchedule;
import dev.cm4j.models.Presets;
import dev.cm4j.consistency.model.Denoiser;
import dev.cm4j.consistency.model.Preconditioned;
import dev.cm4j.consistency.sampling.OdeSolver;
import dev.cm4j.models.io.TrainingState;
import dev.cm4j.tensor.Tensor;
import java.util.Map;
import java.util.function.Function;

/**
 * Consistency distillation, Algorithm 2 of Song et al. 2023 (docs/ALGORITHMS.md#consistency-distillation):
 * <pre>
 *   x ~ data, z ~ N(0, I), i ~ U{0..N-2}, x_t = x + sigma_i z      (drawn in this order, as the released code)
 *   x^ = one solver step of the frozen teacher from sigma_i to sigma_{i+1} (with {@code substeps} m > 1: m steps
 *        over the finer grid's points between them, the grid of (N - 1) m + 1 points, which holds the N points)
 *   L = d( f_theta(x_t, sigma_i), f_theta-(x^, sigma_{i+1}) )          (lambda = 1; no gradient into theta-)
 *   optimizer step; eval EMA; theta- = mu theta- + (1 - mu) theta
 * </pre>
 * The teacher is any {@link Denoiser} (a network's EMA weights in eval mode, or an exact formula); the target network
 * runs in training mode, as in the released code. theta and theta- start equal (normally copies of the teacher).
 */
public final class ConsistencyDistillation extends TargetNetworkTrainer {
    /**
     * @param n grid points N (18 for CIFAR-10, 40 for ImageNet-64)
     * @param solver HEUN (the released code) or EULER
     * @param mu target EMA rate (0 for CIFAR-10, 0.95 for ImageNet-64 and LSUN)
     * @param distance the distance d
     * @param huberC the pseudo-Huber constant (unused by L1 and L2)
     * @param grid sigmaMin, sigmaMax and rho of the grid
     * @param substeps solver steps the teacher takes between two neighbouring grid times, on the finer Karras grid
     *        of (N - 1) substeps + 1 points (which holds the N points): 1 in the paper and the released code; more
     *        gives the student's chain of N - 1 links the teacher's accuracy of a finer grid without lengthening it
     */
    public record Config(int n, OdeSolver solver, double mu, Distance distance, float huberC, KarrasSchedule grid,
                         int substeps) {
        /**
         * Most points of the teacher's grid, (N - 1) substeps + 1. Near sigma max = 80 on the default grid (rho 7)
         * neighbouring points of a grid of 10^6 lie about 4e-4 apart, 57 float ulps; at 10^8 they merge.
         */
        public static final int MAX_TEACHER_POINTS = 1_000_000;

        /** One solver step per link, as in the paper. */
        public Config(int n, OdeSolver solver, double mu, Distance distance, float huberC, KarrasSchedule grid) {
            this(n, solver, mu, distance, huberC, grid, 1);
        }

        public Config {
            if (substeps < 1) {
                throw new IllegalArgumentException("ConsistencyDistillation.Config: the teacher's substeps per link "
                        + "must be >= 1, got " + substeps);
            }
            if (n < 2) {
                throw new IllegalArgumentException("ConsistencyDistillation.Config: the grid needs N >= 2, got " + n);
            }
            if ((long) (n - 1) * substeps + 1 > MAX_TEACHER_POINTS) {
                throw new IllegalArgumentException("ConsistencyDistillation.Config: the teacher's grid of (N - 1) x "
                        + "substeps + 1 = " + ((long) (n - 1) * substeps + 1) + " points (N = " + n + ", substeps = "
                        + substeps + ") exceeds " + MAX_TEACHER_POINTS + ": neighbouring times would round to the "
                        + "same float near sigma max");
            }
            if (!(mu >= 0 && mu < 1)) {
                throw new IllegalArgumentException("ConsistencyDistillation.Config: the target EMA rate mu must be in "
                        + "[0, 1), got " + mu);
            }
            if (solver == null || distance == null || grid == null || !(huberC >= 0)) {
                throw new IllegalArgumentException("ConsistencyDistillation.Config: solver, distance and grid must be "
                        + "set and huberC >= 0");
            }
        }

        private static final Map<String, Function<Void, Config>> PRESETS = Map.of(
                "cifar10-l2", v -> cifar10L2(), "imagenet64-l2", v -> imageNet64L2(), "lsun256-l2", v -> imageNet64L2(),
                "toy2d", v -> toy2d());

        /**
         * The released CIFAR-10 L2 run: N = 18, Heun, mu = 0 (the target is the online network). The released
         * LPIPS runs use the same settings with LPIPS, which cm4j does not have.
         */
        public static Config cifar10L2() {
            return new Config(18, OdeSolver.HEUN, 0, Distance.L2, 0f, KarrasSchedule.DEFAULT);
        }

        /** The released ImageNet-64 and LSUN-256 L2 runs: N = 40, Heun, mu = 0.95. */
        public static Config imageNet64L2() {
            return new Config(40, OdeSolver.HEUN, 0.95, Distance.L2, 0f, KarrasSchedule.DEFAULT);
        }

        /**
         * The 2-D demonstration: N = 40, Heun, mu = 0.95, L2 (the ImageNet-64 run's settings). With N = 18 the student
         * learns the 18-point Heun map, which blurs the checkerboard's edges: one step scored SW1 0.0210 there against
         * 0.0096 with N = 40 (seed 0, docs/RESULTS.md#cm4j-demo--2-d-checkerboard-std-05-per-coordinate).
         * {@code ToyPipeline} distils with N = 10 and 8 teacher substeps per link over this preset instead.
         */
        public static Config toy2d() {
            return new Config(40, OdeSolver.HEUN, 0.95, Distance.L2, 0f, KarrasSchedule.DEFAULT);
        }

        /** The preset {@code cifar10-l2}, {@code imagenet64-l2}, {@code lsun256-l2} or {@code toy2d}. */
        public static Config preset(String name) {
            return Presets.lookup("ConsistencyDistillation.Config", PRESETS, name, null);
        }

        public Config withN(int v) {
            return new Config(v, solver, mu, distance, huberC, grid, substeps);
        }

        public Config withSolver(OdeSolver v) {
            return new Config(n, v, mu, distance, huberC, grid, substeps);
        }

        public Config withMu(double v) {
            return new Config(n, solver, v, distance, huberC, grid, substeps);
        }

        /** The same settings with another distance and pseudo-Huber constant (ignored by L1 and L2). */
        public Config withDistance(Distance v, float c) {
            return new Config(n, solver, mu, v, c, grid, substeps);
        }

        public Config withGrid(KarrasSchedule v) {
            return new Config(n, solver, mu, distance, huberC, v, substeps);
        }

        /** The same settings with {@code v} teacher solver steps per link. */
        public Config withSubsteps(int v) {
            return new Config(n, solver, mu, distance, huberC, grid, v);
        }

        /**
         * The record's form, without {@code substeps} where it is 1: a checkpoint records this text among its
         * settings, so the runs saved before substeps existed resume unchanged.
         */
        @Override
        public String toString() {
            return "Config[n=" + n + ", solver=" + solver + ", mu=" + mu + ", distance=" + distance + ", huberC="
                    + huberC + ", grid=" + grid + (substeps == 1 ? "" : ", substeps=" + substeps) + "]";
        }
    }

    private final Denoiser teacher;
    private final Config config;
    private final double[] sigmas;

    /**
     * @param student the consistency model f_theta (consistency preconditioning with epsilon = the grid's sigmaMin)
     * @param teacher the frozen teacher denoiser D_phi
     */
    public ConsistencyDistillation(Preconditioned student, Denoiser teacher, DataSource data, Config config,
                                   OptimConfig optim, long seed) {
        super("cd", student, config.grid(), data, optim, seed);
        // the student starts from the teacher's weights: they are the parent every checkpoint records, so a resume
        // refuses a student of another teacher (parent(...) overrides it)
        parent(TrainingState.contentHash(student.net().module().stateDict()));
        this.teacher = teacher;
        this.config = config;
        this.sigmas = config.grid().sigmas((config.n() - 1) * config.substeps() + 1);
    }

    @Override
    protected Var loss(long k) {
        int batch = optim.batch();
        DataSource.Batch drawn = data.batch(batch, rng);
        Tensor x = drawn.x();
        int[] labels = drawn.labels();
        // the released consistency_losses draws the noise before the pair indices
        Tensor z = noise.normal(x.shape());
        float[] t = new float[batch];
        float[] tNext = new float[batch];
        int m = config.substeps();
        int[] link = new int[batch];
        for (int b = 0; b < batch; b++) {
            link[b] = rng.nextInt(config.n() - 1);
            t[b] = (float) sigmas[link[b] * m];
            tNext[b] = (float) sigmas[(link[b] + 1) * m];
        }
        Tensor xt = addNoise(x, t, z);
        Tensor targetOut = withoutTape(() -> {
            Denoiser d = teacher.withLabels(labels);
            Tensor xHat = xt;
            float[] from = t;
            for (int j = 1; j <= m; j++) {
                float[] to = new float[batch];
                for (int b = 0; b < batch; b++) {
                    to[b] = (float) sigmas[link[b] * m + j];
                }
                xHat = config.solver().step(d, xHat, from, to);
                from = to;
            }
            return target.forward(xHat, tNext, labels).value();
        });
        Var online = model.forward(xt, t, labels);
        return config.distance().perSample(online, Var.constant(targetOut), config.huberC()).mean();
    }

    @Override
    protected double mu(long k) {
        return config.mu();
    }

    @Override
    protected String settings() {
        return config + " " + optim + " " + model.preconditioning();
    }
}
