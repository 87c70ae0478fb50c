package dev.cm4j.models.io;

import dev.cm4j.tensor.Tensor;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import java.util.function.Predicate;
import java.util.zip.CRC32C;

/**
 * Checks on the values of tensors that a checkpoint must pass: finiteness, non-negative second moments, checksums
 * (CRC32C of the little-endian float32 bytes, as stored in a safetensors file) and content hashes (SHA-256).
 */
public final class TensorChecks {
    private static final int CHUNK = 1 << 14;

    private TensorChecks() {
    }

    /** The CRC32C of the tensor's little-endian float32 bytes (its data section in a safetensors file). */
    public static int crc32c(Tensor t) {
        CRC32C crc = new CRC32C();
        ByteBuffer buf = ByteBuffer.allocate(4 * CHUNK).order(ByteOrder.LITTLE_ENDIAN);
        float[] d = t.data();
        for (int i = t.offset(), end = t.offset() + t.size(); i < end; ) {
            int n = Math.min(end - i, CHUNK);
            buf.clear();
            buf.asFloatBuffer().put(d, i, n);
            buf.limit(4 * n);
            crc.update(buf);
            i += n;
        }
        return (int) crc.getValue();
    }

    /**
     * SHA-256 (lower-case hex) over the tensors in sorted name order: per tensor its UTF-8 name, a 0 byte, its rank,
     * its dimensions and its little-endian float32 bytes (rank and dimensions as little-endian int32). Equal names,
     * shapes and bits give equal hashes, whatever the map's order.
     */
    public static String sha256(Map<String, Tensor> tensors) {
        MessageDigest md;
        try {
            md = MessageDigest.getInstance("SHA-256");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("the JDK has no SHA-256", e);
        }
        ByteBuffer buf = ByteBuffer.allocate(4 * CHUNK).order(ByteOrder.LITTLE_ENDIAN);
        for (Map.Entry<String, Tensor> e : new TreeMap<>(tensors).entrySet()) {
            md.update(e.getKey().getBytes(StandardCharsets.UTF_8));
            md.update((byte) 0);
            Tensor t = e.getValue();
            ByteBuffer dims = ByteBuffer.allocate(4 + 4 * t.shape().length).order(ByteOrder.LITTLE_ENDIAN);
            dims.putInt(t.shape().length);
            for (int d : t.shape()) {
                dims.putInt(d);
            }
            md.update(dims.flip());
            float[] d = t.data();
            for (int i = t.offset(), end = t.offset() + t.size(); i < end; ) {
                int n = Math.min(end - i, CHUNK);
                buf.clear();
                buf.asFloatBuffer().put(d, i, n);
                buf.limit(4 * n);
                md.update(buf);
                i += n;
            }
        }
        return HexFormat.of().formatHex(md.digest());
    }

    /**
     * The first problem among {@code tensors} (in iteration order): a NaN or infinite element, or a negative one in
     * a tensor whose name {@code nonNegative} accepts. Empty when all pass. The text names the tensor, the first bad
     * flat index and its value.
     */
    public static Optional<String> firstBad(Map<String, Tensor> tensors, Predicate<String> nonNegative) {
        for (Map.Entry<String, Tensor> e : tensors.entrySet()) {
            Tensor t = e.getValue();
            float[] d = t.data();
            boolean positive = nonNegative.test(e.getKey());
            for (int i = 0, o = t.offset(); i < t.size(); i++) {
                float v = d[o + i];
                if (!Float.isFinite(v)) {
                    return Optional.of("tensor '" + e.getKey() + "' is " + v + " at index " + i
                            + (t.shape().length > 1 ? " " + Arrays.toString(unravel(i, t.shape())) : ""));
                }
                if (positive && v < 0) {
                    return Optional.of("tensor '" + e.getKey() + "' (a second moment) is negative (" + v
                            + ") at index " + i);
                }
            }
        }
        return Optional.empty();
    }

    /** The first non-finite element of {@code tensors}, as {@link #firstBad} reports it. */
    public static Optional<String> firstNonFinite(Map<String, Tensor> tensors) {
        return firstBad(tensors, name -> false);
    }

    private static int[] unravel(int flat, int[] shape) {
        int[] idx = new int[shape.length];
        for (int d = shape.length - 1; d >= 0; d--) {
            idx[d] = flat % shape[d];
            flat /= shape[d];
        }
        return idx;
    }
}
