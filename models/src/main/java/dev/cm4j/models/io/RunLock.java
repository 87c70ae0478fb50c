package dev.cm4j.models.io;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.channels.OverlappingFileLockException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/**
 * An exclusive claim on an output directory, so that two runs never write into the same one.
 *
 * <p>The claim is an OS file lock ({@link FileChannel#tryLock()}) on {@value #FILE_NAME} in the directory, held for
 * as long as this object is open. The holder writes its process id into the file so that a refused run can say who
 * holds the directory. The OS drops the lock when the holding process ends, however it ends (kill -9 included), so a
 * lock file left by a dead run never blocks the next one; the file itself stays (deleting it on close would let a
 * third run lock a fresh file while a second still holds the old one).
 *
 * <p>Within one JVM a second claim on the same directory is refused too. It is detected from a table of the
 * directories this JVM holds, without opening the lock file again: on POSIX systems closing any channel of a file
 * releases every lock the process holds on it, so a refused attempt that opened and closed the file would silently
 * drop the first claim.
 */
public final class RunLock implements AutoCloseable {
    /** The lock file's name inside the claimed directory. */
    public static final String FILE_NAME = ".cm4j.lock";

    /** The lock files this JVM holds, as real paths. */
    private static final Set<Path> HELD = ConcurrentHashMap.newKeySet();

    private final Path directory;
    private final Path file;
    private final FileChannel channel;
    private final FileLock lock;
    private boolean closed;

    private RunLock(Path directory, Path file, FileChannel channel, FileLock lock) {
        this.directory = directory;
        this.file = file;
        this.channel = channel;
        this.lock = lock;
    }

    /**
     * Claims {@code directory} (created when missing) for this process until {@link #close()}.
     *
     * @throws IOException naming the directory and the holder's process id when another run holds it (this process
     *         included), or naming the directory when it cannot be created or is not a directory
     */
    public static RunLock acquire(Path directory) throws IOException {
        if (directory == null) {
            throw new IllegalArgumentException("RunLock: the directory is null");
        }
        if (Files.exists(directory) && !Files.isDirectory(directory)) {
            throw new IOException(directory + " is a file, not a directory; choose another output directory");
        }
        Files.createDirectories(directory);
        Path file = directory.toRealPath().resolve(FILE_NAME);
        if (!HELD.add(file)) {
            throw held(directory, ProcessHandle.current().pid() + ", this process");
        }
        FileChannel channel = null;
        try {
            // no TRUNCATE_EXISTING: the file may hold the pid of a live holder, which a refusal reports
            channel = FileChannel.open(file, StandardOpenOption.CREATE, StandardOpenOption.READ,
                    StandardOpenOption.WRITE);
            FileLock lock;
            try {
                lock = channel.tryLock();
            } catch (OverlappingFileLockException e) {
                // locked by other code of this JVM, outside RunLock
                lock = null;
            }
            if (lock == null) {
                String holder = readPid(file);
                throw held(directory, holder.isEmpty() ? "unknown (it has not written it yet)" : holder);
            }
            channel.truncate(0);
            channel.write(ByteBuffer.wrap((ProcessHandle.current().pid() + "\n").getBytes(StandardCharsets.US_ASCII)),
                    0);
            channel.force(true);
            return new RunLock(directory, file, channel, lock);
        } catch (IOException | RuntimeException | Error e) {
            HELD.remove(file);
            if (channel != null) {
                try {
                    channel.close();
                } catch (IOException suppressed) {
                    e.addSuppressed(suppressed);
                }
            }
            throw e;
        }
    }

    private static IOException held(Path directory, String pid) {
        return new IOException(directory + " is in use by another cm4j run (process id " + pid + "); wait for it to "
                + "finish, stop it, or choose another output directory");
    }

    private static String readPid(Path file) {
        try {
            return Files.readString(file, StandardCharsets.US_ASCII).trim();
        } catch (IOException e) {
            return ""; // some systems refuse to read a locked file
        }
    }

    /** The claimed directory, as given. */
    public Path directory() {
        return directory;
    }

    /** The lock file. */
    public Path file() {
        return file;
    }

    /** Releases the claim: empties the lock file, unlocks it and closes it. Idempotent. */
    @Override
    public synchronized void close() throws IOException {
        if (closed) {
            return;
        }
        closed = true;
        try {
            // an empty file says nobody holds the directory; the lock, not the file, is what counts
            channel.truncate(0);
            lock.release();
        } finally {
            try {
                channel.close();
            } finally {
                HELD.remove(file);
            }
        }
    }
}
