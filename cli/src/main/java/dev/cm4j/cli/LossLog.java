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
import java.util.Arrays;
import java.util.List;

/**
 * The loss of every step of a phase and the global L2 norm of its gradients, appended to {@code <phase>.loss.csv}
 * ({@code step,loss,grad_norm}) as training goes and kept beside the checkpoint, so that a resumed run's plot covers
 * the whole run. The norm is the one the trainer takes before any clipping ({@code Trainer.gradNorms()}); its field is
 * empty where the trainer reported none. Logs of the earlier two-column form ({@code step,loss}) read back with no
 * norms, and a resume keeps their lines.
 *
 * <p>On start the file is cut back to the step the trainer starts from: a run killed after its last checkpoint has
 * logged steps that the resumed run trains again, and a fresh start (step 0) empties it. Losses are written with
 * {@link Double#toString(double)}, which reads back to the same double.
 */
final class LossLog implements TrainingListener, AutoCloseable {
    static final String HEADER = "step,loss,grad_norm";

    /** The losses and gradient norms (NaN where a line has none) of a phase read back from its log, in step order. */
    record Curve(long[] steps, double[] losses, double[] gradNorms) {
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
        onStep(phase, step, totalSteps, loss, Double.NaN);
    }

    @Override
    public void onStep(String phase, long step, long totalSteps, double loss, double gradNorm) {
        if (writer == null) {
            onStart(phase, step - 1, totalSteps);
        }
        try {
            writer.write(step + "," + loss + "," + (Double.isNaN(gradNorm) ? "" : Double.toString(gradNorm)) + "\n");
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

    /**
     * Reads a log back (an absent file is an empty curve); the header and lines that are not {@code step,loss} or
     * {@code step,loss,grad_norm} (e.g. torn by a crash) are skipped.
     */
    static Curve read(Path file) throws IOException {
        if (!Files.exists(file)) {
            return new Curve(new long[0], new double[0], new double[0]);
        }
        List<String> lines = Files.readAllLines(file, StandardCharsets.UTF_8);
        long[] steps = new long[lines.size()];
        double[] losses = new double[lines.size()];
        double[] norms = new double[lines.size()];
        int n = 0;
        for (String line : lines) {
            double[] fields = parse(line);
            if (fields == null) {
                continue;
            }
            steps[n] = (long) fields[0];
            losses[n] = fields[1];
            norms[n] = fields[2];
            n++;
        }
        return new Curve(Arrays.copyOf(steps, n), Arrays.copyOf(losses, n), Arrays.copyOf(norms, n));
    }

    /** The step of a log line, or -1 for the header or a malformed line. */
    private static long stepOf(String line) {
        double[] fields = parse(line);
        return fields == null ? -1 : (long) fields[0];
    }

    /**
     * {@code {step, loss, norm}} of a {@code step,loss} or {@code step,loss,grad_norm} line (norm NaN where the field
     * is absent or empty), or null for the header or a malformed line.
     */
    private static double[] parse(String line) {
        String[] f = line.split(",", -1);
        if (f.length < 2 || f.length > 3) {
            return null;
        }
        try {
            long step = Long.parseLong(f[0].trim());
            double loss = Double.parseDouble(f[1].trim());
            double norm = f.length == 3 && !f[2].isBlank() ? Double.parseDouble(f[2].trim()) : Double.NaN;
            return step >= 1 ? new double[] {step, loss, norm} : null;
        } catch (NumberFormatException e) {
            return null;
        }
    }
}
