package dev.cm4j.consistency.train;

import dev.cm4j.models.SafeTensors;
import dev.cm4j.tensor.Tensor;
import java.io.IOException;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * A trainer's state file: the tensors (weights, EMA, optimizer moments, target, loss history) as safetensors, written
 * atomically, with the scalars (step, generator positions, settings) in its string metadata.
 */
final class TrainingState {
    private TrainingState() {
    }

    /** The contents of a state file. */
    record Contents(Path file, Map<String, Tensor> tensors, Map<String, String> metadata) {
        /** The tensors whose names start with {@code prefix}, with the prefix removed. */
        Map<String, Tensor> withPrefix(String prefix) {
            Map<String, Tensor> out = new LinkedHashMap<>();
            tensors.forEach((k, v) -> {
                if (k.startsWith(prefix)) {
                    out.put(k.substring(prefix.length()), v);
                }
            });
            return out;
        }

        Tensor tensor(String name) {
            Tensor t = tensors.get(name);
            if (t == null) {
                throw new IllegalArgumentException("checkpoint " + file + ": tensor '" + name + "' is missing");
            }
            return t;
        }

        long longValue(String key) {
            String v = metadata.get(key);
            if (v == null) {
                throw new IllegalArgumentException("checkpoint " + file + ": metadata '" + key + "' is missing");
            }
            try {
                return Long.parseLong(v);
            } catch (NumberFormatException e) {
                throw new IllegalArgumentException("checkpoint " + file + ": metadata '" + key + "' = '" + v
                        + "' is not an integer", e);
            }
        }
    }

    static void write(Path file, Map<String, Tensor> tensors, Map<String, String> metadata) throws IOException {
        SafeTensors.write(file, tensors, metadata);
    }

    static Contents read(Path file) throws IOException {
        SafeTensors.Contents c = SafeTensors.read(file);
        return new Contents(file, c.tensors(), c.metadata());
    }
}
