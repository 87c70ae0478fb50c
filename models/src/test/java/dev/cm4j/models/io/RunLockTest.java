package dev.cm4j.models.io;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** One run per directory: refused in the same JVM and from another process, free again once the holder dies. */
class RunLockTest {
    @Test
    void secondClaimInTheSameJvmIsRefusedAndTheFirstSurvives(@TempDir Path dir) throws IOException {
        Path out = dir.resolve("run");
        try (RunLock first = RunLock.acquire(out)) {
            long pid = ProcessHandle.current().pid();
            assertEquals(pid + "", Files.readString(first.file()).trim(), "the holder writes its pid");
            IOException e = assertThrows(IOException.class, () -> RunLock.acquire(out));
            assertTrue(e.getMessage().contains(out.toString()) && e.getMessage().contains("process id " + pid),
                    e.getMessage());
            // the refusal must not have dropped the first claim (closing a channel would, on POSIX systems)
            assertThrows(IOException.class, () -> RunLock.acquire(out));
        }
        try (RunLock again = RunLock.acquire(out)) {
            assertTrue(Files.isDirectory(again.directory()));
        }
    }

    @Test
    void aFileIsNotADirectory(@TempDir Path dir) throws IOException {
        Path file = Files.writeString(dir.resolve("results"), "x");
        IOException e = assertThrows(IOException.class, () -> RunLock.acquire(file));
        assertTrue(e.getMessage().contains(file + " is a file"), e.getMessage());
    }

    @Test
    void anotherProcessHoldsTheDirectoryUntilItIsKilled(@TempDir Path dir) throws Exception {
        String java = ProcessHandle.current().info().command().orElseThrow();
        Process holder = new ProcessBuilder(List.of(java, "-cp", System.getProperty("java.class.path"),
                RunLockHolder.class.getName(), dir.toString())).redirectErrorStream(true).start();
        try {
            BufferedReader lines = new BufferedReader(new InputStreamReader(holder.getInputStream(),
                    StandardCharsets.UTF_8));
            String line = lines.readLine();
            assertTrue(line != null && line.startsWith("locked"), "the holder did not start: " + line);
            IOException e = assertThrows(IOException.class, () -> RunLock.acquire(dir));
            assertTrue(e.getMessage().contains(dir.toString()), e.getMessage());
            assertTrue(e.getMessage().contains("process id " + holder.pid() + ")"), e.getMessage());
        } finally {
            holder.destroyForcibly();
            assertTrue(holder.waitFor(30, TimeUnit.SECONDS), "the holder did not die");
        }
        // the OS released the dead holder's lock; its file, still holding its pid, does not block
        assertTrue(Files.exists(dir.resolve(RunLock.FILE_NAME)));
        try (RunLock lock = RunLock.acquire(dir)) {
            assertEquals(ProcessHandle.current().pid() + "", Files.readString(lock.file()).trim());
        }
        assertEquals("", Files.readString(dir.resolve(RunLock.FILE_NAME)), "a released lock file is empty");
    }
}
