package dev.cm4j.models.io;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.cm4j.tensor.Rng;
import dev.cm4j.tensor.Tensor;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class NpzTest {
    private static final String PYTHON = "/usr/bin/python3";

    @TempDir
    Path dir;

    private static Map<String, Tensor> floats() {
        Map<String, Tensor> m = new LinkedHashMap<>();
        Tensor x = new Rng(5).normal(3, 1, 4, 5);
        x.data()[0] = Float.MIN_VALUE; // a subnormal, to see every bit survive
        x.data()[1] = -0f;
        x.data()[2] = Float.MAX_VALUE;
        m.put("samples", x);
        m.put("vector", Tensor.of(new float[] {1.5f, -2.25f, 1e-30f}, 3));
        m.put("empty", Tensor.zeros(0, 7));
        return m;
    }

    private static Map<String, int[]> ints() {
        Map<String, int[]> m = new LinkedHashMap<>();
        m.put("labels", new int[] {0, 9, 3, Integer.MAX_VALUE, Integer.MIN_VALUE});
        return m;
    }

    private static void assertSame(Map<String, Tensor> expected, Map<String, Tensor> actual) {
        assertEquals(List.copyOf(expected.keySet()), List.copyOf(actual.keySet()));
        for (String k : expected.keySet()) {
            assertArrayEquals(expected.get(k).shape(), actual.get(k).shape(), k);
            float[] a = expected.get(k).toArray();
            float[] b = actual.get(k).toArray();
            for (int i = 0; i < a.length; i++) {
                assertEquals(Float.floatToRawIntBits(a[i]), Float.floatToRawIntBits(b[i]), k + "[" + i + "]");
            }
        }
    }

    @Test
    void roundTrip() throws IOException {
        Path f = dir.resolve("out/samples.npz");
        Npz.write(f, floats(), ints());
        Npz.Contents c = Npz.read(f);
        assertSame(floats(), c.floats());
        assertEquals(List.of("labels"), List.copyOf(c.ints().keySet()));
        assertArrayEquals(ints().get("labels"), c.ints().get("labels"));
        // same arrays, same bytes; no temporary file left behind
        byte[] first = Files.readAllBytes(f);
        Npz.write(f, floats(), ints());
        assertArrayEquals(first, Files.readAllBytes(f));
        try (var s = Files.list(f.getParent())) {
            assertEquals(List.of(f), s.toList());
        }
    }

    @Test
    void headerIsVersionOneAlignedTo64() {
        byte[] h = Npz.header("<f4", new int[] {2, 3});
        assertEquals(0, h.length % 64);
        assertEquals(1, h[6]);
        assertEquals(0, h[7]);
        String text = new String(h, 10, h.length - 10, StandardCharsets.US_ASCII);
        assertTrue(text.startsWith("{'descr': '<f4', 'fortran_order': False, 'shape': (2, 3), }"), text);
        assertTrue(text.endsWith(" \n"), text);
        assertTrue(new String(Npz.header("<i8", new int[] {5}), StandardCharsets.US_ASCII).contains("(5,)"));
        assertTrue(new String(Npz.header("<f4", new int[0]), StandardCharsets.US_ASCII).contains("'shape': ()"));
    }

    @Test
    void badNamesAreRefused() {
        Map<String, Tensor> f = Map.of("x", Tensor.zeros(2));
        assertThrows(IllegalArgumentException.class, () -> Npz.write(dir.resolve("a.npz"), f, Map.of("x",
                new int[2])));
        assertThrows(IllegalArgumentException.class, () -> Npz.write(dir.resolve("a.npz"),
                Map.of("a/b", Tensor.zeros(2)), Map.of()));
        assertThrows(IllegalArgumentException.class, () -> Npz.write(dir.resolve("a.npz"),
                Map.of("", Tensor.zeros(2)), Map.of()));
        assertTrue(Files.notExists(dir.resolve("a.npz")));
    }

    @Test
    void notAZipIsRefusedNamingTheFile() throws IOException {
        Path f = Files.writeString(dir.resolve("bad.npz"), "not a zip");
        CheckpointFormatException e = assertThrows(CheckpointFormatException.class, () -> Npz.read(f));
        assertEquals(f, e.file());
    }

    private static boolean numpyAvailable() {
        try {
            Process p = new ProcessBuilder(PYTHON, "-c", "import numpy").redirectErrorStream(true).start();
            p.getInputStream().readAllBytes();
            return p.waitFor(60, TimeUnit.SECONDS) && p.exitValue() == 0;
        } catch (IOException | InterruptedException e) {
            return false;
        }
    }

    private static List<String> python(String script, Path... args) throws IOException, InterruptedException {
        List<String> cmd = new ArrayList<>(List.of(PYTHON, "-c", script));
        for (Path a : args) {
            cmd.add(a.toString());
        }
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(p.waitFor(120, TimeUnit.SECONDS), "python timed out");
        assertEquals(0, p.exitValue(), out);
        return out.lines().toList();
    }

    @Test
    void numpyReadsWhatCm4jWrites() throws Exception {
        assumeTrue(numpyAvailable(), PYTHON + " with numpy is not available (Debian: apt-get install python3-numpy)");
        Path f = dir.resolve("cm4j.npz");
        Npz.write(f, floats(), ints());
        // one line per array: name dtype shape, then every element's bits as hex (float32 view as uint32)
        String script = """
                import sys, numpy as np
                with np.load(sys.argv[1]) as z:
                    for k in z.files:
                        a = z[k]
                        bits = a.view(np.uint32) if a.dtype == np.float32 else a
                        print(k, a.dtype.str, a.flags['C_CONTIGUOUS'], a.shape, ' '.join(str(int(v)) for v in bits.ravel()))
                """;
        List<String> lines = python(script, f);
        Map<String, Tensor> fl = floats();
        List<String> expected = new ArrayList<>();
        for (Map.Entry<String, Tensor> e : fl.entrySet()) {
            StringBuilder s = new StringBuilder(e.getKey() + " <f4 True " + pyShape(e.getValue().shape()) + " ");
            for (float v : e.getValue().toArray()) {
                s.append(Integer.toUnsignedString(Float.floatToRawIntBits(v))).append(' ');
            }
            expected.add(s.toString().strip());
        }
        StringBuilder s = new StringBuilder("labels <i8 True (5,) ");
        for (int v : ints().get("labels")) {
            s.append(v).append(' ');
        }
        expected.add(s.toString().strip());
        assertEquals(expected, lines.stream().map(String::strip).toList());
    }

    @Test
    void cm4jReadsWhatNumpyWrites() throws Exception {
        assumeTrue(numpyAvailable(), PYTHON + " with numpy is not available (Debian: apt-get install python3-numpy)");
        Path plain = dir.resolve("np.npz");
        Path compressed = dir.resolve("npc.npz");
        String script = """
                import sys, numpy as np
                x = (np.arange(24, dtype=np.float32).reshape(2, 3, 4) - 11.5) / 3
                kw = dict(x=x, y32=np.array([1, -2, 7], dtype='<i4'), y64=np.array([5, 4], dtype='<i8'))
                np.savez(sys.argv[1], **kw)
                np.savez_compressed(sys.argv[2], **kw)
                """;
        python(script, plain, compressed);
        for (Path f : List.of(plain, compressed)) {
            Npz.Contents c = Npz.read(f);
            float[] x = c.floats().get("x").toArray();
            assertArrayEquals(new int[] {2, 3, 4}, c.floats().get("x").shape());
            for (int i = 0; i < 24; i++) {
                assertEquals((i - 11.5f) / 3f, x[i], 0f);
            }
            assertArrayEquals(new int[] {1, -2, 7}, c.ints().get("y32"));
            assertArrayEquals(new int[] {5, 4}, c.ints().get("y64"));
        }
    }

    @Test
    void imagesGoOutAsUint8NhwcAndComeBack() throws IOException {
        // (N, C, H, W) = (2, 3, 2, 4): pixel values p / 127.5 - 1 for every p in 0..47, out of range values clamped
        Tensor x = Tensor.zeros(2, 3, 2, 4);
        float[] d = x.data();
        for (int i = 0; i < d.length; i++) {
            d[i] = (5 * i) / 127.5f - 1f;
        }
        d[0] = -3f;
        d[1] = 2f;
        Path f = dir.resolve("samples.npz");
        Npz.writeImages(f, x, new int[] {4, 7});
        Npz.Contents c = Npz.read(f);
        Npz.UInt8 arr = c.bytes().get(Npz.IMAGES);
        assertArrayEquals(new int[] {2, 2, 4, 3}, arr.shape());
        // element (n, y, x, ch) of arr_0 is pixel (n, ch, y, x) of the tensor
        assertEquals(0, arr.data()[0] & 0xFF);
        assertEquals(255, arr.data()[3] & 0xFF);
        assertEquals(5 * (((1 * 3 + 2) * 2 + 1) * 4 + 3), arr.data()[((1 * 2 + 1) * 4 + 3) * 3 + 2] & 0xFF);
        assertArrayEquals(new int[] {4, 7}, c.ints().get(Npz.LABELS));

        Npz.Images back = Npz.readImages(f);
        assertArrayEquals(x.shape(), back.images().shape());
        assertArrayEquals(new int[] {4, 7}, back.labels());
        float[] b = back.images().toArray();
        assertEquals(-1f, b[0]);
        assertEquals(1f, b[1]);
        for (int i = 2; i < d.length; i++) {
            assertEquals(Float.floatToRawIntBits(d[i]), Float.floatToRawIntBits(b[i]), "pixel " + i);
        }
    }

    @Test
    void imagesOfTheWrongKindAreRefusedNamingTheFile() throws IOException {
        Path floats = dir.resolve("floats.npz");
        Npz.write(floats, Map.of(Npz.IMAGES, Tensor.zeros(2, 4, 4, 1)), Map.of());
        CheckpointFormatException e = assertThrows(CheckpointFormatException.class, () -> Npz.readImages(floats));
        assertEquals(floats, e.file());
        assertTrue(e.getMessage().contains("uint8"), e.getMessage());

        Path flat = dir.resolve("flat.npz");
        Npz.write(flat, Map.of(), Map.of(), Map.of(Npz.IMAGES, new Npz.UInt8(new byte[6], new int[] {2, 3})));
        e = assertThrows(CheckpointFormatException.class, () -> Npz.readImages(flat));
        assertTrue(e.getMessage().contains("[2, 3]"), e.getMessage());

        Path none = dir.resolve("none.npz");
        Npz.write(none, Map.of("x", Tensor.zeros(1)), Map.of());
        e = assertThrows(CheckpointFormatException.class, () -> Npz.readImages(none));
        assertTrue(e.getMessage().contains("entries: x"), e.getMessage());

        assertThrows(IllegalArgumentException.class, () -> Npz.writeImages(dir.resolve("n.npz"),
                Tensor.zeros(2, 1, 2, 2), new int[] {1}));
        assertThrows(IllegalArgumentException.class, () -> new Npz.UInt8(new byte[3], new int[] {2, 2}));
    }

    @Test
    void numpyReadsExportedImages() throws Exception {
        assumeTrue(numpyAvailable(), PYTHON + " with numpy is not available (Debian: apt-get install python3-numpy)");
        Tensor x = new Rng(3).uniform(-1f, 1f, 3, 1, 5, 6);
        Path f = dir.resolve("img.npz");
        Npz.writeImages(f, x, null);
        String script = """
                import sys, numpy as np
                with np.load(sys.argv[1]) as z:
                    a = z['arr_0']
                    print(z.files, a.dtype, a.shape, int(a[2, 4, 5, 0]), int(a.sum()))
                """;
        List<String> lines = python(script, f);
        Npz.UInt8 arr = Npz.read(f).bytes().get(Npz.IMAGES);
        long sum = 0;
        for (byte v : arr.data()) {
            sum += v & 0xFF;
        }
        int last = Math.round((x.data()[(2 * 5 + 4) * 6 + 5] + 1f) * 127.5f);
        assertEquals(List.of("['arr_0'] uint8 (3, 5, 6, 1) " + last + " " + sum), lines);
    }

    @Test
    void cm4jReadsUint8ImagesThatNumpyWrites() throws Exception {
        assumeTrue(numpyAvailable(), PYTHON + " with numpy is not available (Debian: apt-get install python3-numpy)");
        Path f = dir.resolve("np-img.npz");
        String script = """
                import sys, numpy as np
                np.savez(sys.argv[1], (np.arange(2 * 3 * 2 * 3) * 7 % 256).astype(np.uint8).reshape(2, 3, 2, 3))
                """;
        python(script, f);
        Npz.Images im = Npz.readImages(f);
        assertArrayEquals(new int[] {2, 3, 3, 2}, im.images().shape());
        assertEquals(null, im.labels());
        // tensor (n, c, y, x) = numpy (n, y, x, c): element (1, 2, 1, 0) is numpy index ((1 * 3 + 1) * 2 + 0) * 3 + 2
        int p = (((1 * 3 + 1) * 2) * 3 + 2) * 7 % 256;
        assertEquals(p / 127.5f - 1f, im.images().data()[((1 * 3 + 2) * 3 + 1) * 2]);
    }

    private static String pyShape(int[] shape) {
        if (shape.length == 1) {
            return "(" + shape[0] + ",)";
        }
        StringBuilder s = new StringBuilder("(");
        for (int i = 0; i < shape.length; i++) {
            s.append(i == 0 ? "" : ", ").append(shape[i]);
        }
        return s.append(")").toString();
    }
}
