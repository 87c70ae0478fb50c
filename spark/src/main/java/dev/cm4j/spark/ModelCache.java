package dev.cm4j.spark;

import dev.cm4j.consistency.api.ConsistencyModel;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.Map;
import java.util.Queue;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Supplier;

/**
 * The models an executor JVM has loaded, by checkpoint digest: a checkpoint is read once per task slot, not once per
 * task. A {@link ConsistencyModel} serves one thread at a time and an executor runs one task per core at once, so
 * each checkpoint keeps a queue of idle instances; a task borrows one (loading it when none is idle) and gives it back.
 */
final class ModelCache {
    private static final Map<String, Queue<Object>> IDLE = new ConcurrentHashMap<>();
    /** Instances loaded in this JVM by key: at most the number of task slots. */
    private static final Map<String, AtomicInteger> LOADS = new ConcurrentHashMap<>();

    private ModelCache() {
    }

    /** The SHA-256 of a checkpoint's bytes, in hexadecimal: the key under which executors keep its model. */
    static String digest(byte[] bytes) {
        try {
            return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(bytes));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("SHA-256 is missing from this JVM", e);
        }
    }

    /** An idle instance of {@code key}, or a new one from {@code load}; give it back with {@link #release}. */
    @SuppressWarnings("unchecked")
    static <T> T borrow(String key, Supplier<T> load) {
        Object idle = IDLE.computeIfAbsent(key, k -> new ConcurrentLinkedQueue<>()).poll();
        if (idle != null) {
            return (T) idle;
        }
        LOADS.computeIfAbsent(key, k -> new AtomicInteger()).incrementAndGet();
        return load.get();
    }

    /** The instances of {@code key} that this JVM has loaded so far. */
    static int loads(String key) {
        AtomicInteger n = LOADS.get(key);
        return n == null ? 0 : n.get();
    }

    /** Gives an instance borrowed under {@code key} back for the next task. */
    static void release(String key, Object instance) {
        IDLE.computeIfAbsent(key, k -> new ConcurrentLinkedQueue<>()).add(instance);
    }

    /**
     * The image model in a checkpoint's bytes ({@code what} names it in errors): written to a temporary file, read
     * and verified by {@link ConsistencyModel#load(Path, boolean)}, the file deleted.
     */
    static ConsistencyModel load(String what, byte[] bytes, boolean ema) {
        try {
            Path file = Files.createTempFile("cm4j-spark-", ".safetensors");
            try {
                Files.write(file, bytes);
                return ConsistencyModel.load(file, ema);
            } finally {
                Files.deleteIfExists(file);
            }
        } catch (IOException e) {
            throw new UncheckedIOException("ModelCache.load: " + what + ": " + e.getMessage(), e);
        }
    }
}
