package dev.cm4j.consistency.train;

import dev.cm4j.autodiff.Var;
import dev.cm4j.models.Module;

/**
 * The raw network F(c_in x, c_noise) inside a denoiser or consistency function, with the module that holds its
 * weights. Implementations adapt a concrete architecture (the toy MLP, a U-Net) to the training algorithms.
 */
public interface NoiseConditionedNet {
    /** F: {@code input} (B, ...) is c_in x, {@code cNoise} (B) the encoded noise levels; returns the shape of input. */
    Var forward(Var input, Var cNoise);

    /** The module whose parameters are F's weights. */
    Module module();

    /** A new network of the same architecture holding a copy of the current weights and buffers. */
    NoiseConditionedNet copy();
}
