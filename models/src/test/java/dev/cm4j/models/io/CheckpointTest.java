package dev.cm4j.models.io;

import dev.cm4j.autodiff.Losses;
import dev.cm4j.autodiff.Var;
import dev.cm4j.autodiff.optim.Adam;
import dev.cm4j.autodiff.optim.Ema;
import dev.cm4j.autodiff.optim.GradClip;
import dev.cm4j.autodiff.optim.LrSchedule;
import dev.cm4j.models.Dropout;
import dev.cm4j.models.Init;
import dev.cm4j.models.Linear;
import dev.cm4j.models.Sequential;
import dev.cm4j.models.SiLU;
import dev.cm4j.tensor.Rng;
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
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** safetensors round trips, half-precision reads, resume exactness and corrupt files. */
class CheckpointTest {
    @TempDir
    Path dir;

    // ---------------------------------------------------------------- safetensors

    @Test
    void roundTripKeepsNamesOrderShapesBitsAndMetadata() throws IOException {
        Rng rng = new Rng(1);
        Map<String, Tensor> t = new LinkedHashMap<>();
        t.put("input_blocks.0.0.weight", rng.normal(4, 3, 3, 3));
        t.put("scalar", Tensor.scalar(-0f));
        t.put("empty", Tensor.zeros(0, 5));
        t.put("odd", Tensor.of(new float[] {Float.NaN, Float.MIN_VALUE, Float.NEGATIVE_INFINITY}, 3));
        Path f = dir.resolve("m.safetensors");
        SafeTensors.write(f, t, Map.of("step", "12"));
        SafeTensors.Contents c = SafeTensors.read(f);
        assertEquals(List.copyOf(t.keySet()), List.copyOf(c.tensors().keySet()));
        assertEquals("12", c.metadata().get("step"));
        for (String k : t.keySet()) {
            assertArrayEquals(t.get(k).shape(), c.tensors().get(k).shape(), k);
            float[] a = t.get(k).toArray(), b = c.tensors().get(k).toArray();
            for (int i = 0; i < a.length; i++) {
                assertEquals(Float.floatToRawIntBits(a[i]), Float.floatToRawIntBits(b[i]), k + "[" + i + "]");
            }
        }
        // the layout numpy and PyTorch read: 8-byte little-endian length, aligned JSON, then the data
        byte[] bytes = Files.readAllBytes(f);
        long n = ByteBuffer.wrap(bytes, 0, 8).order(ByteOrder.LITTLE_ENDIAN).getLong();
        assertEquals(0, n % 8);
        assertEquals(8 + n + 4L * (4 * 27 + 1 + 0 + 3), bytes.length);
        assertTrue(new String(bytes, 8, (int) n, StandardCharsets.UTF_8).contains(
                "\"input_blocks.0.0.weight\":{\"dtype\":\"F32\",\"shape\":[4,3,3,3],\"data_offsets\":[0,432]}"));
    }

    /** Writes a safetensors file by hand with the given header and data bytes. */
    private Path raw(String name, String header, byte[] data) throws IOException {
        byte[] h = header.getBytes(StandardCharsets.UTF_8);
        ByteBuffer b = ByteBuffer.allocate(8 + h.length + data.length).order(ByteOrder.LITTLE_ENDIAN);
        b.putLong(h.length).put(h).put(data);
        Path f = dir.resolve(name);
        Files.write(f, b.array());
        return f;
    }

    @Test
    void readsHalfAndBfloat16() throws IOException {
        float[] values = {1f, -2.5f, 0.099975586f, 65504f, 6.1035156e-5f};
        ByteBuffer f16 = ByteBuffer.allocate(10).order(ByteOrder.LITTLE_ENDIAN);
        ByteBuffer bf16 = ByteBuffer.allocate(10).order(ByteOrder.LITTLE_ENDIAN);
        for (float v : values) {
            f16.putShort(Float.floatToFloat16(v));
            bf16.putShort((short) (Float.floatToRawIntBits(v) >>> 16));
        }
        byte[] data = new byte[20];
        System.arraycopy(f16.array(), 0, data, 0, 10);
        System.arraycopy(bf16.array(), 0, data, 10, 10);
        Path f = raw("half.safetensors", "{\"h\":{\"dtype\":\"F16\",\"shape\":[5],\"data_offsets\":[0,10]},"
                + "\"b\":{\"dtype\":\"BF16\",\"shape\":[5],\"data_offsets\":[10,20]}}", data);
        SafeTensors.Contents c = SafeTensors.read(f);
        assertArrayEquals(values, c.tensors().get("h").toArray());
        for (int i = 0; i < values.length; i++) {
            // bf16 keeps 8 significant bits: truncation error below 2^-7 relative
            assertEquals(values[i], c.tensors().get("b").toArray()[i], Math.abs(values[i]) / 128);
        }
        assertEquals(-2.5f, c.tensors().get("b").toArray()[1]);
    }

    /** One corruption and the words its error must contain. */
    private record Corrupt(String name, byte[] bytes, String expected) {
    }

    @Test
    void corruptFilesFailWithTheFileAndTheProblemNamed() throws IOException {
        Map<String, Tensor> t = new LinkedHashMap<>();
        t.put("a", new Rng(2).normal(2, 3));
        t.put("b", new Rng(3).normal(4));
        Path good = dir.resolve("good.safetensors");
        SafeTensors.write(good, t, Map.of());
        byte[] ok = Files.readAllBytes(good);
        int n = (int) ByteBuffer.wrap(ok, 0, 8).order(ByteOrder.LITTLE_ENDIAN).getLong();
        String header = new String(ok, 8, n, StandardCharsets.UTF_8).trim();
        byte[] data = java.util.Arrays.copyOfRange(ok, 8 + n, ok.length);

        List<Corrupt> cases = new ArrayList<>();
        cases.add(new Corrupt("empty", new byte[0], "truncated: 0 bytes"));
        cases.add(new Corrupt("cut-in-header", java.util.Arrays.copyOf(ok, 8 + n / 2), "header length"));
        cases.add(new Corrupt("cut-in-data", java.util.Arrays.copyOf(ok, ok.length - 5),
                "truncated: tensor 'b' ends at data offset 40"));
        byte[] trailing = java.util.Arrays.copyOf(ok, ok.length + 4);
        cases.add(new Corrupt("trailing", trailing, "4 unexpected bytes after the last tensor"));
        byte[] garbled = ok.clone();
        garbled[8 + 3] = '#';
        cases.add(new Corrupt("garbled", garbled, "garbled header: not valid JSON"));
        byte[] hugeLen = ok.clone();
        ByteBuffer.wrap(hugeLen).order(ByteOrder.LITTLE_ENDIAN).putLong(0, 1L << 40);
        cases.add(new Corrupt("huge-length", hugeLen, "header length 1099511627776 is impossible"));
        cases.add(new Corrupt("wrong-shape", bytes(header.replace("[2,3]", "[3,3]"), data),
                "tensor 'a': shape [3,3] of F32 needs 36 bytes but data_offsets [0, 24] hold 24"));
        cases.add(new Corrupt("bad-offsets", bytes(header.replace("[24,40]", "[28,44]"), data),
                "tensor 'b' starts at data offset 28 but the previous tensor ends at 24 (gap)"));
        cases.add(new Corrupt("overlap", bytes(header.replace("[24,40]", "[20,36]"), data),
                "(overlap)"));
        cases.add(new Corrupt("reversed-offsets", bytes(header.replace("[24,40]", "[40,24]"), data),
                "tensor 'b': bad data_offsets [40,24]"));
        cases.add(new Corrupt("wrong-dtype", bytes(header.replace("\"b\":{\"dtype\":\"F32\"",
                "\"b\":{\"dtype\":\"I64\""), data), "tensor 'b': unsupported dtype I64"));
        cases.add(new Corrupt("not-an-object", bytes("[1,2,3]", new byte[0]), "expected a JSON object"));
        cases.add(new Corrupt("missing-fields", bytes("{\"a\":{\"dtype\":\"F32\"}}", new byte[0]),
                "needs dtype, shape and two data_offsets"));
        cases.add(new Corrupt("negative-dim", bytes(header.replace("[2,3]", "[-2,3]"), data), "bad shape [-2,3]"));
        // junk after the header object: a second JSON value, stray text, padding other than spaces
        cases.add(new Corrupt("second-json-value", bytes(header + "{\"x\":1}", data), "garbled header: not valid JSON"));
        cases.add(new Corrupt("junk-after-header", bytes(header + "  xyz", data), "garbled header: not valid JSON"));
        cases.add(new Corrupt("newline-padding", bytes(header + "\n\n", data), "only spaces may follow it"));
        cases.add(new Corrupt("leading-space", bytes(" " + header, data), "must start at the first byte"));
        cases.add(new Corrupt("duplicate-name", bytes(header.replace("\"b\":{", "\"a\":{"), data),
                "garbled header: not valid JSON (Duplicate field 'a')"));
        for (Corrupt c : cases) {
            Path f = dir.resolve(c.name() + ".safetensors");
            Files.write(f, c.bytes());
            CheckpointFormatException e = assertThrows(CheckpointFormatException.class, () -> SafeTensors.read(f),
                    c.name());
            assertTrue(e.getMessage().startsWith(f.toString()), c.name() + ": " + e.getMessage());
            assertTrue(e.getMessage().contains(c.expected()), c.name() + ": " + e.getMessage());
        }
    }

    private static byte[] bytes(String header, byte[] data) {
        byte[] h = header.getBytes(StandardCharsets.UTF_8);
        ByteBuffer b = ByteBuffer.allocate(8 + h.length + data.length).order(ByteOrder.LITTLE_ENDIAN);
        return b.putLong(h.length).put(h).put(data).array();
    }

    @Test
    void spacePaddingIsAccepted() throws IOException {
        Map<String, Tensor> t = Map.of("a", Tensor.ones(3));
        Path good = dir.resolve("pad.safetensors");
        SafeTensors.write(good, t, Map.of());
        byte[] ok = Files.readAllBytes(good);
        int n = (int) ByteBuffer.wrap(ok, 0, 8).order(ByteOrder.LITTLE_ENDIAN).getLong();
        String header = new String(ok, 8, n, StandardCharsets.UTF_8).trim();
        Path padded = dir.resolve("padded.safetensors");
        Files.write(padded, bytes(header + "        ", java.util.Arrays.copyOfRange(ok, 8 + n, ok.length)));
        assertArrayEquals(new float[] {1, 1, 1}, SafeTensors.read(padded).tensors().get("a").toArray());
    }

    @Test
    void atomicWriteCreatesTheFileWithDefaultPermissions() throws IOException {
        if (!dir.getFileSystem().supportedFileAttributeViews().contains("posix")) {
            return; // permissions are a POSIX notion
        }
        Path plain = Files.createFile(dir.resolve("plain"));
        Path f = dir.resolve("perm.safetensors");
        SafeTensors.write(f, Map.of("x", Tensor.ones(2)), Map.of());
        // the umask's default, as for any file the process creates, not createTempFile's owner-only 0600
        assertEquals(Files.getPosixFilePermissions(plain), Files.getPosixFilePermissions(f));
    }

    @Test
    void atomicWriteLeavesNoTemporaryFilesAndReplacesTheOldFile() throws IOException {
        Path f = dir.resolve("w.safetensors");
        SafeTensors.write(f, Map.of("x", Tensor.ones(3)), Map.of());
        SafeTensors.write(f, Map.of("x", Tensor.full(2f, 3)), Map.of());
        assertEquals(2f, SafeTensors.read(f).tensors().get("x").toArray()[0]);
        try (var files = Files.list(dir)) {
            assertEquals(List.of("w.safetensors"), files.map(p -> p.getFileName().toString()).toList());
        }
    }

    // ---------------------------------------------------------------- resume

    /** The identity the test runs declare. */
    static final CheckpointIdentity ID = new CheckpointIdentity("toy", "{\"width\": 16, \"depth\": 3}",
            Map.of("lr", "3e-3", "batch", "32"), "");

    /** A run: an MLP with dropout, Adam with warm-up, clipping, two EMAs, data and noise from named generators. */
    static final class Run {
        final Sequential model;
        final Adam opt;
        final Ema emaFast;
        final Ema emaSlow;
        final Rng data;
        final TrainingState state;
        final LrSchedule lr = LrSchedule.warmup(5, LrSchedule.constant(3e-3));

        Run(long initSeed) {
            Rng init = new Rng(initSeed);
            model = new Sequential(new Linear(2, 16, init), new SiLU(), new Dropout(0.2f, new Rng(77, 1)),
                    new Linear(16, 16, true, Init.Scheme.HE_NORMAL, init), new SiLU(), new Linear(16, 1, init));
            opt = new Adam(model.namedParameters(), 3e-3);
            emaFast = new Ema(model.namedParameters());
            emaSlow = new Ema(model.namedParameters());
            data = new Rng(55, 3);
            state = new TrainingState(model, opt).ema("fast", emaFast).ema("slow", emaSlow).rng("data", data)
                    .identity(ID);
        }

        /** One step; returns the loss. */
        float step() {
            long s = state.step();
            Tensor x = data.normal(32, 2);
            Tensor y = Tensor.zeros(32, 1);
            for (int i = 0; i < 32; i++) {
                y.set((float) Math.sin(2 * x.get(i, 0)) * x.get(i, 1), i, 0);
            }
            opt.zeroGrad();
            Var loss = Losses.msePerSample(model.forward(Var.constant(x)), Var.constant(y)).mean();
            loss.backward();
            GradClip.clipGlobalNorm(model.parameters(), 1.0);
            opt.setLr(lr.at(s));
            opt.step();
            emaFast.update(0.9);
            emaSlow.update(Ema.edmBeta(s * 32, 32, 2000, 0.05));
            state.setStep(s + 1);
            return loss.item();
        }
    }

    @Test
    void resumeIsBitIdenticalToAnUninterruptedRun() throws IOException {
        int k = 40;
        Run straight = new Run(1);
        float[] lossesStraight = new float[2 * k];
        for (int i = 0; i < 2 * k; i++) {
            lossesStraight[i] = straight.step();
        }

        Run first = new Run(1);
        float[] lossesResumed = new float[2 * k];
        for (int i = 0; i < k; i++) {
            lossesResumed[i] = first.step();
        }
        Path file = dir.resolve("run.safetensors");
        first.state.save(file);
        try (var files = Files.list(dir)) {
            assertEquals(List.of("run.safetensors"), files.map(p -> p.getFileName().toString()).toList(),
                    "one file per checkpoint");
        }

        // a fresh process: other initial weights, fresh moments, generators at position 0
        Run second = new Run(999);
        second.state.load(file);
        assertEquals(k, second.state.step());
        assertEquals(ID, second.state.identity());
        for (int i = k; i < 2 * k; i++) {
            lossesResumed[i] = second.step();
        }
        for (int i = 0; i < 2 * k; i++) {
            assertEquals(Float.floatToRawIntBits(lossesStraight[i]), Float.floatToRawIntBits(lossesResumed[i]),
                    "loss of step " + i + ": " + lossesStraight[i] + " vs " + lossesResumed[i]);
        }
        assertBitEqual(straight.model.stateDict(), second.model.stateDict(), "weights");
        assertBitEqual(straight.emaFast.shadow(), second.emaFast.shadow(), "fast EMA");
        assertBitEqual(straight.emaSlow.shadow(), second.emaSlow.shadow(), "slow EMA");
        assertBitEqual(straight.opt.stateTensors(), second.opt.stateTensors(), "Adam moments");
    }

    private static void assertBitEqual(Map<String, Tensor> a, Map<String, Tensor> b, String what) {
        assertEquals(a.keySet(), b.keySet(), what);
        a.forEach((k, t) -> assertArrayEquals(t.toArray(), b.get(k).toArray(), what + " " + k));
    }

    @Test
    void mismatchedCheckpointsLoadNothing() throws IOException {
        Run run = new Run(1);
        run.step();
        Path file = dir.resolve("a.safetensors");
        run.state.save(file);

        // another architecture: the error names the model file and lists the differences
        Rng r = new Rng(3);
        Sequential other = new Sequential(new Linear(2, 8, r), new SiLU(), new Linear(8, 1, r));
        Adam otherOpt = new Adam(other.namedParameters(), 1e-3);
        float before = other.parameters().get(0).value().data()[0];
        CheckpointFormatException e = assertThrows(CheckpointFormatException.class,
                () -> new TrainingState(other, otherOpt).load(file));
        assertTrue(e.getMessage().startsWith(file.toString()) && e.getMessage().contains("shape mismatch [0.weight"),
                e.getMessage());
        assertEquals(before, other.parameters().get(0).value().data()[0], "partial load");

        // a generator with another seed
        Run reseeded = new Run(1);
        TrainingState wrongSeed = new TrainingState(reseeded.model, reseeded.opt).ema("fast", reseeded.emaFast)
                .ema("slow", reseeded.emaSlow).rng("data", new Rng(56, 3));
        CheckpointFormatException seed = assertThrows(CheckpointFormatException.class, () -> wrongSeed.load(file));
        assertTrue(seed.getMessage().contains("generator 'data' was saved with seed 55"), seed.getMessage());
    }

    /** A change to one metadata entry of a saved training state and the words its error must contain. */
    private record MetaCase(String key, String value, String expected) {
    }

    /** Everything a load could change, as bits: weights, moments, EMAs, generator positions, lr, step. */
    private static String snapshot(Run r) {
        StringBuilder sb = new StringBuilder();
        List<Map<String, Tensor>> maps = List.of(r.model.stateDict(), r.opt.stateTensors(), r.emaFast.shadow(),
                r.emaSlow.shadow());
        for (Map<String, Tensor> m : maps) {
            m.forEach((k, t) -> sb.append(k).append(java.util.Arrays.hashCode(t.toArray())).append(';'));
        }
        return sb.append(r.opt.stepCounts()).append(r.opt.lr()).append(r.model.rngPositions())
                .append(r.data.position()).append(r.state.step()).append(r.state.identity()).toString();
    }

    @Test
    void damagedStateMetadataFailsNamingTheFileBeforeAnythingChanges() throws IOException {
        Run run = new Run(1);
        run.step();
        run.step();
        Path file = dir.resolve("m.safetensors");
        run.state.save(file);
        SafeTensors.Contents good = SafeTensors.read(file);

        // each case is re-sealed (checksums recomputed), so the semantic checks behind the checksums are reached
        List<MetaCase> cases = List.of(
                new MetaCase("optimizer_lr", "abc", "metadata 'optimizer_lr' is not a number: abc"),
                new MetaCase("optimizer_lr", "-0.001", "learning rate -0.001 must be finite and >= 0"),
                new MetaCase("optimizer_lr", "NaN", "learning rate NaN must be finite and >= 0"),
                new MetaCase("optimizer_lr", "Infinity", "learning rate Infinity must be finite and >= 0"),
                new MetaCase("optimizer_lr", null, "metadata 'optimizer_lr' is missing"),
                new MetaCase("optimizer_settings", "{\"beta1\":0.9,\"beta2\":0.99,\"eps\":1.0E-8,"
                        + "\"weight_decay\":0.0,\"decoupled_weight_decay\":0.0}",
                        "optimizer settings differ from this run's: beta2 saved 0.99 but 0.999 now"),
                new MetaCase("optimizer_settings", "[1]", "metadata 'optimizer_settings' is not a JSON object"),
                new MetaCase("optimizer_settings", null, "metadata 'optimizer_settings' is missing"),
                new MetaCase("model_rng_ids", "{\"2\":{\"seed\":78,\"stream\":1}}",
                        "dropout generator '2' was saved with seed 78 stream 1 but runs with seed 77 stream 1"),
                new MetaCase("model_rng_ids", "{}", "holds 0 dropout generators but the model has [2]"),
                new MetaCase("optimizer_steps", "{\"0.weight\": 2}", "step counts for"),
                new MetaCase("settings", "{broken", "metadata 'settings' is not valid JSON"),
                new MetaCase("config", "{\"width\": 32, \"depth\": 3}", "config: saved '{\"width\": 32,"
                        + " \"depth\": 3}', this run '{\"width\": 16, \"depth\": 3}'"),
                new MetaCase("config", null, "metadata 'config' is missing"),
                new MetaCase("format", "3", "checkpoint format 3 is not supported"),
                new MetaCase("format", "cm4j-training-state-2", "format 1 checkpoints"));
        for (MetaCase c : cases) {
            Map<String, String> meta = new LinkedHashMap<>(good.metadata());
            if (c.value() == null) {
                meta.remove(c.key());
            } else {
                meta.put(c.key(), c.value());
            }
            TrainingState.seal(good.tensors(), meta);
            SafeTensors.write(file, good.tensors(), meta);
            Run fresh = new Run(5);
            fresh.opt.setLr(1e-4);
            String before = snapshot(fresh);
            CheckpointFormatException e = assertThrows(CheckpointFormatException.class, () -> fresh.state.load(file),
                    c.key() + " = " + c.value());
            assertEquals(file, e.file(), e.getMessage());
            assertTrue(e.getMessage().startsWith(file.toString()) && e.getMessage().contains(c.expected()),
                    c.key() + " = " + c.value() + ": " + e.getMessage());
            assertEquals(before, snapshot(fresh), c.key() + " = " + c.value() + ": partial load");
        }

        // the real thing: the same file resumed with other Adam betas
        SafeTensors.write(file, good.tensors(), good.metadata());
        Run other = new Run(5);
        TrainingState otherBetas = new TrainingState(other.model, new Adam(other.model.namedParameters(), 3e-3, 0.9,
                0.99, 1e-8, 0, false)).ema("fast", other.emaFast).ema("slow", other.emaSlow).rng("data", other.data);
        CheckpointFormatException e = assertThrows(CheckpointFormatException.class, () -> otherBetas.load(file));
        assertTrue(e.getMessage().contains("beta2 saved 0.999 but 0.99 now"), e.getMessage());
        // and the untouched file loads
        Run ok = new Run(5);
        ok.state.load(file);
        assertEquals(2, ok.state.step());
    }

    @Test
    void theDeclaredIdentityMustBeTheStoredOneNamingEachDifference() throws IOException {
        Run run = new Run(1);
        run.step();
        Path file = dir.resolve("s.safetensors");
        run.state.save(file);

        // another role, another setting, a setting recorded on one side only, another parent: all named at once
        Run other = new Run(5);
        other.state.identity(new CheckpointIdentity("cd", ID.config(), Map.of("lr", "3e-3", "batch", "64",
                "data", "moons"), "abc123"));
        String before = snapshot(other);
        CheckpointMismatchException e = assertThrows(CheckpointMismatchException.class, () -> other.state.load(file));
        assertEquals(file, e.file());
        assertEquals(file + ": is a checkpoint of another run; refusing to load it (4 differences): role: saved"
                + " 'toy', this run 'cd'; setting 'batch': saved '32', this run '64'; setting 'data': saved (none),"
                + " this run 'moons'; parent: saved (none), this run 'abc123'", e.getMessage());
        assertEquals(before, snapshot(other), "partial load");

        // the same architecture spelled otherwise (order, spacing) is the same architecture
        Run same = new Run(5);
        same.state.identity(new CheckpointIdentity("toy", "{\"depth\":3,\"width\":16}", ID.settings(), ""));
        same.state.load(file);
        assertEquals(1, same.state.step());

        // without a declaration any identity is accepted and reported
        Run undeclared = new Run(5);
        TrainingState plain = new TrainingState(undeclared.model, undeclared.opt).ema("fast", undeclared.emaFast)
                .ema("slow", undeclared.emaSlow).rng("data", undeclared.data);
        plain.load(file);
        assertEquals(ID, plain.identity());
    }
}
