package dev.cm4j.autodiff;

import dev.cm4j.tensor.Shapes;
import dev.cm4j.tensor.Tensor;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;

/**
 * The strict comparison of a saved set of named tensors against the live ones it is about to overwrite (a module's
 * state dict, an optimizer's moments, an EMA's averages): every live name present, no other name, every shape equal.
 * Loaders call it before they copy anything, so a mismatch never leaves a half-loaded object.
 */
public final class StateCheck {
    private StateCheck() {
    }

    /**
     * Throws {@link IllegalArgumentException} with message {@code what + ": missing [..]; unexpected [..]; shape
     * mismatch [name: saved (..) vs live (..)]"} (only the non-empty lists) unless {@code saved} has exactly the names
     * and shapes of {@code live}; {@code liveWord} names the live side ("module", "optimizer", ...).
     */
    public static void requireMatch(String what, Map<String, Tensor> live, Map<String, Tensor> saved,
                                     String liveWord) {
        List<String> missing = new ArrayList<>();
        List<String> mismatched = new ArrayList<>();
        for (Map.Entry<String, Tensor> e : live.entrySet()) {
            Tensor src = saved.get(e.getKey());
            if (src == null) {
                missing.add(e.getKey());
            } else if (!Arrays.equals(src.shape(), e.getValue().shape())) {
                mismatched.add(e.getKey() + ": saved " + Shapes.str(src.shape()) + " vs " + liveWord + " "
                        + Shapes.str(e.getValue().shape()));
            }
        }
        List<String> unexpected = saved.keySet().stream().filter(k -> !live.containsKey(k)).toList();
        if (missing.isEmpty() && unexpected.isEmpty() && mismatched.isEmpty()) {
            return;
        }
        List<String> parts = new ArrayList<>();
        if (!missing.isEmpty()) {
            parts.add("missing " + missing);
        }
        if (!unexpected.isEmpty()) {
            parts.add("unexpected " + unexpected);
        }
        if (!mismatched.isEmpty()) {
            parts.add("shape mismatch " + mismatched);
        }
        throw new IllegalArgumentException(what + ": " + String.join("; ", parts));
    }
}
