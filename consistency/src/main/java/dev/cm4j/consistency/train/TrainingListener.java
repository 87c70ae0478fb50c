package dev.cm4j.consistency.train;

/** Receives the loss of every completed step (for progress bars and loss plots). */
@FunctionalInterface
public interface TrainingListener {
    /** A listener that ignores everything. */
    TrainingListener NONE = (phase, step, total, loss) -> { };

    /**
     * @param phase the trainer's name ("teacher", "cd", "ict", ...)
     * @param step the number of completed steps (1 after the first)
     * @param totalSteps the number of steps of the run
     * @param loss the loss of the step just taken
     */
    void onStep(String phase, long step, long totalSteps, double loss);

    /**
     * Called once when training starts, after a resumed checkpoint was loaded: the first {@link #onStep} will report
     * {@code startStep + 1}.
     *
     * @param phase the trainer's name
     * @param startStep the steps already done (0 for a fresh run, the checkpoint's step after a resume)
     * @param totalSteps the number of steps of the run
     */
    default void onStart(String phase, long startStep, long totalSteps) {
    }
}
