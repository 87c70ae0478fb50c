package dev.cm4j.models;

import java.util.Map;
import java.util.function.Function;

/**
 * Name-to-setting tables for the named presets of the configuration records (the networks' here, the schedules' and
 * trainers' in consistency), so that a command-line option maps to a name and a wrong name is answered, in one form
 * everywhere, with the names that exist.
 */
public final class Presets {
    private Presets() {
    }

    /**
     * The preset {@code name} of {@code table} (case-insensitive keys are not assumed: names are lower case with
     * hyphens), built from {@code argument} (a step count, a dimension, or null where the presets take nothing).
     *
     * @throws IllegalArgumentException naming the kind, the name given and the names known
     */
    public static <A, T> T lookup(String kind, Map<String, Function<A, T>> table, String name, A argument) {
        Function<A, T> preset = name == null ? null : table.get(name);
        if (preset == null) {
            throw new IllegalArgumentException(kind + ": no preset named \"" + name + "\"; the presets are "
                    + String.join(", ", table.keySet().stream().sorted().toList()));
        }
        return preset.apply(argument);
    }
}
