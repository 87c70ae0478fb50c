package dev.cm4j.cli;

import dev.cm4j.models.io.CheckpointFormatException;
import java.io.IOException;
import java.io.PrintWriter;
import java.io.UncheckedIOException;
import java.nio.file.AccessDeniedException;
import java.nio.file.FileSystemException;
import java.nio.file.NoSuchFileException;
import java.nio.file.NotDirectoryException;

/**
 * Turns the failure of a command into one or two lines for a person: what went wrong, naming the file, option or
 * value, and what to do. Exit code 1 (usage errors, exit code 2, are picocli's). The stack trace only with
 * {@code --verbose}.
 */
final class ErrorReport {
    private ErrorReport() {
    }

    /** Thrown by a command for an out-of-memory error, with the options that lower its memory. */
    static final class OutOfMemory extends RuntimeException {
        private static final long serialVersionUID = 1L;

        OutOfMemory(String memoryOptions, OutOfMemoryError cause) {
            super("out of memory (Java heap at most " + mib(Runtime.getRuntime().maxMemory()) + "); give Java more "
                    + "with -Xmx, e.g. JAVA_TOOL_OPTIONS=-Xmx8g, or lower " + memoryOptions, cause);
        }
    }

    /** Prints the report of {@code e} for command {@code command} to {@code err}; returns the exit code, 1. */
    static int print(PrintWriter err, String command, Throwable e, boolean verbose) {
        err.println("cm4j " + command + ": " + message(e));
        String hint = hint(e);
        if (hint != null) {
            err.println("  " + hint);
        }
        if (verbose) {
            e.printStackTrace(err);
        } else if (!expected(e)) {
            err.println("  run with --verbose for the stack trace");
        }
        err.flush();
        return 1;
    }

    /** The first line: the message of a failure a user can cause, the class and message of any other. */
    static String message(Throwable e) {
        if (e instanceof UncheckedIOException u && u.getCause() != null
                && (u.getMessage() == null || u.getMessage().equals(u.getCause().toString()))) {
            return message(u.getCause());
        }
        if (e instanceof FileSystemException f && !(e instanceof CheckpointFormatException)) {
            String what = f instanceof NoSuchFileException ? "no such file or directory"
                    : f instanceof AccessDeniedException ? "permission denied"
                    : f instanceof NotDirectoryException ? "not a directory"
                    : f.getReason() != null ? f.getReason() : f.getClass().getSimpleName();
            return f.getFile() + (f.getOtherFile() == null ? "" : " -> " + f.getOtherFile()) + ": " + what;
        }
        if (expected(e)) {
            return e.getMessage() == null ? e.getClass().getSimpleName() : e.getMessage();
        }
        return "unexpected " + e.getClass().getName() + (e.getMessage() == null ? "" : ": " + e.getMessage());
    }

    /** The second line, when there is something to do beyond what the message says. */
    static String hint(Throwable e) {
        if (e instanceof IllegalArgumentException || e instanceof dev.cm4j.consistency.data.DataFileException) {
            return null; // the message names the option or file and what to do
        }
        if (e instanceof CheckpointFormatException) {
            // read as an input (--teacher, --checkpoint), not resumed: starting over would not help
            return "the checkpoint cannot be used: give another one";
        }
        if (causedBy(e, CheckpointFormatException.class)) {
            return "the checkpoint cannot be used: run without --resume (or with another --out) to start over";
        }
        if (e instanceof IOException || e instanceof UncheckedIOException) {
            return "check the path and its permissions, or choose another --out";
        }
        return null;
    }

    /** Failures a user can cause, whose message says what is wrong: no stack trace is needed to understand them. */
    static boolean expected(Throwable e) {
        return e instanceof IllegalArgumentException || e instanceof IllegalStateException || e instanceof IOException
                || e instanceof UncheckedIOException || e instanceof OutOfMemory;
    }

    private static boolean causedBy(Throwable e, Class<? extends Throwable> type) {
        for (Throwable t = e; t != null; t = t.getCause()) {
            if (type.isInstance(t)) {
                return true;
            }
        }
        return false;
    }

    static String mib(long bytes) {
        return bytes >= 1L << 30 ? String.format("%.1f GiB", bytes / (double) (1L << 30)) : (bytes >> 20) + " MiB";
    }
}
