package dev.cm4j.models.io;

import dev.cm4j.models.io.TorchPickle.DType;
import dev.cm4j.models.io.TorchPickle.Storage;
import dev.cm4j.models.io.TorchPickle.TensorRef;
import dev.cm4j.tensor.HalfTensor;
import dev.cm4j.tensor.Tensor;
import dev.cm4j.tensor.kernels.HalfConversion;

import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Collections;
import java.util.Enumeration;
import java.util.IdentityHashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.zip.ZipEntry;
import java.util.zip.ZipException;
import java.util.zip.ZipFile;

/**
 * PyTorch checkpoints ({@code torch.save} since 1.6): a zip archive with one top folder {@code <archive>/} holding
 * {@code data.pkl} (the pickled object), {@code data/<key>} (one raw storage per key, stored uncompressed),
 * {@code byteorder} ("little" or "big"; absent means little) and {@code version}. Reads the float32, float16 and
 * bfloat16 tensors of a (possibly nested) state dict into float32; half precision widens exactly.
 *
 * <p>Safety: the pickle is run by {@link TorchPickle}, which builds only dicts, lists, tuples, strings, numbers,
 * storages and tensor views and refuses any other global by name; nothing in the file is executed. Before any tensor
 * is created the whole file is checked: entry names (no {@code ..}, no absolute paths), one archive folder, the
 * storages' byte sizes against their declared element counts, each view's offset, sizes and strides inside its
 * storage, and the total against the heap. The first problem is reported with the file's name; a damaged file never
 * loads in part. Storages are streamed from the zip entry in 1 MiB chunks, so reading needs the float32 tensors and a
 * buffer, not a copy of the file.
 *
 * <p>Names: nested dicts are flattened with dots ({@code {"model": {"a.weight": t}}} gives {@code model.a.weight});
 * numbers, strings and booleans beside the tensors become metadata strings under the same names.
 */
public final class TorchCheckpoint {
    /** A data.pkl above this size is not a state dict's (the 526M-parameter LSUN-256 one is well under 1 MiB). */
    static final int MAX_PICKLE = 64 << 20;
    private static final int CHUNK = 1 << 20;
    private static final int MAX_DEPTH = 32;
    private static final int MAX_ELEMENTS = Integer.MAX_VALUE - 8;

    private TorchCheckpoint() {
    }

    /** One tensor of the file: its name, storage element type and shape (as torch gives it). */
    public record TensorInfo(String name, String dtype, int[] shape) {
    }

    /** The tensors of a file, in the order of the pickle, and its non-tensor scalars as strings. */
    public record Contents(Map<String, Tensor> tensors, Map<String, String> metadata) {
    }

    /** What the pickle of a checked file holds. */
    private record Parsed(String archive, ByteOrder order, Map<String, TensorRef> tensors,
                          Map<String, String> metadata) {
    }

    // ---------------------------------------------------------------- public API

    /** The tensors of {@code file} with their dtypes and shapes, after all the checks; reads no tensor data. */
    public static Map<String, TensorInfo> index(Path file) throws IOException {
        try (ZipFile zip = open(file)) {
            Parsed p = parse(zip, file);
            Map<String, TensorInfo> out = new LinkedHashMap<>();
            p.tensors().forEach((name, t) -> out.put(name, new TensorInfo(name, t.storage().dtype().name(),
                    shape(t))));
            return Collections.unmodifiableMap(out);
        }
    }

    /** Every tensor of {@code file} as float32, and its scalars; throws {@link CheckpointFormatException} on damage. */
    public static Contents read(Path file) throws IOException {
        try (ZipFile zip = open(file)) {
            Parsed p = parse(zip, file);
            long total = 0;
            for (TensorRef t : p.tensors().values()) {
                total += numel(t);
            }
            long heap = Runtime.getRuntime().maxMemory();
            if (4 * total > heap) {
                throw new CheckpointFormatException(file, "its tensors need " + 4 * total + " bytes as float32 but"
                        + " the JVM may use at most " + heap + " (raise -Xmx)");
            }
            Map<String, Tensor> out = new LinkedHashMap<>();
            for (Map.Entry<String, TensorRef> e : p.tensors().entrySet()) {
                Tensor t = Tensor.zeros(shape(e.getValue()));
                fill(zip, file, p, e.getKey(), e.getValue(), t.data(), t.offset());
                out.put(e.getKey(), t);
            }
            return new Contents(Collections.unmodifiableMap(out), p.metadata());
        }
    }

    /**
     * Reads the tensors of {@code file} named in {@code targets} into those tensors (widened to float32), without a
     * second copy of the weights: for loading a model's live parameters. Every target must exist in the file with its
     * shape; this is checked for all targets before the first is written.
     */
    public static void readInto(Path file, Map<String, Tensor> targets) throws IOException {
        readInto(file, targets, Map.of());
    }

    /**
     * {@link #readInto(Path, Map)}, and the tensors named in {@code halfTargets} into those 16-bit storages: each is
     * read through one float32 array the size of the largest (widened exactly) and rounded to the target's format,
     * so a float16 tensor read into a float16 target keeps its bits (likewise bfloat16), and a float32 one is rounded
     * to nearest even. All targets are checked before the first is written.
     */
    public static void readInto(Path file, Map<String, Tensor> targets, Map<String, HalfTensor> halfTargets)
            throws IOException {
        try (ZipFile zip = open(file)) {
            Parsed p = parse(zip, file);
            for (Map.Entry<String, Tensor> e : targets.entrySet()) {
                checkTarget(file, p, e.getKey(), e.getValue().shape());
            }
            for (Map.Entry<String, HalfTensor> e : halfTargets.entrySet()) {
                checkTarget(file, p, e.getKey(), e.getValue().shape());
            }
            for (Map.Entry<String, Tensor> e : targets.entrySet()) {
                Tensor dst = e.getValue();
                fill(zip, file, p, e.getKey(), p.tensors().get(e.getKey()), dst.data(), dst.offset());
                dst.markModified();
            }
            int largest = halfTargets.values().stream().mapToInt(HalfTensor::size).max().orElse(0);
            float[] wide = new float[largest];
            for (Map.Entry<String, HalfTensor> e : halfTargets.entrySet()) {
                HalfTensor dst = e.getValue();
                fill(zip, file, p, e.getKey(), p.tensors().get(e.getKey()), wide, 0);
                dst.format().narrow(wide, 0, dst.bits(), 0, dst.size());
            }
        }
    }

    private static void checkTarget(Path file, Parsed p, String name, int[] shape) throws CheckpointFormatException {
        TensorRef t = p.tensors().get(name);
        if (t == null) {
            throw new CheckpointFormatException(file, "has no tensor '" + name + "'");
        }
        if (!Arrays.equals(shape(t), shape)) {
            throw new CheckpointFormatException(file, "tensor '" + name + "' has shape "
                    + Arrays.toString(shape(t)) + ", expected " + Arrays.toString(shape));
        }
    }

    // ---------------------------------------------------------------- checks

    private static ZipFile open(Path file) throws IOException {
        byte[] head;
        try (InputStream s = Files.newInputStream(file)) {
            head = s.readNBytes(4);
        } catch (NoSuchFileException e) {
            throw new NoSuchFileException(file.toString(), null, "checkpoint file does not exist");
        }
        if (head.length >= 2 && (head[0] & 0xFF) == 0x80 && head[1] >= 2) {
            throw new CheckpointFormatException(file, "a legacy (before PyTorch 1.6) pickle-only checkpoint;"
                    + " re-save it with torch.save from PyTorch >= 1.6 to get the zip format");
        }
        if (head.length < 4 || head[0] != 'P' || head[1] != 'K' || head[2] != 3 || head[3] != 4) {
            throw new CheckpointFormatException(file, "not a PyTorch checkpoint (a zip archive starts with PK\\3\\4)");
        }
        try {
            return new ZipFile(file.toFile());
        } catch (ZipException e) {
            throw new CheckpointFormatException(file, "damaged or truncated zip archive (" + e.getMessage() + ")", e);
        }
    }

    private static Parsed parse(ZipFile zip, Path file) throws IOException {
        String archive = null;
        Map<String, ZipEntry> entries = new LinkedHashMap<>();
        for (Enumeration<? extends ZipEntry> en = zip.entries(); en.hasMoreElements(); ) {
            ZipEntry z = en.nextElement();
            String name = z.getName();
            if (name.startsWith("/") || name.contains("\\") || name.indexOf('\0') >= 0 || name.contains(":")
                    || Arrays.asList(name.split("/", -1)).contains("..")) {
                throw new CheckpointFormatException(file, "zip entry '" + name + "' is not a plain relative path"
                        + " ('..', absolute or drive paths are refused)");
            }
            int slash = name.indexOf('/');
            String top = slash < 0 ? "" : name.substring(0, slash);
            if (archive == null) {
                archive = top;
            } else if (!archive.equals(top)) {
                throw new CheckpointFormatException(file, "zip entries lie in two folders ('" + archive + "' and '"
                        + top + "'); torch.save writes one");
            }
            if (entries.put(name, z) != null) {
                throw new CheckpointFormatException(file, "zip entry '" + name + "' appears twice");
            }
        }
        if (archive == null || archive.isEmpty() || !entries.containsKey(archive + "/data.pkl")) {
            throw new CheckpointFormatException(file, "no <archive>/data.pkl entry: not a torch.save zip file");
        }
        ByteOrder order = ByteOrder.LITTLE_ENDIAN;
        ZipEntry bo = entries.get(archive + "/byteorder");
        if (bo != null) {
            String s = new String(small(zip, bo, 16, file), StandardCharsets.US_ASCII).trim();
            order = switch (s) {
                case "little" -> ByteOrder.LITTLE_ENDIAN;
                case "big" -> ByteOrder.BIG_ENDIAN;
                default -> throw new CheckpointFormatException(file, "byteorder entry says '" + s + "'");
            };
        }
        ZipEntry version = entries.get(archive + "/version");
        if (version != null) {
            // torch writes its serialization format version (3 since PyTorch 1.6); the layout read here is unchanged
            String v = new String(small(zip, version, 16, file), StandardCharsets.US_ASCII).trim();
            if (!v.matches("[1-9][0-9]{0,3}")) {
                throw new CheckpointFormatException(file, "version entry says '" + v + "', not a format version");
            }
        }
        String pkl = archive + "/data.pkl";
        Object root = TorchPickle.load(small(zip, entries.get(pkl), MAX_PICKLE, file), file, pkl);
        if (!(root instanceof Map<?, ?> top)) {
            throw new CheckpointFormatException(file, "holds a " + kind(root) + ", not a state dict");
        }
        Map<String, TensorRef> tensors = new LinkedHashMap<>();
        Map<String, String> metadata = new LinkedHashMap<>();
        flatten(file, "", top, tensors, metadata, new IdentityHashMap<>(), 0);
        Map<Storage, Boolean> checked = new IdentityHashMap<>();
        for (Map.Entry<String, TensorRef> e : tensors.entrySet()) {
            checkView(file, e.getKey(), e.getValue());
            Storage s = e.getValue().storage();
            if (checked.put(s, Boolean.TRUE) == null) {
                ZipEntry z = entries.get(archive + "/data/" + s.key());
                if (z == null) {
                    throw new CheckpointFormatException(file, "tensor '" + e.getKey() + "' needs storage entry "
                            + archive + "/data/" + s.key() + ", which is missing");
                }
                long bytes = s.numel() * s.dtype().width;
                if (z.getSize() != bytes) {
                    throw new CheckpointFormatException(file, "storage " + z.getName() + " declares " + s.numel()
                            + " " + s.dtype() + " elements (" + bytes + " bytes) but the entry holds " + z.getSize()
                            + " bytes");
                }
            }
        }
        return new Parsed(archive, order, Collections.unmodifiableMap(tensors),
                Collections.unmodifiableMap(metadata));
    }

    /** Bytes of a small entry, refusing one larger than {@code limit} whatever its header claims. */
    private static byte[] small(ZipFile zip, ZipEntry z, int limit, Path file) throws IOException {
        if (z.getSize() > limit) {
            throw new CheckpointFormatException(file, "entry " + z.getName() + " has " + z.getSize()
                    + " bytes, more than the " + limit + " it may have");
        }
        try (InputStream s = zip.getInputStream(z)) {
            byte[] b = s.readNBytes(limit + 1);
            if (b.length > limit || (z.getSize() >= 0 && b.length != z.getSize())) {
                throw new CheckpointFormatException(file, "entry " + z.getName() + " holds " + b.length
                        + " bytes, its header says " + z.getSize());
            }
            return b;
        } catch (ZipException e) {
            throw new CheckpointFormatException(file, "entry " + z.getName() + " is damaged (" + e.getMessage() + ")",
                    e);
        }
    }

    private static void flatten(Path file, String prefix, Map<?, ?> m, Map<String, TensorRef> tensors,
                                Map<String, String> metadata, Map<Object, Boolean> seen, int depth)
            throws CheckpointFormatException {
        if (depth > MAX_DEPTH || seen.put(m, Boolean.TRUE) != null) {
            throw new CheckpointFormatException(file, "dict '" + prefix + "' nests too deeply or contains itself");
        }
        for (Map.Entry<?, ?> e : m.entrySet()) {
            String name = prefix + e.getKey();
            Object v = e.getValue();
            if (v instanceof TensorRef t) {
                tensors.put(name, t);
            } else if (v instanceof Map<?, ?> sub) {
                flatten(file, name + ".", sub, tensors, metadata, seen, depth + 1);
            } else if (v instanceof String || v instanceof Long || v instanceof Double || v instanceof Boolean
                    || v == TorchPickle.NONE) {
                metadata.put(name, String.valueOf(v));
            } else {
                throw new CheckpointFormatException(file, "entry '" + name + "' is a " + kind(v)
                        + "; a state dict holds tensors, dicts and scalars");
            }
        }
        seen.remove(m);
    }

    private static String kind(Object o) {
        return o instanceof TorchPickle.Tuple ? "tuple" : o instanceof List ? "list"
                : o instanceof TensorRef ? "single tensor" : o instanceof Storage ? "bare storage"
                : o == null ? "nothing" : o.getClass().getSimpleName();
    }

    /** Sizes within int, strides non-negative, and every element of the view inside its storage. */
    private static void checkView(Path file, String name, TensorRef t) throws CheckpointFormatException {
        String where = "tensor '" + name + "' (size " + Arrays.toString(t.size()) + ", stride "
                + Arrays.toString(t.stride()) + ", offset " + t.offset() + ", storage " + t.storage().key() + " of "
                + t.storage().numel() + " elements): ";
        long n = 1;
        long last = t.offset();
        if (t.offset() < 0) {
            throw new CheckpointFormatException(file, where + "negative storage offset");
        }
        for (int i = 0; i < t.size().length; i++) {
            long s = t.size()[i], st = t.stride()[i];
            if (s < 0 || st < 0) {
                throw new CheckpointFormatException(file, where + "negative size or stride");
            }
            if (s > MAX_ELEMENTS || (n = n * s) > MAX_ELEMENTS) {
                throw new CheckpointFormatException(file, where + "more than 2^31 elements");
            }
        }
        if (n == 0) {
            return;
        }
        for (int i = 0; i < t.size().length; i++) {
            long reach;
            try {
                reach = Math.multiplyExact(t.size()[i] - 1, t.stride()[i]);
                last = Math.addExact(last, reach);
            } catch (ArithmeticException e) {
                last = Long.MAX_VALUE;
                break;
            }
        }
        if (last >= t.storage().numel()) {
            throw new CheckpointFormatException(file, where + "reaches element " + last + ", outside its storage");
        }
    }

    private static int[] shape(TensorRef t) {
        int[] s = new int[t.size().length];
        for (int i = 0; i < s.length; i++) {
            s[i] = (int) t.size()[i];
        }
        return s;
    }

    private static long numel(TensorRef t) {
        long n = 1;
        for (long s : t.size()) {
            n *= s;
        }
        return n;
    }

    // ---------------------------------------------------------------- reading

    /**
     * Writes the view {@code t} into dst[at ..] in row-major order. A contiguous view streams straight from the
     * entry; any other reads the storage span it touches (first to last element) and gathers from it.
     */
    private static void fill(ZipFile zip, Path file, Parsed p, String name, TensorRef t, float[] dst, int at)
            throws IOException {
        long n = numel(t);
        if (n == 0) {
            return;
        }
        long span = 1;
        for (int i = 0; i < t.size().length; i++) {
            span += (t.size()[i] - 1) * t.stride()[i];
        }
        ZipEntry z = zip.getEntry(p.archive() + "/data/" + t.storage().key());
        DType dtype = t.storage().dtype();
        try (InputStream in = zip.getInputStream(z)) {
            in.skipNBytes(t.offset() * dtype.width);
            if (contiguous(t)) {
                widen(in, dtype, p.order(), dst, at, (int) n);
                return;
            }
            if (span > MAX_ELEMENTS) {
                throw new CheckpointFormatException(file, "tensor '" + name + "' spans " + span
                        + " storage elements, more than one array holds");
            }
            float[] src = new float[(int) span];
            widen(in, dtype, p.order(), src, 0, (int) span);
            gather(src, t.size(), t.stride(), dst, at);
        } catch (ZipException | java.io.EOFException e) {
            throw new CheckpointFormatException(file, "storage " + z.getName() + " of tensor '" + name
                    + "' cannot be read (" + e.getMessage() + ")", e);
        }
    }

    private static boolean contiguous(TensorRef t) {
        long expect = 1;
        for (int i = t.size().length - 1; i >= 0; i--) {
            if (t.size()[i] != 1 && t.stride()[i] != expect) {
                return false;
            }
            expect *= t.size()[i];
        }
        return true;
    }

    /** dst[at + i] = src[sum_d index_d * stride_d] over the row-major indices of {@code size}. */
    private static void gather(float[] src, long[] size, long[] stride, float[] dst, int at) {
        int rank = size.length;
        long[] idx = new long[rank];
        long n = 1;
        for (long s : size) {
            n *= s;
        }
        long pos = 0;
        for (long i = 0; i < n; i++) {
            dst[at + (int) i] = src[(int) pos];
            for (int d = rank - 1; d >= 0; d--) {
                idx[d]++;
                pos += stride[d];
                if (idx[d] < size[d]) {
                    break;
                }
                pos -= idx[d] * stride[d];
                idx[d] = 0;
            }
        }
    }

    /** Reads n elements of dtype and widens them to float32 (exactly: every half and bfloat16 value is a float). */
    private static void widen(InputStream in, DType dtype, ByteOrder order, float[] dst, int at, int n)
            throws IOException {
        byte[] buf = new byte[(int) Math.min(CHUNK, (long) n * dtype.width)];
        ByteBuffer bb = ByteBuffer.wrap(buf).order(order);
        for (int i = 0; i < n; ) {
            int m = Math.min(n - i, buf.length / dtype.width);
            int got = in.readNBytes(buf, 0, m * dtype.width);
            if (got != m * dtype.width) {
                throw new java.io.EOFException("ended " + ((long) (n - i) * dtype.width - got) + " bytes early");
            }
            switch (dtype) {
                case F32 -> bb.asFloatBuffer().get(dst, at + i, m);
                case F16 -> {
                    for (int j = 0; j < m; j++) {
                        dst[at + i + j] = HalfConversion.fp16ToFloat(bb.getShort(2 * j));
                    }
                }
                case BF16 -> {
                    // bfloat16 is the upper half of a float32
                    for (int j = 0; j < m; j++) {
                        dst[at + i + j] = HalfConversion.bf16ToFloat(bb.getShort(2 * j));
                    }
                }
            }
            i += m;
        }
    }
}
