package dev.cm4j.models.io;

import java.io.IOException;
import java.nio.file.Path;

/**
 * A file (or folder) that cannot be used as given, with the message {@code <path>: <problem>}. The base of the
 * checkpoint errors ({@link CheckpointFormatException}) and of the data-set errors, so a command line reports every
 * unusable file the same way, naming it.
 */
public class FileProblemException extends IOException {
    private static final long serialVersionUID = 1L;

    private final transient Path file;

    public FileProblemException(Path file, String problem) {
        super(file + ": " + problem);
        this.file = file;
    }

    public FileProblemException(Path file, String problem, Throwable cause) {
        super(file + ": " + problem, cause);
        this.file = file;
    }

    /** The offending file or folder. */
    public Path file() {
        return file;
    }
}
