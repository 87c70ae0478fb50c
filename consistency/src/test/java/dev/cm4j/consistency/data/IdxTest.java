package dev.cm4j.consistency.data;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.zip.GZIPOutputStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class IdxTest {
    @TempDir
    Path dir;

    /** The uncompressed IDX bytes: magic, sizes, then {@code data}. */
    static byte[] idx(int magic, int[] dims, byte[] data) throws IOException {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        try (DataOutputStream out = new DataOutputStream(bytes)) {
            out.writeInt(magic);
            for (int d : dims) {
                out.writeInt(d);
            }
            out.write(data);
        }
        return bytes.toByteArray();
    }

    static byte[] gzip(byte[] raw) throws IOException {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        try (GZIPOutputStream out = new GZIPOutputStream(bytes)) {
            out.write(raw);
        }
        return bytes.toByteArray();
    }

    static byte[] ramp(int n) {
        byte[] b = new byte[n];
        for (int i = 0; i < n; i++) {
            b[i] = (byte) (i * 37);
        }
        return b;
    }

    private Path write(String name, byte[] content) throws IOException {
        return Files.write(dir.resolve(name), content);
    }

    private DataFileException refused(Path file, int rank, String... phrases) {
        DataFileException e = assertThrows(DataFileException.class, () -> Idx.read(file, rank));
        assertEquals(file, e.file());
        assertTrue(e.getMessage().startsWith(file.toString()), e.getMessage());
        for (String p : phrases) {
            assertTrue(e.getMessage().contains(p), "expected '" + p + "' in: " + e.getMessage());
        }
        return e;
    }

    @Test
    void readsImagesAndLabels() throws IOException {
        byte[] pixels = ramp(3 * 4 * 5);
        Path images = write("img.gz", gzip(idx(Idx.IMAGES_MAGIC, new int[] {3, 4, 5}, pixels)));
        Idx.UByteArray a = Idx.readImages(images);
        assertArrayEquals(new int[] {3, 4, 5}, a.dims());
        assertEquals(3, a.count());
        assertArrayEquals(pixels, a.data());
        assertEquals(images, a.file());

        byte[] labels = {0, 9, 3};
        Idx.UByteArray l = Idx.readLabels(write("lab.gz", gzip(idx(Idx.LABELS_MAGIC, new int[] {3}, labels))));
        assertArrayEquals(new int[] {3}, l.dims());
        assertArrayEquals(labels, l.data());
    }

    @Test
    void readsAnEmptyArrayAndMultiMemberGzip() throws IOException {
        Idx.UByteArray empty = Idx.readLabels(write("e.gz", gzip(idx(Idx.LABELS_MAGIC, new int[] {0}, new byte[0]))));
        assertEquals(0, empty.count());
        // gzip allows concatenated members; the reader must see one stream
        byte[] raw = idx(Idx.LABELS_MAGIC, new int[] {6}, ramp(6));
        byte[] a = gzip(Arrays.copyOf(raw, 7));
        byte[] b = gzip(Arrays.copyOfRange(raw, 7, raw.length));
        byte[] both = Arrays.copyOf(a, a.length + b.length);
        System.arraycopy(b, 0, both, a.length, b.length);
        assertArrayEquals(ramp(6), Idx.readLabels(write("m.gz", both)).data());
    }

    @Test
    void refusesNonGzip() throws IOException {
        byte[] raw = idx(Idx.IMAGES_MAGIC, new int[] {1, 2, 2}, ramp(4));
        refused(write("raw", raw), 3, "not a gzip file", "0x00 0x00");
        refused(write("empty", new byte[0]), 3, "not a gzip file", "empty");
    }

    @Test
    void refusesTruncatedGzip() throws IOException {
        byte[] gz = gzip(idx(Idx.IMAGES_MAGIC, new int[] {10, 28, 28}, ramp(10 * 28 * 28)));
        // cut inside the deflate data, and cut only the 8-byte CRC/length trailer
        refused(write("half.gz", Arrays.copyOf(gz, gz.length / 2)), 3, "truncated: the gzip stream ends early");
        byte[] tiny = gzip(idx(Idx.IMAGES_MAGIC, new int[] {3, 4, 5}, new byte[60]));
        refused(write("tiny.gz", Arrays.copyOf(tiny, tiny.length / 2)), 3, "truncated: the gzip stream ends early");
        refused(write("trailer.gz", Arrays.copyOf(gz, gz.length - 4)), 3, "truncated");
    }

    @Test
    void refusesCorruptGzip() throws IOException {
        byte[] gz = gzip(idx(Idx.IMAGES_MAGIC, new int[] {2, 3, 3}, ramp(18)));
        byte[] crc = gz.clone();
        crc[crc.length - 8] ^= 0x55; // the CRC-32 of the trailer
        refused(write("crc.gz", crc), 3, "corrupt gzip data");
    }

    @Test
    void refusesTruncatedIdxInsideAValidGzip() throws IOException {
        byte[] raw = idx(Idx.IMAGES_MAGIC, new int[] {3, 4, 5}, ramp(60));
        refused(write("data.gz", gzip(Arrays.copyOf(raw, raw.length - 7))), 3, "truncated",
                "(3, 4, 5) = 60 bytes of data, the file holds 53");
        refused(write("header.gz", gzip(Arrays.copyOf(raw, 10))), 3, "truncated", "inside the IDX header");
        refused(write("nothing.gz", gzip(new byte[0])), 3, "truncated", "magic number");
    }

    @Test
    void refusesExtraBytes() throws IOException {
        byte[] raw = idx(Idx.LABELS_MAGIC, new int[] {4}, ramp(9));
        refused(write("extra.gz", gzip(raw)), 1, "size mismatch", "(4) = 4 bytes of data", "holds 5 more");
    }

    @Test
    void refusesWrongMagic() throws IOException {
        refused(write("text.gz", gzip("hello, world".getBytes())), 3, "not an IDX file", "expected 0x00000803");
        // element type 0x0D (float) instead of 0x08 (unsigned byte)
        refused(write("float.gz", gzip(idx(0x00000D03, new int[] {1, 1, 1}, new byte[4]))), 3,
                "element type 0x0d", "0x00000803");
        // a labels file where images are expected
        refused(write("labels.gz", gzip(idx(Idx.LABELS_MAGIC, new int[] {2}, ramp(2)))), 3,
                "1 dimensions (magic number 0x00000801), expected 3 (magic 0x00000803)");
    }

    @Test
    void refusesWrongDimensionCount() throws IOException {
        Path two = write("two.gz", gzip(idx(0x00000802, new int[] {2, 3}, ramp(6))));
        refused(two, 3, "2 dimensions (magic number 0x00000802), expected 3");
        refused(two, 1, "2 dimensions (magic number 0x00000802), expected 1");
    }

    @Test
    void refusesAbsurdSizes() throws IOException {
        refused(write("neg.gz", gzip(idx(Idx.IMAGES_MAGIC, new int[] {-1, 28, 28}, new byte[0]))), 3,
                "size 0 in the header is 4294967295");
        refused(write("big.gz", gzip(idx(Idx.IMAGES_MAGIC, new int[] {100_000_000, 28, 28}, new byte[0]))), 3,
                "more than");
    }

    @Test
    void refusesMissingFile() {
        refused(dir.resolve("absent.gz"), 1, "no such file");
        refused(dir, 1, "not a regular file");
    }
}
