package dev.cm4j.models.io;

import java.nio.file.Path;

/** A checkpoint file that cannot be read as written: truncated, garbled, inconsistent or of the wrong shapes. */
public class CheckpointFormatException extends FileProblemException {
    private static final long serialVersionUID = 1L;

    public CheckpointFormatException(Path file, String problem) {
        super(file, problem);
    }

    public CheckpointFormatException(Path file, String problem, Throwable cause) {
        super(file, problem, cause);
    }
}
