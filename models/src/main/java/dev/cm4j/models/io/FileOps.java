package dev.cm4j.models.io;

import java.io.IOException;
import java.nio.file.Path;

/**
 * The file operations a checkpoint save is made of, one method per step that a crash could interrupt. The default,
 * {@link #REAL}, performs them on the file system; a test substitutes one that fails the k-th operation to prove that
 * a crash at any step of a save leaves a directory that resumes ({@link CheckpointFiles}).
 */
public interface FileOps {
    /** The file system itself. */
    FileOps REAL = new RealFileOps();

    /** Creates {@code file} (or truncates it) and writes what {@code body} writes; does not force it to disk. */
    void write(Path file, AtomicFiles.Body body) throws IOException;

    /** Forces the contents of {@code file} to the storage device (fsync). */
    void force(Path file) throws IOException;

    /** Forces the entries of directory {@code dir} (fsync of the directory), so that renames survive a power loss. */
    void forceDirectory(Path dir) throws IOException;

    /** Renames {@code from} to {@code to} atomically, replacing {@code to}; refuses where that cannot be atomic. */
    void rename(Path from, Path to) throws IOException;

    /** Makes {@code link} a second name of {@code existing} (a hard link, or a forced copy where links fail). */
    void link(Path existing, Path link) throws IOException;

    /** Deletes {@code file} if it exists. */
    void delete(Path file) throws IOException;
}
