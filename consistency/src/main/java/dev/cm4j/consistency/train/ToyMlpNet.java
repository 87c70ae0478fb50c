package dev.cm4j.consistency.train;

import dev.cm4j.autodiff.Var;
import dev.cm4j.models.Module;
import dev.cm4j.models.ToyMlp;
import dev.cm4j.tensor.Rng;

/** {@link ToyMlp} as a {@link NoiseConditionedNet}. */
public record ToyMlpNet(ToyMlp mlp) implements NoiseConditionedNet {
    /** A freshly initialised MLP. */
    public static ToyMlpNet create(ToyMlp.Config config, Rng rng) {
        return new ToyMlpNet(new ToyMlp(config, rng));
    }

    @Override
    public Var forward(Var input, Var cNoise) {
        return mlp.forward(input, cNoise);
    }

    @Override
    public Module module() {
        return mlp;
    }

    @Override
    public ToyMlpNet copy() {
        // the copy's own dropout generators continue from the same seeds and positions
        ToyMlp c = new ToyMlp(mlp.config(), new Rng(0));
        c.load(mlp.stateDict());
        c.setRngPositions(mlp.rngPositions());
        c.train(mlp.isTraining());
        return new ToyMlpNet(c);
    }
}
