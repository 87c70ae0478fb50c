package dev.cm4j.consistency.train;

import java.nio.file.Path;

/**
 * Training stopped because a loss or, after an update, a parameter was not finite. Nothing was saved: the newest
 * checkpoint of the run (if any) is the last good state and stays untouched.
 */
public final class TrainingDivergedException extends IllegalStateException {
    private final long step;
    private final transient Path checkpoint;

    /**
     * @param problem    what was not finite, e.g. "loss is NaN" or "tensor '0.weight' is NaN at index 5"
     * @param step       the step (0-based) whose loss or update went wrong
     * @param checkpoint the last good checkpoint of the run, or null
     * @param goodStep   the steps done in that checkpoint
     */
    public TrainingDivergedException(String phase, long step, String problem, Path checkpoint, long goodStep) {
        super(phase + ": " + problem + " at step " + step + "; stopped without saving; "
                + (checkpoint == null ? "no checkpoint of this run was saved"
                        : "the last good checkpoint is " + checkpoint + " (" + goodStep + " steps done)"));
        this.step = step;
        this.checkpoint = checkpoint;
    }

    /** The step (0-based) whose loss or update was not finite. */
    public long step() {
        return step;
    }

    /** The last good checkpoint of the run (untouched), or null. */
    public Path checkpoint() {
        return checkpoint;
    }
}
