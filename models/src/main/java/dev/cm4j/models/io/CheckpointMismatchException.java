package dev.cm4j.models.io;

import java.nio.file.Path;

/**
 * A readable, undamaged checkpoint that belongs to another run: another role, architecture, setting or parent, other
 * parameter names or shapes, other optimizer settings or generators, or a format this version does not read. Unlike
 * damage, a mismatch is never answered by falling back to the previous checkpoint.
 */
public final class CheckpointMismatchException extends CheckpointFormatException {
    private static final long serialVersionUID = 1L;

    public CheckpointMismatchException(Path file, String problem) {
        super(file, problem);
    }

    public CheckpointMismatchException(Path file, String problem, Throwable cause) {
        super(file, problem, cause);
    }
}
