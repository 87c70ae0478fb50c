package dev.cm4j.models.io;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;

/**
 * The names a checkpoint {@code X} uses and the order in which a save replaces them, so that a crash at any instant
 * leaves a directory that resumes and the previous complete checkpoint survives until the new one is complete.
 *
 * <ul>
 *   <li>{@code X}: the newest complete checkpoint.</li>
 *   <li>{@code X.prev}: the one before it (a hard link to the file {@code X} named before the last save).</li>
 *   <li>{@code X.damaged}: a damaged {@code X} set aside after a resume from {@code X.prev}.</li>
 *   <li>{@code X.tmp}, {@code X.prev.tmp}: exist only during a save; left behind by a crash, they are debris that
 *   {@link #removeDebris} deletes at the next start.</li>
 * </ul>
 *
 * <p>A save: delete a stale {@code X.tmp}; write {@code X.tmp}; fsync it; if {@code X} exists, delete a stale
 * {@code X.prev.tmp}, hard-link {@code X} as {@code X.prev.tmp}, rename that over {@code X.prev} and fsync the
 * directory; rename {@code X.tmp} over {@code X}; fsync the directory. Files are never changed in place, only
 * renamed, so at every instant {@code X} (once it has existed) is complete and {@code X.prev} is complete or absent.
 */
public final class CheckpointFiles {
    private CheckpointFiles() {
    }

    /** {@code X.tmp}: the new checkpoint while it is written. */
    public static Path tmpPath(Path file) {
        return file.resolveSibling(file.getFileName() + ".tmp");
    }

    /** {@code X.prev}: the previous complete checkpoint. */
    public static Path prevPath(Path file) {
        return file.resolveSibling(file.getFileName() + ".prev");
    }

    /** {@code X.prev.tmp}: the second name of {@code X} before it becomes {@code X.prev}. */
    static Path prevTmpPath(Path file) {
        return file.resolveSibling(file.getFileName() + ".prev.tmp");
    }

    /** Replaces {@code file} with the bytes {@code body} writes, keeping the file it replaces as {@code X.prev}. */
    public static void replace(Path file, AtomicFiles.Body body, FileOps ops) throws IOException {
        Path abs = file.toAbsolutePath();
        Path dir = abs.getParent();
        Files.createDirectories(dir);
        Path tmp = tmpPath(abs);
        ops.delete(tmp);
        ops.write(tmp, body);
        ops.force(tmp);
        Path prev = prevPath(abs);
        // X.prev may already be X (a crash after the link, before the new X): renaming a second name of the same
        // file over it would do nothing (POSIX rename) and leave X.prev.tmp behind
        if (Files.exists(abs) && !(Files.exists(prev) && Files.isSameFile(abs, prev))) {
            Path prevTmp = prevTmpPath(abs);
            ops.delete(prevTmp);
            ops.link(abs, prevTmp);
            ops.rename(prevTmp, prev);
            ops.forceDirectory(dir);
        }
        ops.rename(tmp, abs);
        ops.forceDirectory(dir);
    }

    /** {@code X.damaged}: where a damaged {@code X} is kept once the run resumed from {@code X.prev}. */
    public static Path damagedPath(Path file) {
        return file.resolveSibling(file.getFileName() + ".damaged");
    }

    /**
     * Renames a damaged {@code X} to {@code X.damaged} (replacing an older one) after a resume from {@code X.prev},
     * so that the next save does not make the damaged file the previous checkpoint. Returns the new name.
     */
    public static Path setAside(Path file, FileOps ops) throws IOException {
        Path abs = file.toAbsolutePath();
        Path aside = damagedPath(abs);
        ops.rename(abs, aside);
        ops.forceDirectory(abs.getParent());
        return aside;
    }

    /**
     * Deletes what interrupted saves of {@code file} left behind: {@code X.tmp}, {@code X.prev.tmp} and the
     * {@code .X.<random>.tmp} files of {@link AtomicFiles}. Returns the deleted paths.
     */
    public static List<Path> removeDebris(Path file, FileOps ops) throws IOException {
        Path abs = file.toAbsolutePath();
        List<Path> candidates = new ArrayList<>(List.of(tmpPath(abs), prevTmpPath(abs)));
        String atomicPrefix = "." + abs.getFileName() + ".";
        if (Files.isDirectory(abs.getParent())) {
            try (Stream<Path> list = Files.list(abs.getParent())) {
                list.filter(p -> {
                    String n = p.getFileName().toString();
                    return n.startsWith(atomicPrefix) && n.endsWith(".tmp")
                            && n.substring(atomicPrefix.length(), n.length() - 4).matches("-?[0-9a-f]{1,16}");
                }).sorted().forEach(candidates::add);
            }
        }
        List<Path> removed = new ArrayList<>();
        for (Path p : candidates) {
            if (Files.exists(p)) {
                ops.delete(p);
                removed.add(p);
            }
        }
        return removed;
    }
}
