package dev.cm4j.models;

import dev.cm4j.autodiff.Var;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;

/** Layers applied in order, named "0", "1", ... as in {@code torch.nn.Sequential}. */
public final class Sequential extends Module implements Layer {
    private final List<Layer> layers = new ArrayList<>();

    public Sequential(Layer... layers) {
        for (Layer l : layers) {
            add(l);
        }
    }

    /** Appends a layer under the next index; every layer must be a {@link Module}. */
    public Sequential add(Layer layer) {
        if (!(layer instanceof Module m)) {
            throw new IllegalArgumentException("Sequential.add: " + layer.getClass().getName() + " is not a Module");
        }
        registerModule(Integer.toString(layers.size()), m);
        layers.add(layer);
        return this;
    }

    public Layer get(int i) {
        return layers.get(i);
    }

    public int size() {
        return layers.size();
    }

    public List<Layer> layers() {
        return Collections.unmodifiableList(layers);
    }

    /** A Sequential of the blank instances of its layers (each must implement {@link Module#blank()}). */
    @Override
    protected Sequential blank() {
        Sequential s = new Sequential();
        for (Layer l : layers) {
            s.add((Layer) ((Module) l).blank());
        }
        return s;
    }

    @Override
    public Sequential copy() {
        return (Sequential) super.copy();
    }

    @Override
    public Var forward(Var x) {
        Var h = x;
        for (Layer l : layers) {
            h = l.forward(h);
        }
        return h;
    }
}
