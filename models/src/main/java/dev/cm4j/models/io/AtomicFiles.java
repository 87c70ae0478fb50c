package dev.cm4j.models.io;

import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.concurrent.ThreadLocalRandom;

/**
 * Crash-safe file replacement: write a temporary file in the target's directory, force it to disk, rename it over the
 * target (atomic on POSIX file systems), then force the directory entry. A reader sees the old file or the new one,
 * never a half-written one.
 *
 * <p>The temporary file is created like any other file (default permissions under the process umask, not the
 * owner-only mode of {@link Files#createTempFile}), so a checkpoint is as readable as the files around it. Where the
 * file system cannot rename atomically, the write is refused rather than done in a way a crash could tear.
 */
public final class AtomicFiles {
    private static final int NAME_TRIES = 100;

    private AtomicFiles() {
    }

    /** Writes the body of a file to an open channel. */
    @FunctionalInterface
    public interface Body {
        void write(FileChannel out) throws IOException;
    }

    /** Replaces {@code target} with the bytes {@code body} writes, atomically. */
    public static void write(Path target, Body body) throws IOException {
        Path abs = target.toAbsolutePath();
        Path dir = abs.getParent();
        Files.createDirectories(dir);
        Path tmp = null;
        FileChannel ch = null;
        for (int i = 0; ch == null; i++) {
            tmp = dir.resolve("." + abs.getFileName() + "." + Long.toHexString(ThreadLocalRandom.current().nextLong())
                    + ".tmp");
            try {
                ch = FileChannel.open(tmp, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE);
            } catch (FileAlreadyExistsException e) {
                if (i >= NAME_TRIES) {
                    throw e;
                }
            }
        }
        boolean done = false;
        try {
            try (FileChannel out = ch) {
                body.write(out);
                out.force(true);
            }
            try {
                Files.move(tmp, abs, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
            } catch (AtomicMoveNotSupportedException e) {
                throw new IOException("cannot replace " + abs + " atomically on this file system ("
                        + e.getMessage() + "); refusing a non-atomic write that a crash could leave half-written", e);
            }
            done = true;
            forceDirectory(dir);
        } finally {
            if (!done) {
                Files.deleteIfExists(tmp);
            }
        }
    }

    /** Makes the rename durable; some platforms cannot open a directory, where this is a no-op. */
    private static void forceDirectory(Path dir) {
        try (FileChannel ch = FileChannel.open(dir, StandardOpenOption.READ)) {
            ch.force(true);
        } catch (IOException | UnsupportedOperationException e) {
            // best effort: the rename itself is atomic; only its durability across power loss is at stake
        }
    }
}
