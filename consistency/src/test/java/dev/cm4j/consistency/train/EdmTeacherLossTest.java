package dev.cm4j.consistency.train;

import dev.cm4j.consistency.model.Preconditioned;
import dev.cm4j.consistency.model.ToyMlpNet;
import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.cm4j.consistency.model.Preconditioning;
import dev.cm4j.consistency.analytic.GaussianData;
import dev.cm4j.models.ToyMlp;
import dev.cm4j.tensor.Rng;
import org.junit.jupiter.api.Test;

/**
 * For data N(0, sd^2 I) the exact denoiser is {@code x sd^2/(sd^2 + sigma^2) = c_skip x}, so a network with a zero
 * output layer (F = 0) is already optimal, and EDM's weight makes its expected loss exactly 1 at every sigma:
 * {@code lambda E|D - x0|^2 / d = (sigma^2 + sd^2)/(sigma sd)^2 * sd^2 sigma^2/(sd^2 + sigma^2) = 1}.
 */
class EdmTeacherLossTest {
    @Test
    void optimalDenoiserHasUnitWeightedLoss() {
        GaussianData data = new GaussianData(0.5);
        Preconditioned exact = new Preconditioned(ToyMlpNet.create(new ToyMlp.Config(2, 16, 1, 8, 100, 0f),
                new Rng(1)), Preconditioning.edm(0.5));
        int batch = 8192;
        EdmTeacherTrainer trainer = new EdmTeacherTrainer(exact, (n, rng) -> data.sample(n, 2, rng),
                EdmTeacherTrainer.Config.edm(), OptimConfig.adam(3, batch, 1e-12), 5);
        trainer.train();
        // per sample the weighted loss is chi^2_2 / 2 (mean 1, variance 1): the batch mean has sd 1/sqrt(8192) = 0.011
        for (double loss : trainer.losses()) {
            assertEquals(1.0, loss, 0.045, "weighted EDM loss of the exact denoiser");
        }
        assertEquals(1.0 / 0.25 + 1.0, EdmTeacherTrainer.lambda(1.0, 0.5), 1e-12);
    }
}
