package dev.cm4j.consistency.data;

import dev.cm4j.models.io.FileProblemException;
import java.nio.file.Path;

/**
 * A data file or folder that cannot be used: missing, truncated, corrupt, of the wrong format or inconsistent with
 * its companion file. The message starts with the path and then says what is wrong; nothing of it has been loaded.
 */
public class DataFileException extends FileProblemException {
    private static final long serialVersionUID = 1L;

    public DataFileException(Path file, String problem) {
        super(file, problem);
    }

    public DataFileException(Path file, String problem, Throwable cause) {
        super(file, problem, cause);
    }
}
