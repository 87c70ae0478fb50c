package dev.cm4j.models.io;

import java.io.IOException;
import java.nio.file.Path;

/** A checkpoint file that cannot be read as written: truncated, garbled, inconsistent or of the wrong shapes. */
public class CheckpointFormatException extends IOException {
    private static final long serialVersionUID = 1L;

    private final transient Path file;

    public CheckpointFormatException(Path file, String problem) {
        super(file + ": " + problem);
        this.file = file;
    }

    public CheckpointFormatException(Path file, String problem, Throwable cause) {
        super(file + ": " + problem, cause);
        this.file = file;
    }

    /** The offending file. */
    public Path file() {
        return file;
    }
}
