package dev.cm4j.consistency.train;

import dev.cm4j.consistency.model.Preconditioned;
import dev.cm4j.consistency.model.ToyMlpNet;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.cm4j.autodiff.Var;
import dev.cm4j.consistency.PerSample;
import dev.cm4j.consistency.model.Preconditioning;
import dev.cm4j.models.ToyMlp;
import dev.cm4j.tensor.Rng;
import dev.cm4j.tensor.Tensor;
import org.junit.jupiter.api.Test;

/** iCT evaluates the target and the online pass with the same dropout masks (Song and Dhariwal 2023, section 3.2). */
class IctMaskSharingTest {
    @Test
    void targetAndOnlinePassesShareTheirDropoutMasks() {
        // dropout 0.5 in every hidden layer, and a non-zero output layer so that the masks reach the output
        ToyMlp mlp = new ToyMlp(new ToyMlp.Config(2, 32, 2, 8, 100, 0.5f), new Rng(1));
        mlp.net().namedParameters().values().forEach(p -> new Rng(2).fillNormal(p.value().data(), p.value().offset(),
                p.value().size(), 0f, 0.5f));
        Preconditioned model = new Preconditioned(new ToyMlpNet(mlp), Preconditioning.consistency(0.5, 0.002));
        mlp.train(true);
        int batch = 64;
        Tensor x = new Rng(3).normal(batch, 2);
        Tensor z = new Rng(4).normal(batch, 2);
        float[] t = PerSample.fill(batch, 1.3);
        // identical inputs and times: with shared masks both passes compute the same function, so the loss is 0
        Var loss = ImprovedConsistencyTraining.pairLoss(model, x, null, z, t, t, PerSample.fill(batch, 1), 0.001f);
        assertEquals(0f, loss.item(), "loss of two passes with one mask");
        // two passes that draw their own masks differ: this is what sharing prevents
        Tensor first = model.forward(x, t).value();
        Tensor second = model.forward(x, t).value();
        double diff = Distance.PSEUDO_HUBER.perSample(Var.constant(first), Var.constant(second), 0.001f).mean().item();
        assertTrue(diff > 0.05, "fresh masks change the output: " + diff);
    }
}
