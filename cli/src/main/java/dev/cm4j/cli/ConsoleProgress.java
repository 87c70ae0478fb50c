package dev.cm4j.cli;

import dev.cm4j.consistency.train.TrainingListener;
import java.io.Console;
import java.io.PrintStream;
import java.time.Duration;
import java.util.Locale;
import me.tongfei.progressbar.ProgressBar;
import me.tongfei.progressbar.ProgressBarBuilder;
import me.tongfei.progressbar.ProgressBarStyle;

/**
 * The progress of one training phase (rate, ETA, a running mean of the loss and, where the trainer reports it, of the
 * gradients' norm with the largest norm since the previous line), or of other long work counted in its own unit
 * (samples drawn), where a step reports the loss NaN and no loss is shown.
 *
 * <p>On a terminal it is a bar redrawn in place. Without one (output to a file or a pipe) a bar's carriage returns
 * would join every redraw into one line, so it prints one complete line every tenth of the phase or every
 * {@value #LINE_SECONDS} seconds, whichever comes first, and the final line once. A resumed phase says so and starts
 * at the step it resumed from; the rate counts only the steps trained in this process.
 */
final class ConsoleProgress implements TrainingListener, AutoCloseable {
    /** The longest a non-terminal run stays silent. */
    static final long LINE_SECONDS = 30;

    private final String task;
    private final long steps;
    private final String unit;
    private final boolean terminal;
    private final PrintStream out;
    private ProgressBar bar;
    private double smoothed = Double.NaN;
    private double smoothedNorm = Double.NaN;
    private double maxNormSinceLine = Double.NaN;
    private long startStep = -1;
    private long startNanos;
    private long lastStep;
    private long lastLineNanos;
    private long lastLineStep;
    private boolean finalLinePrinted;

    /** Progress on {@code System.out}, a bar when it is a terminal. */
    ConsoleProgress(String task, long steps) {
        this(task, steps, isTerminal(), System.out);
    }

    /**
     * @param terminal draw a bar redrawn in place; false prints complete lines
     */
    ConsoleProgress(String task, long steps, boolean terminal, PrintStream out) {
        this(task, steps, "steps", terminal, out);
    }

    /**
     * @param unit what is counted, plural ("steps", "samples")
     * @param terminal draw a bar redrawn in place; false prints complete lines
     */
    ConsoleProgress(String task, long steps, String unit, boolean terminal, PrintStream out) {
        this.task = task;
        this.steps = steps;
        this.unit = unit;
        this.terminal = terminal;
        this.out = out;
    }

    /** Whether standard output is an interactive terminal (JDK 22+ has a console even when it is redirected). */
    static boolean isTerminal() {
        Console c = System.console();
        if (c == null) {
            return false;
        }
        try {
            return (Boolean) Console.class.getMethod("isTerminal").invoke(c);
        } catch (ReflectiveOperationException e) {
            return true; // JDK 21: a console exists only for a terminal
        }
    }

    @Override
    public void onStart(String phase, long start, long totalSteps) {
        startStep = start;
        lastStep = start;
        lastLineStep = start;
        startNanos = System.nanoTime();
        lastLineNanos = startNanos;
        if (start > 0) {
            out.printf("%s: resumed from step %d of %d%n", task, start, totalSteps);
        }
        if (terminal) {
            bar = new ProgressBarBuilder()
                    .setTaskName(task)
                    .setInitialMax(steps)
                    .startsFrom(start, Duration.ZERO) // the rate counts only the steps trained here
                    .setStyle(ProgressBarStyle.ASCII)
                    .setUnit(" " + unit, 1)
                    .showSpeed()
                    .setUpdateIntervalMillis(250)
                    .setMaxRenderedLength(110)
                    .build();
        }
    }

    @Override
    public void onStep(String phase, long step, long totalSteps, double loss, double gradNorm) {
        if (!Double.isNaN(gradNorm)) {
            smoothedNorm = Double.isNaN(smoothedNorm) ? gradNorm : 0.98 * smoothedNorm + 0.02 * gradNorm;
            maxNormSinceLine = Double.isNaN(maxNormSinceLine) ? gradNorm : Math.max(maxNormSinceLine, gradNorm);
        }
        onStep(phase, step, totalSteps, loss);
    }

    @Override
    public void onStep(String phase, long step, long totalSteps, double loss) {
        if (startStep < 0) {
            onStart(phase, step - 1, totalSteps); // a trainer that did not announce its start
        }
        // exponential running mean over about 50 steps: single-step losses are noisy
        smoothed = Double.isNaN(smoothed) ? loss : 0.98 * smoothed + 0.02 * loss;
        lastStep = step;
        if (terminal) {
            bar.stepTo(step);
            if (!Double.isNaN(smoothed)) {
                bar.setExtraMessage(String.format(Locale.ROOT, "loss %.4g", smoothed) + (Double.isNaN(smoothedNorm)
                        ? "" : String.format(Locale.ROOT, ", grad norm %.3g", smoothedNorm)));
            }
            return;
        }
        long now = System.nanoTime();
        long tenth = Math.max(1, steps / 10);
        boolean crossedTenth = step / tenth > lastLineStep / tenth;
        if (step == steps || crossedTenth || now - lastLineNanos >= LINE_SECONDS * 1_000_000_000L) {
            line(now);
        }
    }

    /**
     * One complete line: steps, percentage, rate of this process, elapsed and remaining time, smoothed loss, smoothed
     * gradient norm and the largest since the previous line.
     */
    private void line(long now) {
        lastLineNanos = now;
        lastLineStep = lastStep;
        double seconds = (now - startNanos) / 1e9;
        long trained = lastStep - startStep;
        double rate = seconds > 0 ? trained / seconds : 0;
        String eta = rate > 0 ? clock((steps - lastStep) / rate) : "?";
        String loss = Double.isNaN(smoothed) ? "" : String.format(Locale.ROOT, ", loss %.4g", smoothed);
        String norm = Double.isNaN(smoothedNorm) ? ""
                : String.format(Locale.ROOT, ", grad norm %.3g (max %.3g)", smoothedNorm, maxNormSinceLine);
        out.printf(Locale.ROOT, "%s %3d%% %d/%d %s, %.1f %s/s, %s elapsed, %s left%s%s%n", task,
                steps == 0 ? 100 : (int) (100 * lastStep / steps), lastStep, steps, unit, rate, unit, clock(seconds), eta,
                loss, norm);
        maxNormSinceLine = Double.NaN;
        if (lastStep == steps) {
            finalLinePrinted = true;
        }
    }

    private static String clock(double seconds) {
        long s = Math.round(seconds);
        return String.format("%d:%02d:%02d", s / 3600, s / 60 % 60, s % 60);
    }

    @Override
    public void close() {
        if (bar != null) {
            bar.close();
        } else if (!terminal && startStep >= 0 && !finalLinePrinted && lastStep > lastLineStep) {
            line(System.nanoTime()); // stopped early (an error): say where
        }
    }
}
