package dev.cm4j.consistency.train;

/**
 * Receives the loss of every completed step (for progress bars and loss plots) and, from the trainers that take it,
 * the global L2 norm of the step's gradients. Implement {@link #onStep(String, long, long, double)} for the loss
 * alone, or override {@link #onStep(String, long, long, double, double)} as well to receive the norm.
 */
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
     * Called instead of {@link #onStep(String, long, long, double)} by a trainer that takes the gradients' norm
     * ({@link Trainer} does, every step); the default passes the loss alone on.
     *
     * @param phase the trainer's name
     * @param step the number of completed steps (1 after the first)
     * @param totalSteps the number of steps of the run
     * @param loss the loss of the step just taken
     * @param gradNorm the global L2 norm of the step's gradients over all trained parameters, before any clipping
     *        ({@link Trainer#gradNorms()}); NaN where it was not taken
     */
    default void onStep(String phase, long step, long totalSteps, double loss, double gradNorm) {
        onStep(phase, step, totalSteps, loss);
    }

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
