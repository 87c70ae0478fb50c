package dev.cm4j.consistency.train;

import java.nio.file.Path;

/**
 * Where and how often a trainer saves its full state (weights, EMA, target, optimizer moments, step, generator
 * positions) for an exact resume.
 *
 * @param file the state file (safetensors with metadata), written atomically
 * @param every save after every this many steps (and always at the end)
 * @param resume continue from the file when it exists
 */
public record Checkpointing(Path file, long every, boolean resume) {
    public Checkpointing {
        if (file == null) {
            throw new IllegalArgumentException("Checkpointing: file is null");
        }
        if (every < 1) {
            throw new IllegalArgumentException("Checkpointing: interval must be >= 1 step, got " + every);
        }
    }
}
