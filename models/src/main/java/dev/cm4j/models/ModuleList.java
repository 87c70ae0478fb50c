package dev.cm4j.models;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;

/** {@code torch.nn.ModuleList}: modules held under "0", "1", ..., with no forward of its own. */
public final class ModuleList<M extends Module> extends Module {
    private final List<M> items = new ArrayList<>();

    /** Appends {@code m} under the next index and returns it. */
    public M add(M m) {
        registerModule(Integer.toString(items.size()), m);
        items.add(m);
        return m;
    }

    /** A list of the blank instances of its modules (each must implement {@link Module#blank()}). */
    @Override
    @SuppressWarnings("unchecked")
    protected ModuleList<M> blank() {
        ModuleList<M> l = new ModuleList<>();
        for (M m : items) {
            l.add((M) m.blank());
        }
        return l;
    }

    @Override
    @SuppressWarnings("unchecked")
    public ModuleList<M> copy() {
        return (ModuleList<M>) super.copy();
    }

    public M get(int i) {
        return items.get(i);
    }

    public int size() {
        return items.size();
    }

    /** The modules in index order (unmodifiable). */
    public List<M> items() {
        return Collections.unmodifiableList(items);
    }
}
