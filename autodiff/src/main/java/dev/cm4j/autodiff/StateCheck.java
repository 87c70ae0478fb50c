package dev.cm4j.autodiff;

import dev.cm4j.tensor.Shapes;
import dev.cm4j.tensor.Tensor;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The strict comparison of a saved set of named tensors against the live ones it is about to overwrite (a module's
 * state dict, an optimizer's moments, an EMA's averages): every live name present, no other name, every shape equal.
 * Loaders call it before they copy anything, so a mismatch never leaves a half-loaded object.
 */
public final class StateCheck {
    /** Names listed per kind of problem. */
    private static final int LISTED = 12;

    private StateCheck() {
    }

    /**
     * Throws {@link IllegalArgumentException} with message {@code what + ": missing [..]; unexpected [..]; shape
     * mismatch [name: saved (..) vs live (..)]"} (only the non-empty lists) unless {@code saved} has exactly the names
     * and shapes of {@code live}; {@code liveWord} names the live side ("module", "optimizer", ...).
     */
    public static void requireMatch(String what, Map<String, Tensor> live, Map<String, Tensor> saved,
                                     String liveWord) {
        requireSameShapes(what, shapes(live), shapes(saved), liveWord);
    }

    /**
     * {@link #requireMatch} on names and shapes alone, for a saved file whose tensors are not read yet (the shapes
     * of its index) or a model that is not built yet ({@code UNet.parameterShapes}).
     */
    public static void requireSameShapes(String what, Map<String, int[]> live, Map<String, int[]> saved,
                                         String liveWord) {
        List<String> missing = new ArrayList<>();
        List<String> mismatched = new ArrayList<>();
        for (Map.Entry<String, int[]> e : live.entrySet()) {
            int[] src = saved.get(e.getKey());
            if (src == null) {
                missing.add(e.getKey());
            } else if (!Arrays.equals(src, e.getValue())) {
                mismatched.add(e.getKey() + ": saved " + Shapes.str(src) + " vs " + liveWord + " "
                        + Shapes.str(e.getValue()));
            }
        }
        List<String> unexpected = saved.keySet().stream().filter(k -> !live.containsKey(k)).toList();
        if (missing.isEmpty() && unexpected.isEmpty() && mismatched.isEmpty()) {
            return;
        }
        List<String> parts = new ArrayList<>();
        if (!missing.isEmpty()) {
            parts.add("missing " + capped(missing));
        }
        if (!unexpected.isEmpty()) {
            parts.add("unexpected " + capped(unexpected));
        }
        if (!mismatched.isEmpty()) {
            parts.add("shape mismatch " + capped(mismatched));
        }
        throw new IllegalArgumentException(what + ": " + String.join("; ", parts));
    }

    /** The first {@link #LISTED} names, and how many more: a released network has hundreds of tensors. */
    private static String capped(List<String> names) {
        return names.size() <= LISTED ? names.toString() : names.subList(0, LISTED).toString().replaceFirst("]$",
                ", ... and " + (names.size() - LISTED) + " more]");
    }

    private static Map<String, int[]> shapes(Map<String, Tensor> tensors) {
        Map<String, int[]> out = new LinkedHashMap<>();
        tensors.forEach((k, v) -> out.put(k, v.shape()));
        return out;
    }
}
