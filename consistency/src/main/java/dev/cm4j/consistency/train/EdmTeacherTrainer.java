package dev.cm4j.consistency.train;

import dev.cm4j.autodiff.Losses;
import dev.cm4j.autodiff.Var;
import dev.cm4j.models.Presets;
import dev.cm4j.consistency.model.Preconditioned;
import dev.cm4j.tensor.Tensor;
import java.util.Map;
import java.util.function.Function;

/**
 * Trains the EDM teacher D_phi (Karras et al. 2022, section 5 and Table 1; docs/ALGORITHMS.md#edm-teacher-loss): ln sigma ~
 * N(P_mean, P_std^2), n ~ N(0, sigma^2 I), loss {@code lambda(sigma) ||D(x + n, sigma) - x||^2} with
 * {@code lambda = (sigma^2 + sd^2) / (sigma sd)^2}, averaged over the sample's elements (the PyTorch CM reduction)
 * and the batch. The model must use the EDM preconditioning (epsilon = 0).
 */
public final class EdmTeacherTrainer extends Trainer {
    /**
     * @param pMean mean of ln sigma (-1.2)
     * @param pStd standard deviation of ln sigma (1.2)
     */
    public record Config(double pMean, double pStd) {
        public Config {
            if (!Double.isFinite(pMean) || !(pStd > 0) || !Double.isFinite(pStd)) {
                throw new IllegalArgumentException("EdmTeacherTrainer.Config: need a finite P_mean and P_std > 0, got "
                        + pMean + ", " + pStd);
            }
        }

        private static final Map<String, Function<Void, Config>> PRESETS = Map.of("edm", v -> edm());

        /** EDM's P_mean -1.2, P_std 1.2. */
        public static Config edm() {
            return new Config(-1.2, 1.2);
        }

        /** The preset {@code edm} (the only one). */
        public static Config preset(String name) {
            return Presets.lookup("EdmTeacherTrainer.Config", PRESETS, name, null);
        }

        public Config withPMean(double v) {
            return new Config(v, pStd);
        }

        public Config withPStd(double v) {
            return new Config(pMean, v);
        }
    }

    private final Config config;

    public EdmTeacherTrainer(Preconditioned model, DataSource data, Config config, OptimConfig optim, long seed) {
        super("teacher", model, data, optim, seed);
        if (model.preconditioning().epsilon() != 0) {
            throw new IllegalArgumentException("EdmTeacherTrainer: the teacher uses the EDM preconditioning "
                    + "(epsilon = 0), got epsilon = " + model.preconditioning().epsilon());
        }
        this.config = config;
    }

    /** EDM's loss weight lambda(sigma) = 1/sigma^2 + 1/sd^2. */
    public static double lambda(double sigma, double sigmaData) {
        return (sigma * sigma + sigmaData * sigmaData) / (sigma * sigma * sigmaData * sigmaData);
    }

    @Override
    protected Var loss(long k) {
        int batch = optim.batch();
        DataSource.Batch drawn = data.batch(batch, rng);
        Tensor x0 = drawn.x();
        Tensor lnSigma = noise.normal(batch);
        float[] sigma = new float[batch];
        float[] weight = new float[batch];
        double sd = model.preconditioning().sigmaData();
        for (int b = 0; b < batch; b++) {
            sigma[b] = (float) Math.exp(config.pMean() + config.pStd() * lnSigma.data()[b]);
            weight[b] = (float) lambda(sigma[b], sd);
        }
        Tensor noisy = addNoise(x0, sigma, noise.normal(x0.shape()));
        Var denoised = model.forward(noisy, sigma, drawn.labels());
        return weightedMean(Losses.msePerSample(denoised, Var.constant(x0)), weight);
    }

    @Override
    protected String settings() {
        return config + " " + optim + " " + model.preconditioning();
    }
}
