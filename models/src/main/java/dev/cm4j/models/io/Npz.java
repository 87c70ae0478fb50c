package dev.cm4j.models.io;

import dev.cm4j.tensor.Tensor;
import java.io.BufferedOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.Channels;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.zip.CRC32;
import java.util.zip.CheckedOutputStream;
import java.util.zip.ZipEntry;
import java.util.zip.ZipException;
import java.util.zip.ZipFile;
import java.util.zip.ZipOutputStream;

/**
 * numpy's {@code .npz} archives: a zip of {@code .npy} arrays, as {@code numpy.savez} writes them (entries stored,
 * not compressed), so that evaluators in Python read cm4j's samples with {@code numpy.load}.
 *
 * <p>Each {@code <name>.npy} is format version 1.0: the magic {@code \x93NUMPY}, bytes 1 and 0, a little-endian
 * 2-byte header length, then an ASCII header {@code {'descr': '<f4', 'fortran_order': False, 'shape': (2, 3), }}
 * padded with spaces to a multiple of 64 bytes and ended by a newline, then the data in C order. cm4j writes float32
 * tensors as {@code <f4}, integer arrays (labels) as {@code <i8}, numpy's default integer, and bytes as {@code |u1}.
 * Zip entries carry a fixed time, so the same arrays give the same bytes. Files are replaced atomically
 * ({@link AtomicFiles}).
 *
 * <p>{@link #read} takes back what cm4j writes, and {@code numpy.savez} / {@code savez_compressed} files of
 * {@code <f4}, {@code <i4}, {@code <i8} and {@code |u1} arrays in C order (integer arrays of one dimension).
 *
 * <p>Images go out as other evaluators expect them ({@link #writeImages}): {@code arr_0} uint8 (N, H, W, C), the
 * layout of the released code's {@code image_sample.py}, and the labels, if any, as {@code arr_1}.
 */
public final class Npz {
    private static final byte[] MAGIC = {(byte) 0x93, 'N', 'U', 'M', 'P', 'Y'};
    private static final int ALIGN = 64;
    // 1980-01-01, the earliest time a zip entry can hold: fixed, so identical arrays give identical files
    private static final long ENTRY_TIME = java.time.LocalDateTime.of(1980, 1, 1, 0, 0)
            .atZone(java.time.ZoneId.systemDefault()).toInstant().toEpochMilli();
    private static final Pattern DESCR = Pattern.compile("'descr'\\s*:\\s*'([^']*)'");
    private static final Pattern FORTRAN = Pattern.compile("'fortran_order'\\s*:\\s*(True|False)");
    private static final Pattern SHAPE = Pattern.compile("'shape'\\s*:\\s*\\(([^)]*)\\)");

    private Npz() {
    }

    /** What an {@code .npz} file holds, in the order of its entries. */
    public record Contents(Map<String, Tensor> floats, Map<String, int[]> ints, Map<String, UInt8> bytes) {
    }

    /** An unsigned byte array ({@code |u1}) of a shape, values 0..255 held as {@code byte}s. */
    public record UInt8(byte[] data, int[] shape) {
        public UInt8 {
            long count = 1;
            for (int d : shape) {
                if (d < 0) {
                    throw new IllegalArgumentException("Npz.UInt8: negative dimension in shape " + Arrays.toString(shape));
                }
                count *= d;
            }
            if (count != data.length) {
                throw new IllegalArgumentException("Npz.UInt8: shape " + Arrays.toString(shape) + " needs " + count
                        + " bytes, got " + data.length);
            }
        }
    }

    /** Images (N, C, H, W) on [-1, 1] and their labels (N), or null when the file has none. */
    public record Images(Tensor images, int[] labels) {
    }

    /** The entry of the images in {@link #writeImages}, as {@code numpy.savez(file, images, labels)} names it. */
    public static final String IMAGES = "arr_0";
    /** The entry of the labels in {@link #writeImages}. */
    public static final String LABELS = "arr_1";

    /**
     * Writes {@code floats} as {@code <f4} arrays of their shapes and {@code ints} as one-dimensional {@code <i8}
     * arrays, each under its name ({@code numpy.load(file)[name]}), floats first, each map in its iteration order.
     *
     * @throws IllegalArgumentException for an empty name, one with '/', or a name used in both maps
     */
    public static void write(Path file, Map<String, Tensor> floats, Map<String, int[]> ints) throws IOException {
        write(file, floats, ints, Map.of());
    }

    /**
     * {@link #write(Path, Map, Map)} with unsigned byte arrays ({@code |u1}) after the integer arrays.
     *
     * @throws IllegalArgumentException for an empty name, one with '/', or a name used twice
     */
    public static void write(Path file, Map<String, Tensor> floats, Map<String, int[]> ints, Map<String, UInt8> bytes)
            throws IOException {
        java.util.Set<String> names = new java.util.HashSet<>();
        for (Map<String, ?> m : List.of(floats, ints, bytes)) {
            for (String name : m.keySet()) {
                checkName(name);
                if (!names.add(name)) {
                    throw new IllegalArgumentException("Npz.write: '" + name + "' names two arrays");
                }
            }
        }
        AtomicFiles.write(file, ch -> {
            // not closed: closing would close the channel, which AtomicFiles still has to force to disk
            OutputStream os = new BufferedOutputStream(Channels.newOutputStream(ch), 1 << 16);
            ZipOutputStream zip = new ZipOutputStream(os);
            for (Map.Entry<String, Tensor> e : floats.entrySet()) {
                Tensor t = e.getValue();
                putStored(zip, e.getKey(), out -> writeFloats(out, t));
            }
            for (Map.Entry<String, int[]> e : ints.entrySet()) {
                int[] v = e.getValue();
                putStored(zip, e.getKey(), out -> writeLongs(out, v));
            }
            for (Map.Entry<String, UInt8> e : bytes.entrySet()) {
                UInt8 v = e.getValue();
                putStored(zip, e.getKey(), out -> {
                    out.write(header("|u1", v.shape()));
                    out.write(v.data());
                });
            }
            zip.finish();
            os.flush();
        });
    }

    /** Reads an {@code .npz} file of {@code <f4}, {@code <i4}, {@code <i8} and {@code |u1} arrays. */
    public static Contents read(Path file) throws IOException {
        Map<String, Tensor> floats = new LinkedHashMap<>();
        Map<String, int[]> ints = new LinkedHashMap<>();
        Map<String, UInt8> bytes = new LinkedHashMap<>();
        try (ZipFile zip = new ZipFile(file.toFile())) {
            for (ZipEntry entry : zip.stream().toList()) {
                String name = entry.getName();
                if (!name.endsWith(".npy")) {
                    throw new CheckpointFormatException(file, "entry '" + name + "' is not an .npy array");
                }
                try (InputStream in = zip.getInputStream(entry)) {
                    readArray(file, name, in.readAllBytes(), floats, ints, bytes);
                }
            }
        } catch (ZipException e) {
            throw new CheckpointFormatException(file, "not a readable zip archive (" + e.getMessage() + ")", e);
        }
        return new Contents(floats, ints, bytes);
    }

    /**
     * Writes images (N, C, H, W) on [-1, 1] as {@link #IMAGES}, uint8 (N, H, W, C) with pixel
     * {@code round((x + 1) * 127.5)} clamped to 0..255, and the labels, if not null, as {@link #LABELS} ({@code <i8}).
     * The released {@code image_sample.py} truncates instead of rounding; rounding makes the pixels of an image read
     * from a uint8 data set ({@code p / 127.5 - 1}) come back exactly.
     *
     * @throws IllegalArgumentException if images is not (N, C, H, W), a value is NaN, or the labels are not N
     */
    public static void writeImages(Path file, Tensor images, int[] labels) throws IOException {
        if (images.rank() != 4) {
            throw new IllegalArgumentException("Npz.writeImages: need images (N, C, H, W), got "
                    + Arrays.toString(images.shape()));
        }
        int n = images.dim(0);
        int c = images.dim(1);
        int h = images.dim(2);
        int w = images.dim(3);
        if (labels != null && labels.length != n) {
            throw new IllegalArgumentException("Npz.writeImages: " + labels.length + " labels for " + n + " images");
        }
        float[] src = images.data();
        int off = images.offset();
        byte[] out = new byte[images.size()];
        for (int i = 0; i < n; i++) {
            for (int ch = 0; ch < c; ch++) {
                for (int y = 0; y < h; y++) {
                    for (int x = 0; x < w; x++) {
                        float v = src[off + ((i * c + ch) * h + y) * w + x];
                        if (Float.isNaN(v)) {
                            throw new IllegalArgumentException("Npz.writeImages: image " + i + " has NaN at channel "
                                    + ch + ", pixel (" + y + ", " + x + ")");
                        }
                        long p = Math.round((v + 1.0) * 127.5);
                        out[((i * h + y) * w + x) * c + ch] = (byte) Math.max(0, Math.min(255, p));
                    }
                }
            }
        }
        Map<String, UInt8> bytes = Map.of(IMAGES, new UInt8(out, new int[] {n, h, w, c}));
        write(file, Map.of(), labels == null ? Map.of() : Map.of(LABELS, labels), bytes);
    }

    /**
     * Reads images as {@link #writeImages} writes them, or as other tools save samples with
     * {@code numpy.savez(file, images)}: {@link #IMAGES} uint8 (N, H, W, C) becomes (N, C, H, W) on [-1, 1]
     * ({@code p / 127.5 - 1}); {@link #LABELS}, if present, the labels.
     *
     * @throws CheckpointFormatException if the file has no {@link #IMAGES}, it is not a uint8 array of rank 4, or the
     *     labels are not one per image
     */
    public static Images readImages(Path file) throws IOException {
        Contents c = read(file);
        UInt8 arr = c.bytes().get(IMAGES);
        if (arr == null) {
            String what = c.floats().containsKey(IMAGES) ? "'" + IMAGES + "' is float32; samples must be uint8 "
                    + "(N, H, W, C) with values 0..255" : "no array '" + IMAGES + "' (the images, uint8 (N, H, W, C)); "
                    + "entries: " + entryNames(c);
            throw new CheckpointFormatException(file, what);
        }
        int[] s = arr.shape();
        if (s.length != 4) {
            throw new CheckpointFormatException(file, "'" + IMAGES + "' has shape " + Arrays.toString(s)
                    + "; images must be uint8 (N, H, W, C)");
        }
        int n = s[0];
        int h = s[1];
        int w = s[2];
        int ch = s[3];
        byte[] b = arr.data();
        float[] out = new float[b.length];
        for (int i = 0; i < n; i++) {
            for (int y = 0; y < h; y++) {
                for (int x = 0; x < w; x++) {
                    for (int k = 0; k < ch; k++) {
                        out[((i * ch + k) * h + y) * w + x] = (b[((i * h + y) * w + x) * ch + k] & 0xFF) / 127.5f - 1f;
                    }
                }
            }
        }
        int[] labels = c.ints().get(LABELS);
        if (labels != null && labels.length != n) {
            throw new CheckpointFormatException(file, "'" + LABELS + "' holds " + labels.length + " labels for " + n
                    + " images");
        }
        return new Images(Tensor.wrap(out, new int[] {n, ch, h, w}), labels);
    }

    private static String entryNames(Contents c) {
        List<String> names = new java.util.ArrayList<>(c.floats().keySet());
        names.addAll(c.ints().keySet());
        names.addAll(c.bytes().keySet());
        return names.isEmpty() ? "none" : String.join(", ", names);
    }

    private static void checkName(String name) {
        if (name == null || name.isEmpty() || name.contains("/")) {
            throw new IllegalArgumentException("Npz.write: array names must be non-empty without '/', got '"
                    + name + "'");
        }
    }

    @FunctionalInterface
    private interface NpyBody {
        void write(OutputStream out) throws IOException;
    }

    /** A stored entry needs its size and CRC before its data: the body is written twice, first only to count. */
    private static void putStored(ZipOutputStream zip, String name, NpyBody body) throws IOException {
        CheckedOutputStream counter = new CheckedOutputStream(OutputStream.nullOutputStream(), new CRC32());
        long[] size = {0};
        body.write(new OutputStream() {
            @Override
            public void write(int b) throws IOException {
                counter.write(b);
                size[0]++;
            }

            @Override
            public void write(byte[] b, int off, int len) throws IOException {
                counter.write(b, off, len);
                size[0] += len;
            }
        });
        ZipEntry entry = new ZipEntry(name + ".npy");
        entry.setMethod(ZipEntry.STORED);
        entry.setSize(size[0]);
        entry.setCompressedSize(size[0]);
        entry.setCrc(counter.getChecksum().getValue());
        entry.setTime(ENTRY_TIME);
        zip.putNextEntry(entry);
        body.write(zip);
        zip.closeEntry();
    }

    /** The .npy header (magic, version 1.0, length, dictionary padded to 64 bytes). */
    static byte[] header(String descr, int[] shape) {
        StringBuilder dims = new StringBuilder();
        for (int d : shape) {
            dims.append(d).append(", ");
        }
        // numpy's repr of a tuple: (3,) for one dimension, (2, 3) for more, () for a scalar
        String tuple = shape.length == 1 ? "(" + shape[0] + ",)"
                : "(" + (dims.isEmpty() ? "" : dims.substring(0, dims.length() - 2)) + ")";
        String dict = "{'descr': '" + descr + "', 'fortran_order': False, 'shape': " + tuple + ", }";
        int unpadded = MAGIC.length + 2 + 2 + dict.length() + 1;
        int total = (unpadded + ALIGN - 1) / ALIGN * ALIGN;
        String text = dict + " ".repeat(total - unpadded) + "\n";
        ByteBuffer b = ByteBuffer.allocate(total).order(ByteOrder.LITTLE_ENDIAN);
        b.put(MAGIC).put((byte) 1).put((byte) 0).putShort((short) text.length());
        b.put(text.getBytes(StandardCharsets.US_ASCII));
        return b.array();
    }

    private static void writeFloats(OutputStream out, Tensor t) throws IOException {
        out.write(header("<f4", t.shape()));
        float[] data = t.data();
        int off = t.offset();
        int n = t.size();
        ByteBuffer buf = ByteBuffer.allocate(1 << 16).order(ByteOrder.LITTLE_ENDIAN);
        for (int i = 0; i < n; i++) {
            if (buf.remaining() < 4) {
                out.write(buf.array(), 0, buf.position());
                buf.clear();
            }
            buf.putFloat(data[off + i]);
        }
        out.write(buf.array(), 0, buf.position());
    }

    private static void writeLongs(OutputStream out, int[] v) throws IOException {
        out.write(header("<i8", new int[] {v.length}));
        ByteBuffer buf = ByteBuffer.allocate(v.length * 8).order(ByteOrder.LITTLE_ENDIAN);
        for (int x : v) {
            buf.putLong(x);
        }
        out.write(buf.array());
    }

    private static void readArray(Path file, String entry, byte[] b, Map<String, Tensor> floats,
            Map<String, int[]> ints, Map<String, UInt8> bytes) throws CheckpointFormatException {
        String name = entry.substring(0, entry.length() - 4);
        String where = "array '" + name + "': ";
        if (b.length < 10 || !Arrays.equals(b, 0, MAGIC.length, MAGIC, 0, MAGIC.length)) {
            throw new CheckpointFormatException(file, where + "no .npy magic number");
        }
        ByteBuffer bb = ByteBuffer.wrap(b).order(ByteOrder.LITTLE_ENDIAN);
        int major = b[6];
        int headerLen;
        int start;
        if (major == 1) {
            headerLen = bb.getShort(8) & 0xFFFF;
            start = 10;
        } else if (major == 2 || major == 3) {
            headerLen = bb.getInt(8);
            start = 12;
        } else {
            throw new CheckpointFormatException(file, where + ".npy format version " + major + " is not 1, 2 or 3");
        }
        if (headerLen < 0 || start + headerLen > b.length) {
            throw new CheckpointFormatException(file, where + "truncated header");
        }
        String header = new String(b, start, headerLen, StandardCharsets.ISO_8859_1);
        String descr = group(file, where, DESCR, header, "descr");
        if (group(file, where, FORTRAN, header, "fortran_order").equals("True")) {
            throw new CheckpointFormatException(file, where + "Fortran order is not supported");
        }
        int[] shape = parseShape(file, where, group(file, where, SHAPE, header, "shape"));
        long count = 1;
        for (int d : shape) {
            count *= d;
        }
        int width = switch (descr) {
            case "|u1", "<u1" -> 1;
            case "<f4", "<i4" -> 4;
            case "<i8" -> 8;
            default -> throw new CheckpointFormatException(file, where + "dtype '" + descr
                    + "' is not supported (<f4, <i4, <i8, |u1)");
        };
        int data = start + headerLen;
        if (b.length - data != count * width) {
            throw new CheckpointFormatException(file, where + "shape " + Arrays.toString(shape) + " of " + descr
                    + " needs " + count * width + " bytes, the entry holds " + (b.length - data));
        }
        if (width == 1) {
            bytes.put(name, new UInt8(Arrays.copyOfRange(b, data, b.length), shape));
            return;
        }
        if (descr.equals("<f4")) {
            float[] v = new float[(int) count];
            bb.position(data);
            bb.asFloatBuffer().get(v);
            floats.put(name, Tensor.wrap(v, shape));
            return;
        }
        if (shape.length != 1) {
            throw new CheckpointFormatException(file, where + "integer arrays must have one dimension, got shape "
                    + Arrays.toString(shape));
        }
        int[] v = new int[(int) count];
        for (int i = 0; i < v.length; i++) {
            long x = width == 4 ? bb.getInt(data + 4 * i) : bb.getLong(data + 8 * i);
            if (x != (int) x) {
                throw new CheckpointFormatException(file, where + "element " + i + " = " + x + " does not fit an int");
            }
            v[i] = (int) x;
        }
        ints.put(name, v);
    }

    private static String group(Path file, String where, Pattern p, String header, String key)
            throws CheckpointFormatException {
        Matcher m = p.matcher(header);
        if (!m.find()) {
            throw new CheckpointFormatException(file, where + "header has no '" + key + "': " + header.strip());
        }
        return m.group(1);
    }

    private static int[] parseShape(Path file, String where, String tuple) throws CheckpointFormatException {
        String[] parts = tuple.split(",");
        int[] shape = new int[parts.length];
        int n = 0;
        for (String p : parts) {
            String s = p.strip();
            if (s.isEmpty()) {
                continue;
            }
            try {
                shape[n] = Integer.parseInt(s.endsWith("L") ? s.substring(0, s.length() - 1) : s);
            } catch (NumberFormatException e) {
                throw new CheckpointFormatException(file, where + "bad shape (" + tuple + ")");
            }
            if (shape[n++] < 0) {
                throw new CheckpointFormatException(file, where + "bad shape (" + tuple + ")");
            }
        }
        return Arrays.copyOf(shape, n);
    }
}
