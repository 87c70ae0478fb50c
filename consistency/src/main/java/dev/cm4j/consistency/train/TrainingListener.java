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
}
