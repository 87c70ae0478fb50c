package dev.cm4j.consistency.data;

import java.io.BufferedInputStream;
import java.io.DataInputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.zip.GZIPInputStream;
import java.util.zip.ZipException;

/**
 * Reader of gzip-compressed IDX files, the format of MNIST and Fashion-MNIST (LeCun et al., "The MNIST database";
 * Xiao et al. 2017, "Fashion-MNIST").
 *
 * <p>An IDX file is a big-endian magic number {@code 0x0000TTDD} (TT = element type, 0x08 for unsigned bytes; DD =
 * number of dimensions), one 4-byte big-endian size per dimension, then the elements in row-major order. Images are
 * {@code 0x00000803} (count, rows, cols), labels {@code 0x00000801} (count).
 *
 * <p>Everything is checked before anything is returned: the gzip signature, the gzip stream itself (its CRC and
 * length trailer included), the magic number, and that the decompressed data holds exactly the bytes the header
 * announces, no fewer and no more. A bad file throws {@link DataFileException} naming the file and the problem.
 */
public final class Idx {
    /** Magic number of an array of unsigned bytes with 3 dimensions: images (count, rows, cols). */
    public static final int IMAGES_MAGIC = 0x00000803;
    /** Magic number of an array of unsigned bytes with 1 dimension: labels (count). */
    public static final int LABELS_MAGIC = 0x00000801;

    private static final int UNSIGNED_BYTE = 0x08;
    // a Java array holds at most this many elements
    private static final long MAX_ELEMENTS = Integer.MAX_VALUE - 8;

    private Idx() {
    }

    /**
     * An IDX array of unsigned bytes.
     *
     * @param file where it was read from
     * @param dims the sizes, outermost first (count first)
     * @param data the elements in row-major order, unsigned (read them with {@code b & 0xFF})
     */
    public record UByteArray(Path file, int[] dims, byte[] data) {
        /** The size of the first dimension: the number of images or labels. */
        public int count() {
            return dims[0];
        }
    }

    /** Reads an images file (magic {@code 0x00000803}): dims (count, rows, cols). */
    public static UByteArray readImages(Path file) throws IOException {
        return read(file, 3);
    }

    /** Reads a labels file (magic {@code 0x00000801}): dims (count). */
    public static UByteArray readLabels(Path file) throws IOException {
        return read(file, 1);
    }

    /** Reads a gzip IDX file of unsigned bytes with {@code rank} dimensions. */
    public static UByteArray read(Path file, int rank) throws IOException {
        if (rank < 1 || rank > 255) {
            throw new IllegalArgumentException("Idx.read: rank must be in 1..255, got " + rank);
        }
        int expectedMagic = (UNSIGNED_BYTE << 8) | rank;
        if (!Files.isRegularFile(file)) {
            throw new DataFileException(file, Files.exists(file) ? "not a regular file" : "no such file");
        }
        checkGzipSignature(file);
        try (InputStream raw = Files.newInputStream(file);
                DataInputStream in = new DataInputStream(
                        new BufferedInputStream(new GZIPInputStream(raw, 1 << 16), 1 << 16))) {
            int magic = readHeaderInt(in, file, "the magic number");
            if ((magic >>> 16) != 0) {
                throw new DataFileException(file, String.format(
                        "not an IDX file: magic number 0x%08x, expected 0x%08x", magic, expectedMagic));
            }
            int type = (magic >>> 8) & 0xFF;
            int ndims = magic & 0xFF;
            if (type != UNSIGNED_BYTE) {
                throw new DataFileException(file, String.format(
                        "element type 0x%02x in magic number 0x%08x; expected 0x08 (unsigned byte), magic 0x%08x",
                        type, magic, expectedMagic));
            }
            if (ndims != rank) {
                throw new DataFileException(file, String.format(
                        "%d dimensions (magic number 0x%08x), expected %d (magic 0x%08x)",
                        ndims, magic, rank, expectedMagic));
            }
            int[] dims = new int[rank];
            long elements = 1;
            for (int d = 0; d < rank; d++) {
                dims[d] = readHeaderInt(in, file, "size " + d);
                if (dims[d] < 0) {
                    throw new DataFileException(file, "size " + d + " in the header is "
                            + Integer.toUnsignedString(dims[d]) + ", too large");
                }
                elements *= dims[d];
                if (elements > MAX_ELEMENTS) {
                    throw new DataFileException(file, "the header announces " + shape(dims, d + 1)
                            + ", more than " + MAX_ELEMENTS + " elements");
                }
            }
            byte[] data = new byte[(int) elements];
            int got = in.readNBytes(data, 0, data.length);
            if (got < data.length) {
                throw new DataFileException(file, "truncated: the header announces " + shape(dims, rank) + " = "
                        + data.length + " bytes of data, the file holds " + got);
            }
            // the remainder must be empty; reading to the end also makes GZIPInputStream check its CRC trailer
            long extra = in.skip(Long.MAX_VALUE);
            while (in.read() >= 0) {
                extra += 1 + in.skip(Long.MAX_VALUE);
            }
            if (extra > 0) {
                throw new DataFileException(file, "size mismatch: the header announces " + shape(dims, rank)
                        + " = " + data.length + " bytes of data, the file holds " + extra + " more");
            }
            return new UByteArray(file, dims, data);
        } catch (EOFException e) {
            throw new DataFileException(file, "truncated: the gzip stream ends early (" + e.getMessage() + ")", e);
        } catch (ZipException e) {
            throw new DataFileException(file, "corrupt gzip data (" + e.getMessage() + ")", e);
        } catch (NoSuchFileException e) {
            throw new DataFileException(file, "no such file", e);
        }
    }

    private static void checkGzipSignature(Path file) throws IOException {
        byte[] head;
        try (InputStream in = Files.newInputStream(file)) {
            head = in.readNBytes(2);
        }
        if (head.length < 2 || (head[0] & 0xFF) != 0x1f || (head[1] & 0xFF) != 0x8b) {
            throw new DataFileException(file, "not a gzip file (it starts with "
                    + (head.length == 0 ? "nothing: the file is empty" : hex(head))
                    + ", a gzip file with 0x1f 0x8b); IDX files are read gzip-compressed, as distributed");
        }
    }

    private static int readHeaderInt(DataInputStream in, Path file, String what) throws IOException {
        try {
            return in.readInt();
        } catch (EOFException e) {
            if (e.getMessage() != null) {
                // thrown by the gzip stream, not by the end of a complete one: the outer handler says so
                throw e;
            }
            throw new DataFileException(file, "truncated: the data ends inside the IDX header (" + what + ")", e);
        }
    }

    private static String shape(int[] dims, int n) {
        return Arrays.toString(Arrays.copyOf(dims, n)).replace('[', '(').replace(']', ')');
    }

    private static String hex(byte[] b) {
        StringBuilder s = new StringBuilder();
        for (byte x : b) {
            s.append(s.isEmpty() ? "" : " ").append(String.format("0x%02x", x & 0xFF));
        }
        return s.toString();
    }
}
