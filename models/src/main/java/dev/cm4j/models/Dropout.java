package dev.cm4j.models;

import dev.cm4j.autodiff.DropoutOps;
import dev.cm4j.autodiff.Var;
import dev.cm4j.tensor.Rng;

/**
 * Inverted dropout with its own generator. Each training-mode call draws a fresh mask and advances the generator; in
 * eval mode (or with p = 0) it is the identity.
 *
 * <p>To run a second pass with the same masks (the student and target passes of iCT), save
 * {@link Module#rngPositions()} of the enclosing model before the first pass and restore it with
 * {@link Module#setRngPositions} before the second.
 */
public final class Dropout extends Module implements Layer, Stochastic {
    private final float p;
    private final Rng rng;

    /** @param rng this layer's own generator (e.g. {@code modelRng.fork(layerIndex)}); not shared with other users */
    public Dropout(float p, Rng rng) {
        if (!(p >= 0f && p < 1f)) {
            throw new IllegalArgumentException("Dropout: probability " + p + " must be in [0, 1)");
        }
        this.p = p;
        this.rng = rng;
    }

    @Override
    public Var forward(Var x) {
        if (!isTraining() || p == 0f) {
            return x;
        }
        return DropoutOps.dropout(x, p, rng);
    }

    /** A dropout layer of the same probability with a fresh generator of the same seed and stream. */
    @Override
    protected Dropout blank() {
        return new Dropout(p, new Rng(rng.seed(), rng.stream()));
    }

    @Override
    public Dropout copy() {
        return (Dropout) super.copy();
    }

    public float p() {
        return p;
    }

    /** The generator whose position selects the next mask. */
    @Override
    public Rng rng() {
        return rng;
    }
}
