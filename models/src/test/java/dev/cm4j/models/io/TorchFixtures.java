package dev.cm4j.models.io;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.net.URISyntaxException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.zip.CRC32;
import java.util.zip.ZipEntry;
import java.util.zip.ZipFile;
import java.util.zip.ZipOutputStream;

/**
 * The PyTorch fixtures (src/test/resources/torch, written by make_fixtures.py) and the means to write .pt files by
 * hand: a zip of STORED entries and torch-style pickles, opcode by opcode, for the hostile cases.
 */
public final class TorchFixtures {
    private TorchFixtures() {
    }

    /** A fixture file by name, e.g. "tensors.pt". */
    public static Path fixture(String name) {
        try {
            return Path.of(TorchFixtures.class.getResource("/torch/" + name).toURI());
        } catch (URISyntaxException | NullPointerException e) {
            throw new IllegalStateException("test resource torch/" + name + " is missing", e);
        }
    }

    /** The entries of a zip file, in order. */
    public static Map<String, byte[]> entries(Path zip) {
        Map<String, byte[]> out = new LinkedHashMap<>();
        try (ZipFile z = new ZipFile(zip.toFile())) {
            for (ZipEntry e : java.util.Collections.list(z.entries())) {
                try (InputStream in = z.getInputStream(e)) {
                    out.put(e.getName(), in.readAllBytes());
                }
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return out;
    }

    /** A zip of STORED entries, as torch.save writes them. */
    public static byte[] zip(Map<String, byte[]> entries) {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        try (ZipOutputStream out = new ZipOutputStream(bytes)) {
            for (Map.Entry<String, byte[]> e : entries.entrySet()) {
                ZipEntry z = new ZipEntry(e.getKey());
                z.setMethod(ZipEntry.STORED);
                z.setSize(e.getValue().length);
                CRC32 crc = new CRC32();
                crc.update(e.getValue());
                z.setCrc(crc.getValue());
                out.putNextEntry(z);
                out.write(e.getValue());
                out.closeEntry();
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return bytes.toByteArray();
    }

    /** A checkpoint "archive/" with data.pkl and storage 0, as torch writes one. */
    public static Map<String, byte[]> archive(byte[] pickle, byte[] storage0) {
        Map<String, byte[]> m = new LinkedHashMap<>();
        m.put("archive/data.pkl", pickle);
        m.put("archive/byteorder", "little".getBytes(StandardCharsets.US_ASCII));
        m.put("archive/data/0", storage0);
        m.put("archive/version", "3\n".getBytes(StandardCharsets.US_ASCII));
        return m;
    }

    public static Path write(Path dir, String name, byte[] bytes) {
        try {
            return Files.write(dir.resolve(name), bytes);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** Writes pickle opcodes (protocol 2, as torch.save does). */
    public static final class Pickle {
        private final ByteArrayOutputStream out = new ByteArrayOutputStream();

        public Pickle() {
            op(0x80).op(2);
        }

        public Pickle op(int b) {
            out.write(b);
            return this;
        }

        public Pickle global(String module, String name) {
            return op('c').raw(module + "\n" + name + "\n");
        }

        public Pickle str(String s) {
            byte[] b = s.getBytes(StandardCharsets.UTF_8);
            op('X');
            for (int i = 0; i < 4; i++) {
                op(b.length >>> (8 * i) & 0xFF);
            }
            out.writeBytes(b);
            return this;
        }

        /** LONG1 with 8 bytes: any long. */
        public Pickle num(long v) {
            op(0x8a).op(8);
            for (int i = 0; i < 8; i++) {
                op((int) (v >>> (8 * i)) & 0xFF);
            }
            return this;
        }

        public Pickle raw(String ascii) {
            out.writeBytes(ascii.getBytes(StandardCharsets.US_ASCII));
            return this;
        }

        public byte[] bytes() {
            return out.toByteArray();
        }

        /**
         * {"w": _rebuild_tensor_v2(storage "0" of {@code numel} {@code storageType}, offset, size, stride, False,
         * OrderedDict())}, then STOP: the pickle torch writes for a one-tensor state dict.
         */
        public static byte[] oneTensor(String storageType, long numel, long offset, long[] size, long[] stride) {
            Pickle p = new Pickle().op('}').op('q').op(0).op('(').str("w")
                    .global("torch._utils", "_rebuild_tensor_v2").op('(')
                    .op('(').str("storage").global("torch", storageType).str("0").str("cpu").num(numel).op('t')
                    .op('Q').num(offset).op('(');
            for (long s : size) {
                p.num(s);
            }
            p.op('t').op('(');
            for (long s : stride) {
                p.num(s);
            }
            return p.op('t').op(0x89).global("collections", "OrderedDict").op(')').op('R').op('t').op('R')
                    .op('u').op('.').bytes();
        }
    }
}
