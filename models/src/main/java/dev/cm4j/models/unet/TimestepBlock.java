package dev.cm4j.models.unet;

import dev.cm4j.autodiff.Var;

/** A block that takes the (time + class) embedding as a second input: ADM's {@code TimestepBlock}. */
public interface TimestepBlock {
    /** x (B, C, H, W), emb (B, E) -> (B, C', H', W'). */
    Var forward(Var x, Var emb);
}
