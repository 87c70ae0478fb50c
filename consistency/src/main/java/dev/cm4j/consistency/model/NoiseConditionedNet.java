package dev.cm4j.consistency.model;

import dev.cm4j.autodiff.Var;
import dev.cm4j.models.Module;

/**
 * The raw network F(c_in x, c_noise[, label]) inside a denoiser or consistency function, with the module that holds
 * its weights. Implementations adapt a concrete architecture (the toy MLP, a U-Net) to the samplers and trainers and
 * declare the noise encoding the network was built or trained for.
 */
public interface NoiseConditionedNet {
    /**
     * F: {@code input} (B, ...) is c_in x, {@code cNoise} (B) the noise levels encoded by {@link #cNoise()},
     * {@code labels} (B) the class of each sample, or null for an unconditional network; returns the shape of input.
     */
    Var forward(Var input, Var cNoise, int[] labels);

    /** The c_noise encoding this network expects (docs/ALGORITHMS.md#noise-conditioning). */
    CNoise cNoise();

    /** Number of class labels the network is conditioned on; 0 for an unconditional network. */
    default int numClasses() {
        return 0;
    }

    /**
     * What the network is, for a checkpoint's identity: a resume into a network that describes itself otherwise is
     * refused. By default the module's class and its parameter shapes; adapters give their configuration record and
     * c_noise encoding.
     */
    default String architecture() {
        StringBuilder shapes = new StringBuilder();
        module().namedParameters().forEach((k, v) -> shapes.append(shapes.isEmpty() ? "" : ", ").append(k)
                .append(java.util.Arrays.toString(v.value().shape())));
        return module().getClass().getSimpleName() + " {" + shapes + "} c_noise " + cNoise();
    }

    /** The module whose parameters are F's weights. */
    Module module();

    /** A new network of the same architecture holding a copy of the current weights, buffers and generators. */
    NoiseConditionedNet copy();
}
