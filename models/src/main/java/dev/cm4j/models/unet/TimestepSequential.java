package dev.cm4j.models.unet;

import dev.cm4j.autodiff.Var;
import dev.cm4j.models.Layer;
import dev.cm4j.models.Module;

/**
 * ADM's {@code TimestepEmbedSequential}: modules applied in order, named "0", "1", ...; the {@link TimestepBlock}s
 * among them also receive the embedding, the plain {@link Layer}s see only the features.
 */
public final class TimestepSequential extends Module implements TimestepBlock {
    private final java.util.List<Module> modules = new java.util.ArrayList<>();

    /** Each module must be a {@link Layer} or a {@link TimestepBlock}. */
    public TimestepSequential(Module... modules) {
        for (Module m : modules) {
            add(m);
        }
    }

    /** Appends a module under the next index. */
    public TimestepSequential add(Module m) {
        if (!(m instanceof Layer) && !(m instanceof TimestepBlock)) {
            throw new IllegalArgumentException("TimestepSequential.add: " + m.getClass().getName()
                    + " is neither a Layer nor a TimestepBlock");
        }
        registerModule(Integer.toString(modules.size()), m);
        modules.add(m);
        return this;
    }

    public Module get(int i) {
        return modules.get(i);
    }

    public int size() {
        return modules.size();
    }

    @Override
    public Var forward(Var x, Var emb) {
        Var h = x;
        for (Module m : modules) {
            h = m instanceof TimestepBlock t ? t.forward(h, emb) : ((Layer) m).forward(h);
        }
        return h;
    }
}
