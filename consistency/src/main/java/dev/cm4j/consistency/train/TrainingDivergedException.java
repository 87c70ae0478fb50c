package dev.cm4j.consistency.train;

import java.nio.file.Path;

/** Training stopped because a loss was not finite; the state before that step was saved when checkpointing is on. */
public final class TrainingDivergedException extends IllegalStateException {
    private final long step;
    private final transient Path checkpoint;

    public TrainingDivergedException(String phase, long step, double loss, Path checkpoint) {
        super(phase + ": loss is " + loss + " at step " + step + "; "
                + (checkpoint == null ? "no checkpoint is configured"
                        : "the last good state (before step " + step + ") is saved in " + checkpoint));
        this.step = step;
        this.checkpoint = checkpoint;
    }

    /** The step (0-based) whose loss was not finite. */
    public long step() {
        return step;
    }

    /** Where the last good state was saved, or null. */
    public Path checkpoint() {
        return checkpoint;
    }
}
