package dev.cm4j.models;

import dev.cm4j.tensor.Rng;

/**
 * A module that draws random numbers of its own in its forward pass (dropout). Its generator's seed and stream
 * identify the run's draws and its position selects the next one: {@link Module#rngs()},
 * {@link Module#rngPositions()} and {@link Module#setRngPositions} reach every stochastic descendant through this
 * interface, so a checkpoint, a replayed pass (iCT's student and target) and {@link Module#copy()} see the same
 * generators.
 */
public interface Stochastic {
    /** This module's own generator (live, not a copy); not shared with any other consumer. */
    Rng rng();
}
