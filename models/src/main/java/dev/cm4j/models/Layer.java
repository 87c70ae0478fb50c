package dev.cm4j.models;

import dev.cm4j.autodiff.Var;

/** A module with one input and one output, the element type of {@link Sequential}. */
public interface Layer {
    Var forward(Var x);
}
