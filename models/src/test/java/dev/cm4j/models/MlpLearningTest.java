package dev.cm4j.models;

import dev.cm4j.autodiff.Losses;
import dev.cm4j.autodiff.NoGrad;
import dev.cm4j.autodiff.Var;
import dev.cm4j.autodiff.optim.Adam;
import dev.cm4j.tensor.Rng;
import dev.cm4j.tensor.Tensor;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertTrue;

/** An MLP learns a non-linear 2-D classification (two interleaved moons with noise) to >= 95% held-out accuracy. */
class MlpLearningTest {

    /** Two moons: class 0 on the upper arc, class 1 on the lower arc shifted right; labels one-hot. */
    static Tensor[] moons(Rng rng, int n) {
        Tensor x = Tensor.zeros(n, 2), y = Tensor.zeros(n, 2);
        for (int i = 0; i < n; i++) {
            int c = i % 2;
            double t = Math.PI * rng.nextDouble();
            double px = c == 0 ? Math.cos(t) : 1 - Math.cos(t);
            double py = c == 0 ? Math.sin(t) : 0.5 - Math.sin(t);
            x.set((float) (px + 0.1 * rng.nextGaussian()), i, 0);
            x.set((float) (py + 0.1 * rng.nextGaussian()), i, 1);
            y.set(1f, i, c);
        }
        return new Tensor[] {x, y};
    }

    static double accuracy(Sequential mlp, Tensor x, Tensor y) {
        Tensor logits;
        try (NoGrad ignored = NoGrad.enter()) {
            logits = mlp.forward(Var.constant(x)).value();
        }
        int correct = 0, n = x.dim(0);
        for (int i = 0; i < n; i++) {
            int pred = logits.get(i, 1) > logits.get(i, 0) ? 1 : 0;
            correct += y.get(i, pred) == 1f ? 1 : 0;
        }
        return (double) correct / n;
    }

    @Test
    void mlpReaches95PercentOnTwoMoons() {
        Rng rng = new Rng(2024);
        Sequential mlp = new Sequential(new Linear(2, 32, rng), new SiLU(), new Linear(32, 32, rng), new SiLU(),
                new Linear(32, 2, rng));
        Tensor[] train = moons(rng.fork(1), 512);
        Tensor[] test = moons(rng.fork(2), 1000);
        Adam opt = new Adam(mlp.namedParameters(), 1e-2);
        double before = accuracy(mlp, test[0], test[1]);
        for (int step = 0; step < 300; step++) {
            opt.zeroGrad();
            Var loss = Losses.crossEntropy(mlp.forward(Var.constant(train[0])), Var.constant(train[1]));
            loss.backward();
            opt.step();
        }
        double after = accuracy(mlp, test[0], test[1]);
        assertTrue(after >= 0.95, "held-out accuracy " + after + " (before training " + before + ")");
    }
}
