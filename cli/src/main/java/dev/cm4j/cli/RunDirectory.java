package dev.cm4j.cli;

import dev.cm4j.consistency.train.TrainingListener;
import dev.cm4j.models.io.RunLock;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/** The output directory of a training command: checked and created, locked, cleaned of a killed run's debris. */
final class RunDirectory {
    private RunDirectory() {
    }

    /**
     * Checks {@code --out} before any work and creates it: an empty path or a file is refused.
     *
     * @throws IllegalArgumentException naming the option, the path and what to do
     */
    static void prepare(Path out) {
        if (out == null || out.toString().isBlank()) {
            throw new IllegalArgumentException("--out is empty: give the output directory");
        }
        if (Files.exists(out) && !Files.isDirectory(out)) {
            throw new IllegalArgumentException("--out " + out + " is a file, not a directory: choose another output "
                    + "directory");
        }
        try {
            Files.createDirectories(out);
        } catch (IOException e) {
            throw new IllegalArgumentException("--out " + out + ": cannot create the directory ("
                    + ErrorReport.message(e) + "); choose another output directory");
        }
    }

    /** Claims the directory for this run ({@link RunLock}); a directory in use is an error naming the holder. */
    static RunLock lock(Path out) {
        try {
            return RunLock.acquire(out);
        } catch (IOException e) {
            throw new IllegalStateException(e.getMessage(), e);
        }
    }

    /**
     * Removes what an interrupted run left of the commands' own small files in {@code dir}: the temporary files of the
     * manifest's, the loss logs' and the sample grids' atomic writes (a checkpoint's debris is its trainer's to
     * remove). The directory is locked by this run.
     */
    static void removeDebris(Path dir) throws IOException {
        if (!Files.isDirectory(dir)) {
            return;
        }
        try (var files = Files.list(dir)) {
            for (Path p : files.toList()) {
                String name = p.getFileName().toString();
                boolean manifestTmp = name.startsWith(".manifest.json.") && name.endsWith(".tmp");
                if (manifestTmp || name.endsWith(".loss.csv.tmp") || name.endsWith(".png.tmp")) {
                    Files.deleteIfExists(p);
                }
            }
        }
    }

    /**
     * A listener that passes every event to the loss log and then the progress, and records the step a phase started
     * from (the steps a resume loaded) in {@code started[0]}.
     */
    static TrainingListener logged(LossLog log, ConsoleProgress progress, long[] started) {
        return new TrainingListener() {
            @Override
            public void onStart(String phase, long startStep, long totalSteps) {
                started[0] = startStep;
                log.onStart(phase, startStep, totalSteps);
                progress.onStart(phase, startStep, totalSteps);
            }

            @Override
            public void onStep(String phase, long step, long totalSteps, double loss) {
                onStep(phase, step, totalSteps, loss, Double.NaN);
            }

            @Override
            public void onStep(String phase, long step, long totalSteps, double loss, double gradNorm) {
                log.onStep(phase, step, totalSteps, loss, gradNorm);
                progress.onStep(phase, step, totalSteps, loss, gradNorm);
            }
        };
    }
}
