package dev.cm4j.consistency.model;

import dev.cm4j.autodiff.Var;
import dev.cm4j.models.Module;
import dev.cm4j.models.ToyMlp;
import dev.cm4j.tensor.Rng;

/**
 * {@link ToyMlp} as a {@link NoiseConditionedNet}. It reads c_noise = ln(sigma)/4 ({@link CNoise#QUARTER_LOG}) and
 * spreads it over its embedding with its own {@code noiseScale}; it has no class conditioning.
 */
public record ToyMlpNet(ToyMlp mlp) implements NoiseConditionedNet {
    /** A freshly initialised MLP. */
    public static ToyMlpNet create(ToyMlp.Config config, Rng rng) {
        return new ToyMlpNet(new ToyMlp(config, rng));
    }

    @Override
    public Var forward(Var input, Var cNoise, int[] labels) {
        if (labels != null) {
            throw new IllegalArgumentException("ToyMlpNet.forward: the MLP is unconditional; got " + labels.length
                    + " labels");
        }
        return mlp.forward(input, cNoise);
    }

    @Override
    public CNoise cNoise() {
        return CNoise.QUARTER_LOG;
    }

    @Override
    public String architecture() {
        return "ToyMlp " + mlp.config();
    }

    @Override
    public Module module() {
        return mlp;
    }

    @Override
    public ToyMlpNet copy() {
        // the copy's own dropout generators continue from the same seeds, streams and positions
        return new ToyMlpNet(mlp.copy());
    }
}
