package dev.cm4j.models.io;

import com.fasterxml.jackson.databind.node.ObjectNode;
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
import java.util.Random;
import java.util.TreeMap;
import java.util.function.Consumer;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * A generator of damaged checkpoints: every case must be refused with a message naming the file and the problem, and
 * nothing may be loaded. Prints the number of cases per category.
 */
class DamagedCheckpointTest {
    @TempDir
    Path dir;

    /** One damaged file, its category and a phrase its error must contain. */
    private record Case(String category, String name, byte[] bytes, String expected) {
    }

    private byte[] good;
    private int headerLength;
    private String header;
    private SafeTensors.Contents contents;

    private void saveGood() throws IOException {
        CheckpointTest.Run run = new CheckpointTest.Run(1);
        run.step();
        run.step();
        Path f = dir.resolve("good.safetensors");
        run.state.save(f);
        good = Files.readAllBytes(f);
        headerLength = (int) ByteBuffer.wrap(good, 0, 8).order(ByteOrder.LITTLE_ENDIAN).getLong();
        header = new String(good, 8, headerLength, StandardCharsets.UTF_8).stripTrailing();
        contents = SafeTensors.read(f);
    }

    private byte[] data() {
        return Arrays.copyOfRange(good, 8 + headerLength, good.length);
    }

    private static byte[] bytes(String header, byte[] data) {
        byte[] h = header.getBytes(StandardCharsets.UTF_8);
        ByteBuffer b = ByteBuffer.allocate(8 + h.length + data.length).order(ByteOrder.LITTLE_ENDIAN);
        return b.putLong(h.length).put(h).put(data).array();
    }

    /** A consistent file (checksums recomputed) of edited tensors and metadata: only semantic checks can refuse it. */
    private byte[] resealed(Consumer<Map<String, Tensor>> editTensors, Consumer<Map<String, String>> editMeta)
            throws IOException {
        Map<String, Tensor> t = new TreeMap<>();
        contents.tensors().forEach((k, v) -> t.put(k, v.copy()));
        Map<String, String> m = new TreeMap<>(contents.metadata());
        editTensors.accept(t);
        editMeta.accept(m);
        TrainingState.seal(t, m);
        Path tmp = dir.resolve("resealed.tmp");
        SafeTensors.write(tmp, t, m);
        return Files.readAllBytes(tmp);
    }

    private static void setValue(Map<String, Tensor> t, String prefix, String suffix, float v) {
        String key = t.keySet().stream().filter(k -> k.startsWith(prefix) && k.endsWith(suffix)).findFirst()
                .orElseThrow();
        Tensor x = t.get(key);
        x.data()[x.offset() + Math.min(3, x.size() - 1)] = v;
    }

    private List<Case> cases() throws IOException {
        List<Case> cases = new ArrayList<>();
        byte[] data = data();
        // truncations: in the length, in the header, at the end of the header, in the data, one byte short
        int[] cuts = {0, 5, 8, 8 + headerLength / 3, 8 + 2 * headerLength / 3, 8 + headerLength,
            8 + headerLength + data.length / 2, good.length - 1};
        for (int cut : cuts) {
            cases.add(new Case("truncation", "cut-" + cut, Arrays.copyOf(good, cut), "truncated"));
        }
        // bit flips: every bit of the length, seeded random bits of the header and of the data
        Random r = new Random(17);
        for (int bit = 0; bit < 64; bit++) {
            byte[] b = good.clone();
            b[bit / 8] ^= (byte) (1 << (bit % 8));
            cases.add(new Case("header bit flip", "len-bit-" + bit, b, ""));
        }
        for (int i = 0; i < 200; i++) {
            int bit = r.nextInt(8 * headerLength);
            byte[] b = good.clone();
            b[8 + bit / 8] ^= (byte) (1 << (bit % 8));
            cases.add(new Case("header bit flip", "header-bit-" + bit, b, ""));
        }
        for (int i = 0; i < 200; i++) {
            int bit = r.nextInt(8 * data.length);
            byte[] b = good.clone();
            b[8 + headerLength + bit / 8] ^= (byte) (1 << (bit % 8));
            cases.add(new Case("data bit flip", "data-bit-" + bit, b, "fails its CRC32C checksum"));
        }
        // wrong dtypes of one tensor
        String first = "\"ema/fast/0.bias\":{\"dtype\":\"F32\"";
        assertTrue(header.contains(first), header);
        for (String dt : List.of("F16", "BF16", "I32", "F64", "U8")) {
            cases.add(new Case("wrong dtype", "dtype-" + dt, bytes(header.replace(first,
                    first.replace("F32", dt)), data), "tensor 'ema/fast/0.bias'"));
        }
        // shape and size mismatches: in the header, and consistent files of other shapes
        String shapeOf = "\"model/0.weight\":{\"dtype\":\"F32\",\"shape\":[16,2]";
        assertTrue(header.contains(shapeOf), header);
        cases.add(new Case("shape/size mismatch", "shape-bigger", bytes(header.replace(shapeOf,
                shapeOf.replace("[16,2]", "[16,3]")), data), "needs 192 bytes"));
        cases.add(new Case("shape/size mismatch", "shape-transposed", bytes(header.replace(shapeOf,
                shapeOf.replace("[16,2]", "[2,16]")), data), "the header fails its CRC32C checksum"));
        cases.add(new Case("shape/size mismatch", "shape-resealed", resealed(t -> t.put("model/0.weight",
                t.get("model/0.weight").reshape(2, 16)), m -> { }), "shape mismatch"));
        cases.add(new Case("shape/size mismatch", "ema-shape-resealed", resealed(t -> t.put("ema/slow/0.weight",
                Tensor.zeros(16, 3)), m -> { }), "ema"));
        cases.add(new Case("shape/size mismatch", "offsets", bytes(header.replaceFirst("\"data_offsets\":\\[0,",
                "\"data_offsets\":[4,"), data), "data"));
        // duplicate keys in the header JSON
        cases.add(new Case("duplicate key", "dup-tensor", bytes(header.replace("\"model/0.bias\":{",
                "\"model/0.weight\":{"), data), "Duplicate field 'model/0.weight'"));
        cases.add(new Case("duplicate key", "dup-metadata", bytes(header.replace("\"__metadata__\":{",
                "\"__metadata__\":{\"step\":\"9\","), data), "Duplicate field 'step'"));
        // missing and extra tensors: consistent files (checksums recomputed) and raw header edits
        cases.add(new Case("missing tensor", "missing-model", resealed(t -> t.remove("model/0.bias"), m -> { }),
                "0.bias"));
        cases.add(new Case("missing tensor", "missing-optim", resealed(t -> t.remove("optim/0.bias.exp_avg_sq"),
                m -> { }), "0.bias.exp_avg_sq"));
        cases.add(new Case("missing tensor", "missing-ema", resealed(t -> t.remove("ema/slow/0.bias"), m -> { }),
                "0.bias"));
        cases.add(new Case("extra tensor", "extra-model", resealed(t -> t.put("model/9.weight", Tensor.ones(2)),
                m -> { }), "9.weight"));
        cases.add(new Case("extra tensor", "extra-ema", resealed(t -> t.put("ema/other/0.bias", Tensor.ones(16)),
                m -> { }), "belongs to an EMA that is not tracked"));
        cases.add(new Case("extra tensor", "extra-junk", resealed(t -> t.put("junk", Tensor.ones(1)), m -> { }),
                "unexpected tensor 'junk'"));
        cases.add(new Case("extra tensor", "extra-unchecked", bytes(header.replace("\"__metadata__\":{",
                "\"zz\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[" + data.length + ","
                        + (data.length + 4) + "]},\"__metadata__\":{"), Arrays.copyOf(data, data.length + 4)),
                "the header fails its CRC32C checksum"));
        // trailing bytes
        for (int n : new int[] {1, 8, 4096}) {
            cases.add(new Case("trailing bytes", "trailing-" + n, Arrays.copyOf(good, good.length + n),
                    n + " unexpected bytes after the last tensor"));
        }
        // non-finite values and negative second moments in consistent files
        cases.add(new Case("NaN/Inf", "nan-weight", resealed(t -> setValue(t, "model/", "weight", Float.NaN),
                m -> { }), "tensor 'model/0.weight' is NaN at index 3"));
        cases.add(new Case("NaN/Inf", "inf-ema", resealed(t -> setValue(t, "ema/fast/", "bias",
                Float.POSITIVE_INFINITY), m -> { }), "tensor 'ema/fast/0.bias' is Infinity at index 3"));
        cases.add(new Case("NaN/Inf", "ninf-moment", resealed(t -> setValue(t, "optim/", "exp_avg",
                Float.NEGATIVE_INFINITY), m -> { }), "is -Infinity at index 3"));
        cases.add(new Case("NaN/Inf", "nan-second-moment", resealed(t -> setValue(t, "optim/", "exp_avg_sq",
                Float.NaN), m -> { }), "exp_avg_sq' is NaN at index 3"));
        cases.add(new Case("negative second moment", "neg-v", resealed(t -> setValue(t, "optim/0.bias", "exp_avg_sq",
                -1e-3f), m -> { }), "tensor 'optim/0.bias.exp_avg_sq' (a second moment) is negative (-0.001)"));
        cases.add(new Case("negative second moment", "neg-zero-v", resealed(t -> setValue(t, "optim/3.weight",
                "exp_avg_sq", -Float.MIN_VALUE), m -> { }), "(a second moment) is negative"));
        // another role, architecture, setting, parent; another format
        cases.add(new Case("another role", "role", resealed(t -> { }, m -> m.put("role", "cd")),
                "role: saved 'cd', this run 'toy'"));
        cases.add(new Case("another architecture", "config", resealed(t -> { }, m -> m.put("config",
                "{\"width\": 32, \"depth\": 3}")), "config: saved '{\"width\": 32, \"depth\": 3}'"));
        cases.add(new Case("another architecture", "layers", resealed(t -> {
            t.put("model/3.weight", Tensor.zeros(8, 16));
            t.put("ema/fast/3.weight", Tensor.zeros(8, 16));
        }, m -> { }), "shape mismatch"));
        cases.add(new Case("another setting", "setting-value", resealed(t -> { }, m -> m.put("settings",
                "{\"batch\":\"64\",\"lr\":\"3e-3\"}")), "setting 'batch': saved '64', this run '32'"));
        cases.add(new Case("another setting", "setting-missing", resealed(t -> { }, m -> m.put("settings",
                "{\"lr\":\"3e-3\"}")), "setting 'batch': saved (none), this run '32'"));
        cases.add(new Case("another setting", "setting-extra", resealed(t -> { }, m -> m.put("settings",
                "{\"batch\":\"32\",\"data\":\"moons\",\"lr\":\"3e-3\"}")), "setting 'data': saved 'moons', this run"
                + " (none)"));
        cases.add(new Case("another setting", "parent", resealed(t -> { }, m -> m.put("parent", "00ff")),
                "parent: saved '00ff', this run (none)"));
        cases.add(new Case("another setting", "optimizer", resealed(t -> { }, m -> m.put("optimizer_settings",
                "{\"beta1\":0.8,\"beta2\":0.999,\"decoupled_weight_decay\":0.0,\"eps\":1.0E-8,"
                        + "\"weight_decay\":0.0}")), "beta1 saved 0.8 but 0.9 now"));
        cases.add(new Case("another setting", "generator", resealed(t -> { }, m -> m.put("rngs",
                m.get("rngs").replace("\"seed\":55", "\"seed\":56"))), "generator 'data' was saved with seed 56"));
        cases.add(new Case("old format", "format-1", resealed(t -> { }, m -> m.put("format", "cm4j-model")),
                "format 1 checkpoints"));
        cases.add(new Case("old format", "no-checksums", SafeTensorsBytes.plain(dir, contents), "has no checksums"));
        return cases;
    }

    /** A plain safetensors file of the same tensors and metadata without the checksums (e.g. written by a tool). */
    private static final class SafeTensorsBytes {
        static byte[] plain(Path dir, SafeTensors.Contents c) throws IOException {
            Map<String, String> m = new TreeMap<>(c.metadata());
            m.remove(TrainingState.CHECKSUMS);
            m.remove(TrainingState.HEADER_CRC);
            Path f = dir.resolve("plain.tmp");
            SafeTensors.write(f, c.tensors(), m);
            return Files.readAllBytes(f);
        }
    }

    @Test
    void everyDamagedCheckpointIsRefusedNamingTheFileAndNothingIsLoaded() throws IOException {
        saveGood();
        Map<String, Integer> counts = new LinkedHashMap<>();
        for (Case c : cases()) {
            Path f = dir.resolve(c.name() + ".safetensors");
            Files.write(f, c.bytes());
            CheckpointTest.Run fresh = new CheckpointTest.Run(5);
            String before = snapshotOf(fresh);
            CheckpointFormatException e = assertThrows(CheckpointFormatException.class, () -> fresh.state.load(f),
                    c.category() + " " + c.name());
            assertEquals(f, e.file(), c.name());
            assertTrue(e.getMessage().startsWith(f.toString()), c.name() + ": " + e.getMessage());
            assertTrue(e.getMessage().contains(c.expected()), c.name() + ": " + e.getMessage());
            assertEquals(before, snapshotOf(fresh), c.name() + ": partial load");
            counts.merge(c.category(), 1, Integer::sum);
        }
        System.out.println("DamagedCheckpointTest: " + counts.values().stream().mapToInt(Integer::intValue).sum()
                + " cases refused: " + counts);
        // and the good file loads
        Path ok = dir.resolve("ok.safetensors");
        Files.write(ok, good);
        CheckpointTest.Run fine = new CheckpointTest.Run(5);
        fine.state.load(ok);
        assertEquals(2, fine.state.step());
    }

    private static String snapshotOf(CheckpointTest.Run r) {
        StringBuilder sb = new StringBuilder();
        for (Map<String, Tensor> m : List.of(r.model.stateDict(), r.opt.stateTensors(), r.emaFast.shadow(),
                r.emaSlow.shadow())) {
            m.forEach((k, t) -> sb.append(k).append(Arrays.hashCode(t.toArray())).append(';'));
        }
        return sb.append(r.opt.stepCounts()).append(r.opt.lr()).append(r.model.rngPositions())
                .append(r.data.position()).append(r.state.step()).toString();
    }

    @Test
    void identicalSavesAreByteIdentical() throws IOException {
        CheckpointTest.Run a = new CheckpointTest.Run(1), b = new CheckpointTest.Run(1);
        for (int i = 0; i < 3; i++) {
            a.step();
            b.step();
        }
        Path fa = dir.resolve("a.safetensors"), fb = dir.resolve("b.safetensors");
        a.state.save(fa);
        b.state.save(fb);
        assertArrayEquals(Files.readAllBytes(fa), Files.readAllBytes(fb));
        // the metadata keys are sorted in the header
        byte[] bytes = Files.readAllBytes(fa);
        int n = (int) ByteBuffer.wrap(bytes, 0, 8).order(ByteOrder.LITTLE_ENDIAN).getLong();
        ObjectNode head = (ObjectNode) SafeTensors.json().readTree(new String(bytes, 8, n, StandardCharsets.UTF_8));
        List<String> keys = new ArrayList<>();
        head.get("__metadata__").fieldNames().forEachRemaining(keys::add);
        assertEquals(keys.stream().sorted().toList(), keys);
        // the parent hash of a model is the content hash of its weights, from memory or from the file
        assertEquals(TrainingState.contentHash(a.model.stateDict()), TrainingState.contentHash(fa));
    }
}
