package dev.cm4j.consistency.data;

import java.io.IOException;
import java.nio.file.Path;

/**
 * A data file or folder that cannot be used: missing, truncated, corrupt, of the wrong format or inconsistent with
 * its companion file. The message starts with the path and then says what is wrong; nothing of it has been loaded.
 */
public class DataFileException extends IOException {
    private static final long serialVersionUID = 1L;

    private final transient Path file;

    public DataFileException(Path file, String problem) {
        super(file + ": " + problem);
        this.file = file;
    }

    public DataFileException(Path file, String problem, Throwable cause) {
        super(file + ": " + problem, cause);
        this.file = file;
    }

    /** The offending file or folder. */
    public Path file() {
        return file;
    }
}
