package dev.cm4j.consistency.train;

import dev.cm4j.models.io.CheckpointFiles;
import dev.cm4j.models.io.FileOps;
import java.nio.file.Path;

/**
 * Where and how often a trainer saves its full state (weights, EMA, target, optimizer moments, step, generator
 * positions, the run's identity) for an exact resume: one file {@code file}, the one before kept as
 * {@code file.prev} ({@link CheckpointFiles}).
 *
 * @param file the checkpoint file (safetensors with metadata)
 * @param every save after every this many steps (and always at the end)
 * @param resume continue from the file (or, when it is missing or damaged, from {@code file.prev}) when it exists
 * @param files the file operations saves go through ({@link FileOps#REAL}; a test substitutes one that fails)
 */
public record Checkpointing(Path file, long every, boolean resume, FileOps files) {
    public Checkpointing {
        if (file == null) {
            throw new IllegalArgumentException("Checkpointing: file is null");
        }
        if (every < 1) {
            throw new IllegalArgumentException("Checkpointing: interval must be >= 1 step, got " + every);
        }
        if (files == null) {
            throw new IllegalArgumentException("Checkpointing: file operations are null");
        }
    }

    /** Saves through the file system itself. */
    public Checkpointing(Path file, long every, boolean resume) {
        this(file, every, resume, FileOps.REAL);
    }

    /** The same checkpointing through other file operations. */
    public Checkpointing withFileOps(FileOps ops) {
        return new Checkpointing(file, every, resume, ops);
    }
}
