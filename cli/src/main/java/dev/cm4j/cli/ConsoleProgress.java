package dev.cm4j.cli;

import dev.cm4j.consistency.train.TrainingListener;
import me.tongfei.progressbar.ProgressBar;
import me.tongfei.progressbar.ProgressBarBuilder;
import me.tongfei.progressbar.ProgressBarStyle;

/** A console progress bar (rate and ETA) for one training phase, showing a running mean of the loss. */
final class ConsoleProgress implements TrainingListener, AutoCloseable {
    private final ProgressBar bar;
    private double smoothed = Double.NaN;

    ConsoleProgress(String task, long steps) {
        bar = new ProgressBarBuilder()
                .setTaskName(task)
                .setInitialMax(steps)
                .setStyle(ProgressBarStyle.ASCII)
                .setUnit(" steps", 1)
                .showSpeed()
                .setUpdateIntervalMillis(250)
                .setMaxRenderedLength(110)
                .build();
    }

    @Override
    public void onStep(String phase, long step, long totalSteps, double loss) {
        // exponential running mean over about 50 steps: single-step losses are noisy
        smoothed = Double.isNaN(smoothed) ? loss : 0.98 * smoothed + 0.02 * loss;
        bar.stepTo(step);
        bar.setExtraMessage(String.format("loss %.4g", smoothed));
    }

    @Override
    public void close() {
        bar.close();
    }
}
