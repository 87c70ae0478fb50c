package dev.cm4j.models.io;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.StreamReadFeature;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.json.JsonMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.cm4j.tensor.Tensor;
import dev.cm4j.tensor.kernels.HalfConversion;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * The safetensors format (huggingface/safetensors): an 8-byte little-endian header length N, N bytes of UTF-8 JSON
 * ({@code {"name": {"dtype": "F32", "shape": [..], "data_offsets": [begin, end]}, "__metadata__": {..}}}), then the
 * raw little-endian tensor bytes, offsets relative to the end of the header. Readable by PyTorch, numpy and JAX.
 *
 * <p>Writes F32, atomically ({@link AtomicFiles}). Reads F32, F16 and BF16 into float32. A read validates the whole
 * header (one JSON object starting at the first byte, padded with spaces only, no duplicate names, nothing after it;
 * dtypes, shapes against byte sizes, offsets contiguous and inside the file, the file's exact length) before it
 * creates any tensor, and reports the first problem with the file's name: a corrupt file never loads in part.
 */
public final class SafeTensors {
    /** Headers larger than this are rejected as garbled (the reference implementation's limit is 100 MB). */
    static final long MAX_HEADER = 100L * 1024 * 1024;
    /** Strict JSON: a second value after the header, or a name given twice, is an error rather than ignored. */
    private static final ObjectMapper JSON = JsonMapper.builder()
            .enable(DeserializationFeature.FAIL_ON_TRAILING_TOKENS)
            .enable(StreamReadFeature.STRICT_DUPLICATE_DETECTION)
            .build();
    private static final int CHUNK = 1 << 20;

    private SafeTensors() {
    }

    /** The tensors of a file, in header order, and its string metadata. */
    public record Contents(Map<String, Tensor> tensors, Map<String, String> metadata) {
    }

    /** One validated header entry. */
    private record Entry(String name, String dtype, int[] shape, long begin, long end) {
    }

    // ---------------------------------------------------------------- write

    /**
     * Writes {@code tensors} as F32 with string metadata (may be empty), replacing {@code file} atomically. The
     * header is deterministic: metadata keys sorted, tensors in the iteration order of {@code tensors}, so equal
     * inputs give byte-identical files.
     */
    public static void write(Path file, Map<String, Tensor> tensors, Map<String, String> metadata) throws IOException {
        AtomicFiles.write(file, encode(file, tensors, metadata));
    }

    /**
     * The bytes of a safetensors file holding {@code tensors} (F32, in iteration order) and {@code metadata} (keys
     * sorted), as a body for {@link AtomicFiles} or {@link FileOps#write}. {@code file} only names errors.
     */
    public static AtomicFiles.Body encode(Path file, Map<String, Tensor> tensors, Map<String, String> metadata)
            throws IOException {
        ObjectNode header = JSON.createObjectNode();
        if (!metadata.isEmpty()) {
            ObjectNode meta = header.putObject("__metadata__");
            new TreeMap<>(metadata).forEach(meta::put);
        }
        long offset = 0;
        for (Map.Entry<String, Tensor> e : tensors.entrySet()) {
            if (e.getKey().equals("__metadata__")) {
                throw new IllegalArgumentException("safetensors write " + file + ": '__metadata__' is reserved");
            }
            Tensor t = e.getValue();
            ObjectNode node = header.putObject(e.getKey());
            node.put("dtype", "F32");
            ArrayNode shape = node.putArray("shape");
            for (int d : t.shape()) {
                shape.add(d);
            }
            long bytes = 4L * t.size();
            node.putArray("data_offsets").add(offset).add(offset + bytes);
            offset += bytes;
        }
        byte[] json = JSON.writeValueAsBytes(header);
        // pad the header with spaces to a multiple of 8 so the data section is aligned (as the reference writer does)
        int padded = (json.length + 7) / 8 * 8;
        byte[] head = Arrays.copyOf(json, padded);
        Arrays.fill(head, json.length, padded, (byte) ' ');
        List<Tensor> data = List.copyOf(tensors.values());

        return ch -> {
            ByteBuffer len = ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN).putLong(head.length).flip();
            writeFully(ch, len);
            writeFully(ch, ByteBuffer.wrap(head));
            ByteBuffer buf = ByteBuffer.allocateDirect(CHUNK).order(ByteOrder.LITTLE_ENDIAN);
            for (Tensor t : data) {
                float[] d = t.data();
                for (int i = t.offset(), end = t.offset() + t.size(); i < end; ) {
                    int n = Math.min(end - i, CHUNK / 4);
                    buf.clear();
                    buf.asFloatBuffer().put(d, i, n);
                    buf.limit(4 * n);
                    writeFully(ch, buf);
                    i += n;
                }
            }
        };
    }

    private static void writeFully(FileChannel ch, ByteBuffer b) throws IOException {
        while (b.hasRemaining()) {
            ch.write(b);
        }
    }

    // ---------------------------------------------------------------- read

    /** Reads every tensor of {@code file} as float32; throws {@link CheckpointFormatException} on any damage. */
    public static Contents read(Path file) throws IOException {
        try (FileChannel ch = FileChannel.open(file, StandardOpenOption.READ)) {
            long fileSize = ch.size();
            if (fileSize < 8) {
                throw new CheckpointFormatException(file, "truncated: " + fileSize
                        + " bytes, shorter than the 8-byte header length");
            }
            ByteBuffer lenBuf = ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN);
            readFully(ch, lenBuf, 0, file);
            long n = lenBuf.flip().getLong();
            if (n < 2 || n > MAX_HEADER || n > fileSize - 8) {
                throw new CheckpointFormatException(file, "header length " + Long.toUnsignedString(n)
                        + " is impossible for a file of " + fileSize + " bytes (truncated or not a safetensors file)");
            }
            ByteBuffer headBuf = ByteBuffer.allocate((int) n);
            readFully(ch, headBuf, 8, file);
            String json = new String(headBuf.array(), StandardCharsets.UTF_8);
            long dataStart = 8 + n;
            Map<String, String> metadata = new LinkedHashMap<>();
            List<Entry> entries = parseHeader(file, json, metadata);
            checkLayout(file, entries, fileSize - dataStart);

            Map<String, Tensor> out = new LinkedHashMap<>();
            for (Entry e : entries) {
                out.put(e.name(), readTensor(ch, file, e, dataStart));
            }
            return new Contents(Collections.unmodifiableMap(out), Collections.unmodifiableMap(metadata));
        } catch (NoSuchFileException e) {
            throw new NoSuchFileException(file.toString(), null, "checkpoint file does not exist");
        }
    }

    private static void readFully(FileChannel ch, ByteBuffer b, long pos, Path file) throws IOException {
        while (b.hasRemaining()) {
            int r = ch.read(b, pos);
            if (r < 0) {
                throw new CheckpointFormatException(file, "truncated: file ended at byte " + pos);
            }
            pos += r;
        }
    }

    private static List<Entry> parseHeader(Path file, String json, Map<String, String> metadata)
            throws CheckpointFormatException {
        JsonNode root;
        try {
            root = JSON.readTree(json);
        } catch (JsonProcessingException e) {
            throw new CheckpointFormatException(file, "garbled header: not valid JSON ("
                    + e.getOriginalMessage() + ")", e);
        }
        if (root == null || !root.isObject()) {
            throw new CheckpointFormatException(file, "garbled header: expected a JSON object");
        }
        // the writers pad the header to a multiple of 8 with spaces; any other byte around the object is damage
        int end = json.length();
        while (end > 0 && json.charAt(end - 1) == ' ') {
            end--;
        }
        if (json.charAt(0) != '{' || json.charAt(end - 1) != '}') {
            throw new CheckpointFormatException(file, "garbled header: the JSON object must start at the first byte"
                    + " and only spaces may follow it");
        }
        List<Entry> entries = new ArrayList<>();
        for (Map.Entry<String, JsonNode> f : root.properties()) {
            String name = f.getKey();
            JsonNode node = f.getValue();
            if (name.equals("__metadata__")) {
                if (!node.isObject()) {
                    throw new CheckpointFormatException(file, "garbled header: __metadata__ is not an object");
                }
                for (Map.Entry<String, JsonNode> kv : node.properties()) {
                    if (!kv.getValue().isTextual()) {
                        throw new CheckpointFormatException(file, "garbled header: metadata '" + kv.getKey()
                                + "' is not a string");
                    }
                    metadata.put(kv.getKey(), kv.getValue().asText());
                }
                continue;
            }
            entries.add(parseEntry(file, name, node));
        }
        return entries;
    }

    private static Entry parseEntry(Path file, String name, JsonNode node) throws CheckpointFormatException {
        String where = "tensor '" + name + "': ";
        if (!node.isObject() || !node.path("dtype").isTextual() || !node.path("shape").isArray()
                || !node.path("data_offsets").isArray() || node.path("data_offsets").size() != 2) {
            throw new CheckpointFormatException(file, "garbled header: " + where
                    + "needs dtype, shape and two data_offsets");
        }
        String dtype = node.get("dtype").asText();
        int width = dtypeWidth(dtype);
        if (width == 0) {
            throw new CheckpointFormatException(file, where + "unsupported dtype " + dtype
                    + " (readable: F32, F16, BF16)");
        }
        JsonNode sn = node.get("shape");
        int[] shape = new int[sn.size()];
        long numel = 1;
        for (int i = 0; i < shape.length; i++) {
            JsonNode d = sn.get(i);
            if (!d.canConvertToLong() || !d.isIntegralNumber() || d.asLong() < 0 || d.asLong() > Integer.MAX_VALUE) {
                throw new CheckpointFormatException(file, "garbled header: " + where + "bad shape " + sn);
            }
            shape[i] = (int) d.asLong();
            numel *= shape[i];
            if (numel > Integer.MAX_VALUE - 8) {
                throw new CheckpointFormatException(file, where + "shape " + sn + " has more than 2^31 elements");
            }
        }
        JsonNode b = node.get("data_offsets").get(0), e = node.get("data_offsets").get(1);
        if (!b.isIntegralNumber() || !e.isIntegralNumber() || b.asLong() < 0 || e.asLong() < b.asLong()) {
            throw new CheckpointFormatException(file, where + "bad data_offsets " + node.get("data_offsets"));
        }
        long begin = b.asLong(), end = e.asLong();
        if (end - begin != numel * width) {
            throw new CheckpointFormatException(file, where + "shape " + sn + " of " + dtype + " needs "
                    + numel * width + " bytes but data_offsets [" + begin + ", " + end + "] hold " + (end - begin));
        }
        return new Entry(name, dtype, shape, begin, end);
    }

    /** Bytes per element, or 0 for a dtype this reader does not convert. */
    private static int dtypeWidth(String dtype) {
        return switch (dtype) {
            case "F32" -> 4;
            case "F16", "BF16" -> 2;
            default -> 0;
        };
    }

    /** The data section must be exactly the tensors' byte ranges laid end to end, without gaps or overlaps. */
    private static void checkLayout(Path file, List<Entry> entries, long dataSize) throws CheckpointFormatException {
        List<Entry> sorted = new ArrayList<>(entries);
        sorted.sort(Comparator.comparingLong(Entry::begin).thenComparingLong(Entry::end));
        long expect = 0;
        for (Entry e : sorted) {
            if (e.begin() != expect) {
                throw new CheckpointFormatException(file, "tensor '" + e.name() + "' starts at data offset "
                        + e.begin() + " but the previous tensor ends at " + expect
                        + (e.begin() < expect ? " (overlap)" : " (gap)"));
            }
            expect = e.end();
        }
        if (expect > dataSize) {
            Entry last = sorted.get(sorted.size() - 1);
            throw new CheckpointFormatException(file, "truncated: tensor '" + last.name() + "' ends at data offset "
                    + expect + " but the data section has only " + dataSize + " bytes");
        }
        if (expect < dataSize) {
            throw new CheckpointFormatException(file, (dataSize - expect)
                    + " unexpected bytes after the last tensor (data section " + dataSize + " bytes, tensors "
                    + expect + ")");
        }
    }

    private static Tensor readTensor(FileChannel ch, Path file, Entry e, long dataStart) throws IOException {
        int numel = (int) ((e.end() - e.begin()) / dtypeWidth(e.dtype()));
        Tensor t = Tensor.zeros(e.shape());
        float[] d = t.data();
        ByteBuffer buf = ByteBuffer.allocateDirect(CHUNK).order(ByteOrder.LITTLE_ENDIAN);
        int width = dtypeWidth(e.dtype());
        long pos = dataStart + e.begin();
        for (int i = 0; i < numel; ) {
            int n = Math.min(numel - i, CHUNK / width);
            buf.clear().limit(n * width);
            readFully(ch, buf, pos, file);
            buf.flip();
            switch (e.dtype()) {
                case "F32" -> buf.asFloatBuffer().get(d, i, n);
                case "F16" -> {
                    for (int j = 0; j < n; j++) {
                        d[i + j] = HalfConversion.fp16ToFloat(buf.getShort(2 * j));
                    }
                }
                default -> {
                    // BF16 is the upper half of a float32
                    for (int j = 0; j < n; j++) {
                        d[i + j] = HalfConversion.bf16ToFloat(buf.getShort(2 * j));
                    }
                }
            }
            pos += (long) n * width;
            i += n;
        }
        return t;
    }

    static ObjectMapper json() {
        return JSON;
    }
}
