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
