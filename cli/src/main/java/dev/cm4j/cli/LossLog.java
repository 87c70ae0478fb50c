package dev.cm4j.cli;

import dev.cm4j.consistency.train.TrainingListener;
import java.io.BufferedWriter;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;

/**
 * The loss of every step of a phase, appended to {@code <phase>.loss.csv} ({@code step,loss}) as training goes and
 * kept beside the checkpoint, so that a resumed run's plot covers the whole run.
 *
 * <p>On start the file is cut back to the step the trainer starts from: a run killed after its last checkpoint has
 * logged steps that the resumed run trains again, and a fresh start (step 0) empties it. Losses are written with
 * {@link Double#toString(double)}, which reads back to the same double.
 */
final class LossLog implements TrainingListener, AutoCloseable {
    static final String HEADER = "step,loss";

    /** The losses of a phase read back from its log, in step order. */
    record Curve(long[] steps, double[] losses) {
    }

    private final Path file;
    private BufferedWriter writer;

    LossLog(Path file) {
        this.file = file;
    }

    /** The log of {@code phase} in {@code dir}. */
    static Path file(Path dir, String phase) {
        return dir.resolve(phase + ".loss.csv");
    }

    @Override
    public void onStart(String phase, long startStep, long totalSteps) {
        try {
            List<String> kept = new ArrayList<>();
            kept.add(HEADER);
            if (startStep > 0 && Files.exists(file)) {
                for (String line : Files.readAllLines(file, StandardCharsets.UTF_8)) {
                    long step = stepOf(line);
                    if (step >= 1 && step <= startStep) {
                        kept.add(line);
                    }
                }
            }
            // rewritten beside and renamed over, so a crash here leaves the old log or the new one
            Path tmp = file.resolveSibling(file.getFileName() + ".tmp");
            Files.write(tmp, kept, StandardCharsets.UTF_8);
            Files.move(tmp, file, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
            writer = Files.newBufferedWriter(file, StandardCharsets.UTF_8, StandardOpenOption.APPEND);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write the loss log " + file + ": " + e.getMessage(), e);
        }
    }

    @Override
    public void onStep(String phase, long step, long totalSteps, double loss) {
        if (writer == null) {
            onStart(phase, step - 1, totalSteps);
        }
        try {
            writer.write(step + "," + loss + "\n");
            writer.flush(); // a step logged is a step the next resume can plot
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write the loss log " + file + ": " + e.getMessage(), e);
        }
    }

    @Override
    public void close() throws IOException {
        if (writer != null) {
            writer.close();
            writer = null;
        }
    }

    /** Reads a log back (an absent file is an empty curve); lines that are not {@code step,loss} are skipped. */
    static Curve read(Path file) throws IOException {
        if (!Files.exists(file)) {
            return new Curve(new long[0], new double[0]);
        }
        List<String> lines = Files.readAllLines(file, StandardCharsets.UTF_8);
        long[] steps = new long[lines.size()];
        double[] losses = new double[lines.size()];
        int n = 0;
        for (String line : lines) {
            long step = stepOf(line);
            if (step < 1) {
                continue;
            }
            steps[n] = step;
            losses[n] = Double.parseDouble(line.substring(line.indexOf(',') + 1).trim());
            n++;
        }
        return new Curve(java.util.Arrays.copyOf(steps, n), java.util.Arrays.copyOf(losses, n));
    }

    /** The step of a {@code step,loss} line, or -1 for the header or a malformed line (e.g. torn by a crash). */
    private static long stepOf(String line) {
        int comma = line.indexOf(',');
        if (comma < 1) {
            return -1;
        }
        try {
            long step = Long.parseLong(line.substring(0, comma).trim());
            Double.parseDouble(line.substring(comma + 1).trim());
            return step;
        } catch (NumberFormatException e) {
            return -1;
        }
    }
}
