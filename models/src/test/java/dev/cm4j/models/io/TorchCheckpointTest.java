package dev.cm4j.models.io;

import dev.cm4j.models.io.TorchFixtures.Pickle;
import dev.cm4j.tensor.Tensor;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

/**
 * The .pt reader against files written by PyTorch (make_fixtures.py) and against hostile files written here: every
 * tensor read bit for bit, and every hostile case refused with a message that names the file and the problem, with
 * nothing run and nothing loaded.
 */
class TorchCheckpointTest {
    @TempDir
    Path dir;

    @Test
    void everyTensorOfATorchSaveFileIsReadExactly() throws IOException {
        TorchCheckpoint.Contents pt = TorchCheckpoint.read(TorchFixtures.fixture("tensors.pt"));
        Map<String, Tensor> expected = SafeTensors.read(TorchFixtures.fixture("tensors_expected.safetensors"))
                .tensors();
        assertEquals(List.copyOf(expected.keySet()), List.copyOf(pt.tensors().keySet()));
        expected.forEach((name, want) -> {
            Tensor got = pt.tensors().get(name);
            assertArrayEquals(want.shape(), got.shape(), name);
            for (int i = 0; i < want.size(); i++) {
                int w = Float.floatToRawIntBits(want.toArray()[i]), g = Float.floatToRawIntBits(got.toArray()[i]);
                if (w != g) {
                    fail(name + "[" + i + "]: " + got.toArray()[i] + " vs PyTorch " + want.toArray()[i]);
                }
            }
        });
        assertEquals(Map.of("step", "7"), pt.metadata());
        Map<String, TorchCheckpoint.TensorInfo> index = TorchCheckpoint.index(TorchFixtures.fixture("tensors.pt"));
        assertEquals("F16", index.get("f16").dtype());
        assertEquals("BF16", index.get("bf16").dtype());
        assertEquals("F32", index.get("transposed").dtype());
        assertArrayEquals(new int[] {6, 4}, index.get("transposed").shape());
        // the special half values widen exactly: -0, the largest half, a subnormal, infinity
        float[] f16 = pt.tensors().get("f16").toArray();
        assertEquals(Float.floatToRawIntBits(-0f), Float.floatToRawIntBits(f16[1]));
        assertEquals(65504f, f16[3]);
        assertEquals(Float.POSITIVE_INFINITY, f16[6]);
    }

    @Test
    void handWrittenPickleReadsAndBigEndianStoragesToo() throws IOException {
        byte[] storage = ByteBuffer.allocate(24).order(ByteOrder.LITTLE_ENDIAN).putFloat(1).putFloat(2).putFloat(3)
                .putFloat(4).putFloat(5).putFloat(6).array();
        // a (2, 2) view with offset 1 and strides (3, 1) of the six elements: [[2, 3], [5, 6]]
        byte[] pkl = Pickle.oneTensor("FloatStorage", 6, 1, new long[] {2, 2}, new long[] {3, 1});
        Path f = TorchFixtures.write(dir, "hand.pt", TorchFixtures.zip(TorchFixtures.archive(pkl, storage)));
        assertArrayEquals(new float[] {2, 3, 5, 6}, TorchCheckpoint.read(f).tensors().get("w").toArray());

        Map<String, byte[]> big = TorchFixtures.archive(pkl, ByteBuffer.allocate(24).order(ByteOrder.BIG_ENDIAN)
                .putFloat(1).putFloat(2).putFloat(3).putFloat(4).putFloat(5).putFloat(6).array());
        big.put("archive/byteorder", "big".getBytes(StandardCharsets.US_ASCII));
        Path g = TorchFixtures.write(dir, "big.pt", TorchFixtures.zip(big));
        assertArrayEquals(new float[] {2, 3, 5, 6}, TorchCheckpoint.read(g).tensors().get("w").toArray());
    }

    /** One hostile file, what it is, and a phrase its error must contain. */
    private record Case(String name, byte[] bytes, String expected) {
    }

    private static byte[] floats(int n) {
        return new byte[4 * n];
    }

    private static byte[] oneTensorFile(String type, long numel, long offset, long[] size, long[] stride,
                                        int storageBytes) {
        return TorchFixtures.zip(TorchFixtures.archive(Pickle.oneTensor(type, numel, offset, size, stride),
                new byte[storageBytes]));
    }

    private static byte[] withPickle(byte[] pkl) {
        return TorchFixtures.zip(TorchFixtures.archive(pkl, floats(4)));
    }

    private static byte[] replaced(Map<String, byte[]> entries, String entry, String from, String to) {
        Map<String, byte[]> m = new LinkedHashMap<>(entries);
        String s = new String(m.get(entry), StandardCharsets.ISO_8859_1);
        assertTrue(s.contains(from), entry + " holds " + from);
        m.put(entry, s.replace(from, to).getBytes(StandardCharsets.ISO_8859_1));
        return TorchFixtures.zip(m);
    }

    private List<Case> cases() throws IOException {
        Path marker = dir.resolve("executed");
        List<Case> cases = new ArrayList<>();
        // globals outside the allowed set, in the ways a pickle can name them
        cases.add(new Case("os.system", withPickle(new Pickle().global("os", "system")
                .str("touch " + marker).op(0x85).op('R').op('.').bytes()), "names the global os.system"));
        cases.add(new Case("builtins.eval", withPickle(new Pickle().global("builtins", "eval")
                .str("open('" + marker + "', 'w')").op(0x85).op('R').op('.').bytes()),
                "names the global builtins.eval"));
        cases.add(new Case("posix.system via STACK_GLOBAL", withPickle(new Pickle().str("posix").str("system")
                .op(0x93).str("touch " + marker).op(0x85).op('R').op('.').bytes()), "names the global posix.system"));
        for (String[] g : new String[][] {{"subprocess", "Popen"}, {"builtins", "getattr"}, {"torch", "load"},
            {"numpy.core.multiarray", "_reconstruct"}, {"torch._utils", "_rebuild_qtensor"}, {"torch.nn.modules.conv", "Conv2d"},
            {"__builtin__", "exec"}}) {
            cases.add(new Case(g[0] + "." + g[1], withPickle(new Pickle().global(g[0], g[1]).op('.').bytes()),
                    "names the global " + g[0] + "." + g[1]));
        }
        cases.add(new Case("double storage", oneTensorFile("DoubleStorage", 4, 0, new long[] {4},
                new long[] {1}, 32), "names the global torch.DoubleStorage"));
        Map<String, byte[]> real = TorchFixtures.entries(TorchFixtures.fixture("tensors.pt"));
        cases.add(new Case("os.system in a real state dict", replaced(real, "tensors/data.pkl",
                "collections\nOrderedDict\n", "os\nsystem\n"), "names the global os.system"));
        cases.add(new Case("_rebuild_parameter of a storage", withPickle(new Pickle().global("torch._utils",
                "_rebuild_parameter").op('(').op('(').str("storage").global("torch", "FloatStorage").str("0").str("cpu")
                .num(4).op('t').op('Q').op(0x89).op('}').op('t').op('R').op('.').bytes()),
                "_rebuild_parameter needs (tensor, requires_grad, no hooks)"));
        cases.add(new Case("INST opcode", withPickle(new Pickle().op('(').raw("ios\nsystem\n").op('.').bytes()),
                "(INST)"));
        cases.add(new Case("NEWOBJ opcode", withPickle(new Pickle().global("collections", "OrderedDict")
                .op(')').op(0x81).op('.').bytes()), "(NEWOBJ)"));
        cases.add(new Case("REDUCE of a storage type", withPickle(new Pickle().global("torch", "FloatStorage")
                .op(')').op('R').op('.').bytes()), "torch.FloatStorage is not callable"));
        cases.add(new Case("BUILD on a tensor", withPickle(new Pickle().global("collections", "OrderedDict")
                .op(')').op('R').global("torch", "FloatStorage").op('b').op('.').bytes()), "BUILD"));
        cases.add(new Case("unknown memo", withPickle(new Pickle().op('h').op(9).op('.').bytes()),
                "memo entry 9 was never stored"));
        cases.add(new Case("stack underflow", withPickle(new Pickle().op('R').op('.').bytes()), "empty stack"));
        cases.add(new Case("string longer than the pickle", withPickle(new Pickle().op('X').op(0xff).op(0xff)
                .op(0xff).op(0x7f).raw("abc").bytes()), "more bytes"));
        cases.add(new Case("not a dict", withPickle(new Pickle().num(5).op('.').bytes()), "not a state dict"));
        byte[] realPkl = real.get("tensors/data.pkl");
        Map<String, byte[]> cut = new LinkedHashMap<>(real);
        cut.put("tensors/data.pkl", Arrays.copyOf(realPkl, realPkl.length / 2));
        cases.add(new Case("truncated pickle", TorchFixtures.zip(cut), "pickle tensors/data.pkl at byte"));

        // damaged and truncated archives
        byte[] good = Files.readAllBytes(TorchFixtures.fixture("tensors.pt"));
        for (int cut2 : new int[] {good.length - 10, good.length * 3 / 5, 100, 3}) {
            cases.add(new Case("zip cut at " + cut2, Arrays.copyOf(good, cut2), cut2 < 4 ? "not a PyTorch checkpoint"
                    : "damaged or truncated zip"));
        }
        cases.add(new Case("legacy format", new byte[] {(byte) 0x80, 2, 'K', 1, '.'}, "legacy"));
        cases.add(new Case("no data.pkl", TorchFixtures.zip(Map.of("archive/other", floats(1))), "no <archive>/data.pkl"));
        Map<String, byte[]> dotdot = TorchFixtures.archive(Pickle.oneTensor("FloatStorage", 4, 0, new long[] {4},
                new long[] {1}), floats(4));
        dotdot.put("archive/../../evil.sh", "rm -rf ~".getBytes(StandardCharsets.US_ASCII));
        cases.add(new Case("'..' entry", TorchFixtures.zip(dotdot), "'archive/../../evil.sh' is not a plain"));
        Map<String, byte[]> abs = TorchFixtures.archive(Pickle.oneTensor("FloatStorage", 4, 0, new long[] {4},
                new long[] {1}), floats(4));
        abs.put("/etc/cron.d/x", new byte[1]);
        cases.add(new Case("absolute entry", TorchFixtures.zip(abs), "'/etc/cron.d/x' is not a plain"));
        Map<String, byte[]> two = TorchFixtures.archive(Pickle.oneTensor("FloatStorage", 4, 0, new long[] {4},
                new long[] {1}), floats(4));
        two.put("other/data/1", new byte[4]);
        cases.add(new Case("two folders", TorchFixtures.zip(two), "two folders"));
        Map<String, byte[]> version = TorchFixtures.archive(Pickle.oneTensor("FloatStorage", 4, 0, new long[] {4},
                new long[] {1}), floats(4));
        version.put("archive/version", "3; rm -rf /".getBytes(StandardCharsets.US_ASCII));
        cases.add(new Case("garbled version", TorchFixtures.zip(version), "version entry says '3; rm -rf /'"));
        Map<String, byte[]> missing = TorchFixtures.archive(Pickle.oneTensor("FloatStorage", 4, 0, new long[] {4},
                new long[] {1}), floats(4));
        missing.remove("archive/data/0");
        cases.add(new Case("missing storage", TorchFixtures.zip(missing), "archive/data/0, which is missing"));

        // storage sizes: the entry against the declared count, views against the storage, and huge declarations
        long[] four = {4};
        long[] one = {1};
        cases.add(new Case("storage short", oneTensorFile("FloatStorage", 4, 0, four, one, 12),
                "declares 4 F32 elements (16 bytes) but the entry holds 12"));
        cases.add(new Case("storage long", oneTensorFile("HalfStorage", 4, 0, four, one, 12),
                "declares 4 F16 elements (8 bytes) but the entry holds 12"));
        cases.add(new Case("huge storage", oneTensorFile("FloatStorage", 1L << 40, 0, four, one, 16),
                "declares 1099511627776 F32 elements"));
        cases.add(new Case("huge tensor", oneTensorFile("FloatStorage", 4, 0, new long[] {1 << 20, 1 << 20},
                new long[] {0, 0}, 16), "more than 2^31 elements"));
        cases.add(new Case("view past the storage", oneTensorFile("FloatStorage", 4, 1, four, one, 16),
                "reaches element 4, outside its storage"));
        cases.add(new Case("stride past the storage", oneTensorFile("FloatStorage", 4, 0, new long[] {2, 2},
                new long[] {Long.MAX_VALUE / 2, 1}, 16), "outside its storage"));
        cases.add(new Case("negative size", oneTensorFile("FloatStorage", 4, 0, new long[] {-4}, one, 16),
                "negative size"));
        cases.add(new Case("negative offset", oneTensorFile("FloatStorage", 4, -1, four, one, 16),
                "negative storage offset"));
        // many stride-0 views of one element: each passes, together they need more heap than there is
        Pickle many = new Pickle().op('}').op('(');
        for (int i = 0; i < 64; i++) {
            many.str("w" + i).global("torch._utils", "_rebuild_tensor_v2").op('(');
            if (i == 0) {
                many.op('(').str("storage").global("torch", "FloatStorage").str("0").str("cpu").num(4).op('t')
                        .op('Q').op('q').op(1);
            } else {
                many.op('h').op(1);
            }
            many.num(0).op('(').num(Integer.MAX_VALUE - 9).op('t').op('(').num(0).op('t').op(0x89).op('}').op('t')
                    .op('R');
        }
        cases.add(new Case("views bigger than the heap", withPickle(many.op('u').op('.').bytes()),
                "raise -Xmx"));
        return cases;
    }

    @Test
    void hostileFilesAreRefusedByNameWithNothingRunOrLoaded() throws IOException {
        Path marker = dir.resolve("executed");
        List<String> report = new ArrayList<>();
        for (Case c : cases()) {
            Path f = TorchFixtures.write(dir, "hostile.pt", c.bytes());
            Exception e = assertThrows(Exception.class, () -> TorchCheckpoint.read(f), c.name());
            assertTrue(e instanceof CheckpointFormatException, c.name() + ": " + e);
            String msg = e.getMessage();
            assertTrue(msg.startsWith(f + ": "), c.name() + ": the message names the file: " + msg);
            assertTrue(msg.contains(c.expected()), c.name() + ": expected '" + c.expected() + "' in: " + msg);
            report.add(c.name() + " -> " + msg.substring(f.toString().length() + 2));
            if (!c.expected().equals("raise -Xmx")) { // the heap is a concern of read, not of index
                assertThrows(CheckpointFormatException.class, () -> TorchCheckpoint.index(f), c.name());
            }
        }
        assertFalse(Files.exists(marker), "nothing from a pickle ran");
        System.out.println("hostile .pt files refused (" + report.size() + "):\n  " + String.join("\n  ", report));
    }

    @Test
    void readIntoWritesNothingUnlessEveryTargetMatches() throws IOException {
        Path f = TorchFixtures.fixture("tensors.pt");
        Map<String, Tensor> targets = new LinkedHashMap<>();
        targets.put("f32", Tensor.full(-1f, 3, 4));
        targets.put("sliced", Tensor.full(-1f, 3, 2)); // the file's is (3, 3)
        assertThrows(CheckpointFormatException.class, () -> TorchCheckpoint.readInto(f, targets));
        for (Tensor t : targets.values()) {
            for (float v : t.toArray()) {
                assertEquals(-1f, v, "nothing was loaded");
            }
        }
        targets.put("sliced", Tensor.full(-1f, 3, 3));
        TorchCheckpoint.readInto(f, targets);
        assertArrayEquals(TorchCheckpoint.read(f).tensors().get("sliced").toArray(), targets.get("sliced").toArray());
    }
}
