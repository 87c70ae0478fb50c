package dev.cm4j.models;

import dev.cm4j.autodiff.Var;

/** x sigmoid(x) (Swish), the activation of the ADM U-Net. No parameters. */
public final class SiLU extends Module implements Layer {
    @Override
    public Var forward(Var x) {
        return x.silu();
    }

    @Override
    protected SiLU blank() {
        return new SiLU();
    }

    @Override
    public SiLU copy() {
        return (SiLU) super.copy();
    }
}
