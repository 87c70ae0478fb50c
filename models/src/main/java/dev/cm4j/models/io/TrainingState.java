package dev.cm4j.models.io;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.cm4j.autodiff.optim.Ema;
import dev.cm4j.autodiff.optim.Optimizer;
import dev.cm4j.models.Module;
import dev.cm4j.tensor.Rng;
import dev.cm4j.tensor.Tensor;

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
import java.util.Optional;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.zip.CRC32C;

/**
 * Everything a training run needs to continue bit-identically, bound to the live objects it saves and restores, in
 * one safetensors file per checkpoint (format {@value #FORMAT}): the weights ({@code model/<name>}), the optimizer
 * moments ({@code optim/<name>.<slot>}), the EMA copies ({@code ema/<ema>/<name>}), and in the metadata the step,
 * the optimizer's step counts, learning rate and settings, the seeds, streams and positions of the model's dropout
 * generators and of any other named generators, the run's {@link CheckpointIdentity identity}, the cm4j version, a
 * CRC32C per tensor and one over the header.
 *
 * <p><b>Saving</b> refuses a state with a NaN or infinite weight, EMA or moment, or a negative second moment: the
 * newest checkpoint stays the last good one. The file replaces the previous one through
 * {@link CheckpointFiles#replace}, which keeps the one before as {@code X.prev}; identical states give byte-identical
 * files (sorted metadata, no time stamps).
 *
 * <p><b>Loading</b> verifies the file (layout, checksums, finite values, non-negative second moments), compares its
 * identity with the declared one, and checks every name, shape, optimizer setting and generator against the live
 * objects before it changes anything: all or nothing, with the file and the problem named. When {@code X} is missing
 * or damaged and {@code X.prev} loads, it loads that and says so; a checkpoint of another run
 * ({@link CheckpointMismatchException}) is refused outright.
 */
public final class TrainingState {
    /** The checkpoint format this class writes and reads; format 1 was a weights file beside a state file. */
    public static final int FORMAT = 2;
    static final String MODEL = "model/";
    static final String OPT = "optim/";
    static final String EMA = "ema/";
    /** Metadata keys that are not covered by the header checksum (the checksum itself). */
    static final String HEADER_CRC = "header_crc32c";
    static final String CHECKSUMS = "checksums";
    private static final System.Logger LOG = System.getLogger(TrainingState.class.getName());

    private final Module model;
    private final Optimizer optimizer;
    private final Map<String, Ema> emas = new LinkedHashMap<>();
    private final Map<String, Rng> rngs = new LinkedHashMap<>();
    private long step;
    private CheckpointIdentity identity = CheckpointIdentity.NONE;
    /** True once {@link #identity(CheckpointIdentity)} declared this run's identity: load then requires it. */
    private boolean declared;
    private FileOps files = FileOps.REAL;
    private Path loadedFrom;

    /** @param optimizer may be null (e.g. for a model that is only evaluated) */
    public TrainingState(Module model, Optimizer optimizer) {
        this.model = model;
        this.optimizer = optimizer;
    }

    /** Tracks an EMA of the parameters under {@code name} (e.g. "0.9999"). */
    public TrainingState ema(String name, Ema ema) {
        checkName(name);
        emas.put(name, ema);
        return this;
    }

    /** Tracks a generator by name (its seed and stream are checked on load, its position restored). */
    public TrainingState rng(String name, Rng rng) {
        checkName(name);
        rngs.put(name, rng);
        return this;
    }

    private static void checkName(String name) {
        if (name.isEmpty() || name.contains("/")) {
            throw new IllegalArgumentException("TrainingState: name '" + name + "' must be non-empty without '/'");
        }
    }

    public long step() {
        return step;
    }

    public TrainingState setStep(long step) {
        if (step < 0) {
            throw new IllegalArgumentException("TrainingState: step " + step + " must be >= 0");
        }
        this.step = step;
        return this;
    }

    /**
     * Declares this run's identity. {@link #save} records it, and {@link #load} refuses a checkpoint whose identity
     * differs, naming each difference. Without a declaration, load accepts any identity and {@link #identity()}
     * returns the loaded one.
     */
    public TrainingState identity(CheckpointIdentity id) {
        if (id == null) {
            throw new IllegalArgumentException("TrainingState: identity is null");
        }
        this.identity = id;
        this.declared = true;
        return this;
    }

    /** The declared identity, or after a {@link #load} without a declaration the loaded one. */
    public CheckpointIdentity identity() {
        return identity;
    }

    /** The file operations saves go through ({@link FileOps#REAL} unless a test substitutes its own). */
    public TrainingState fileOps(FileOps ops) {
        if (ops == null) {
            throw new IllegalArgumentException("TrainingState: file operations are null");
        }
        this.files = ops;
        return this;
    }

    /** The file the last {@link #load} restored: the one asked for, or its {@code X.prev}; null before a load. */
    public Path loadedFrom() {
        return loadedFrom;
    }

    /**
     * The cm4j version recorded in checkpoints: the {@code Implementation-Version} of the cm4j-models jar's manifest,
     * or "dev" when the classes do not come from a built jar (tests, an IDE).
     */
    public static String cm4jVersion() {
        String v = TrainingState.class.getPackage().getImplementationVersion();
        return v == null || v.isBlank() ? "dev" : v;
    }

    // ---------------------------------------------------------------- content hashes

    /**
     * The content hash of a set of weights: SHA-256 (hex) over the names, shapes and little-endian float32 bytes in
     * sorted name order ({@link TensorChecks#sha256}). Pass a module's {@code stateDict()} to name the parent of a
     * run initialised from it.
     */
    public static String contentHash(Map<String, Tensor> weights) {
        return TensorChecks.sha256(weights);
    }

    /**
     * The content hash of the weights stored in a checkpoint file (after verifying its checksums): equal to
     * {@link #contentHash(Map)} of the {@code stateDict()} of a model loaded from it.
     */
    public static String contentHash(Path checkpoint) throws IOException {
        SafeTensors.Contents c = SafeTensors.read(checkpoint);
        checkFormat1(checkpoint, c.metadata());
        verifyIntegrity(checkpoint, c);
        Map<String, Tensor> weights = new TreeMap<>();
        c.tensors().forEach((k, t) -> {
            if (k.startsWith(MODEL)) {
                weights.put(k.substring(MODEL.length()), t);
            }
        });
        return contentHash(weights);
    }

    // ---------------------------------------------------------------- save

    /** Every live tensor under its name in the file, sorted by name. */
    private Map<String, Tensor> liveTensors() {
        Map<String, Tensor> tensors = new TreeMap<>();
        model.stateDict().forEach((k, t) -> tensors.put(MODEL + k, t));
        if (optimizer != null) {
            optimizer.stateTensors().forEach((k, t) -> tensors.put(OPT + k, t));
        }
        emas.forEach((name, ema) -> ema.shadow().forEach((k, t) -> tensors.put(EMA + name + "/" + k, t)));
        return tensors;
    }

    /** Adam's (and RAdam's) second moments, which must not be negative. */
    static boolean isSecondMoment(String name) {
        return name.startsWith(OPT) && name.endsWith(".exp_avg_sq");
    }

    /**
     * The first value of the live state that a checkpoint must not hold: a NaN or infinite weight, EMA or moment,
     * or a negative second moment, named by tensor (as in the file) and flat index. Empty when the state is good.
     */
    public Optional<String> nonFinite() {
        return TensorChecks.firstBad(liveTensors(), TrainingState::isSecondMoment);
    }

    /**
     * Writes the whole state to {@code file} through {@link CheckpointFiles#replace}, keeping the previous checkpoint
     * as {@code X.prev}.
     *
     * @throws IllegalStateException if the state holds a non-finite value or a negative second moment (nothing is
     *                               written)
     */
    public void save(Path file) throws IOException {
        Map<String, Tensor> tensors = liveTensors();
        Optional<String> bad = TensorChecks.firstBad(tensors, TrainingState::isSecondMoment);
        if (bad.isPresent()) {
            throw new IllegalStateException(file + ": not saved, the state is not good: " + bad.get());
        }
        ObjectMapper json = SafeTensors.json();
        Map<String, String> meta = new TreeMap<>();
        meta.put("format", Integer.toString(FORMAT));
        meta.put("cm4j_version", cm4jVersion());
        meta.put("role", identity.role());
        meta.put("config", identity.config());
        meta.put("settings", json.writeValueAsString(identity.settings()));
        meta.put("parent", identity.parent());
        meta.put("step", Long.toString(step));
        if (optimizer != null) {
            meta.put("optimizer", optimizer.getClass().getSimpleName());
            meta.put("optimizer_lr", Double.toString(optimizer.lr()));
            meta.put("optimizer_settings", json.writeValueAsString(new TreeMap<>(optimizer.settings())));
            meta.put("optimizer_steps", json.writeValueAsString(new TreeMap<>(optimizer.stepCounts())));
        }
        meta.put("emas", json.writeValueAsString(new TreeSet<>(emas.keySet())));
        meta.put("model_rngs", json.writeValueAsString(new TreeMap<>(model.rngPositions())));
        Map<String, Map<String, Long>> dropout = new TreeMap<>();
        model.rngs().forEach((path, r) -> dropout.put(path, generator(r, false)));
        meta.put("model_rng_ids", json.writeValueAsString(dropout));
        Map<String, Map<String, Long>> gens = new TreeMap<>();
        rngs.forEach((name, r) -> gens.put(name, generator(r, true)));
        meta.put("rngs", json.writeValueAsString(gens));
        seal(tensors, meta);
        CheckpointFiles.replace(file, SafeTensors.encode(file, tensors, meta), files);
    }

    private static Map<String, Long> generator(Rng r, boolean position) {
        Map<String, Long> g = new LinkedHashMap<>();
        g.put("seed", r.seed());
        g.put("stream", r.stream());
        if (position) {
            g.put("position", r.position());
        }
        return g;
    }

    /** Adds the per-tensor checksums and then the header checksum to {@code meta}. */
    static void seal(Map<String, Tensor> tensors, Map<String, String> meta) throws JsonProcessingException {
        Map<String, String> sums = new TreeMap<>();
        tensors.forEach((k, t) -> sums.put(k, hex(TensorChecks.crc32c(t))));
        meta.remove(HEADER_CRC);
        meta.put(CHECKSUMS, SafeTensors.json().writeValueAsString(sums));
        meta.put(HEADER_CRC, hex(headerCrc(tensors, meta)));
    }

    private static String hex(int crc) {
        return String.format("%08x", crc);
    }

    /** CRC32C over the sorted metadata (but the header checksum) and the sorted tensor names and shapes. */
    private static int headerCrc(Map<String, Tensor> tensors, Map<String, String> meta) {
        CRC32C crc = new CRC32C();
        for (Map.Entry<String, String> e : new TreeMap<>(meta).entrySet()) {
            if (!e.getKey().equals(HEADER_CRC)) {
                crc.update((e.getKey() + "\0" + e.getValue() + "\0").getBytes(StandardCharsets.UTF_8));
            }
        }
        for (Map.Entry<String, Tensor> e : new TreeMap<>(tensors).entrySet()) {
            crc.update((e.getKey() + "\0").getBytes(StandardCharsets.UTF_8));
            int[] shape = e.getValue().shape();
            ByteBuffer b = ByteBuffer.allocate(4 + 4 * shape.length).order(ByteOrder.LITTLE_ENDIAN).putInt(shape.length);
            for (int d : shape) {
                b.putInt(d);
            }
            crc.update(b.flip());
        }
        return (int) crc.getValue();
    }

    /** Deletes the debris of interrupted saves of {@code file} ({@link CheckpointFiles#removeDebris}). */
    public static List<Path> removeDebris(Path file, FileOps ops) throws IOException {
        return CheckpointFiles.removeDebris(file, ops);
    }

    // ---------------------------------------------------------------- load

    /**
     * Restores everything saved by {@link #save(Path)} into the live objects, all or nothing. When {@code file} is
     * missing or damaged (truncated, a checksum fails, a value is not finite) and {@code X.prev} exists, loads that
     * instead and logs a warning naming both; {@link #loadedFrom()} tells which. A checkpoint of another run is
     * refused with a {@link CheckpointMismatchException} and no fallback.
     *
     * @return the file that was loaded
     */
    public Path load(Path file) throws IOException {
        loadedFrom = null;
        Path prev = CheckpointFiles.prevPath(file);
        CheckpointFormatException damage = null;
        if (Files.exists(file) || !Files.exists(prev)) {
            try {
                loadOne(file);
                loadedFrom = file;
                return file;
            } catch (CheckpointMismatchException e) {
                throw e;
            } catch (CheckpointFormatException e) {
                if (!Files.exists(prev)) {
                    throw e;
                }
                damage = e;
            }
        }
        String why = damage == null ? "is missing" : "is damaged (" + damage.getMessage() + ")";
        try {
            loadOne(prev);
        } catch (CheckpointMismatchException e) {
            throw new CheckpointMismatchException(file, why + ", and the previous checkpoint cannot be used: "
                    + e.getMessage(), e);
        } catch (CheckpointFormatException e) {
            throw new CheckpointFormatException(file, why + ", and the previous checkpoint cannot be used: "
                    + e.getMessage(), e);
        }
        LOG.log(System.Logger.Level.WARNING, file + " " + why + "; resumed from the previous checkpoint " + prev
                + " (step " + step + ")");
        loadedFrom = prev;
        return prev;
    }

    /** Format 1 wrote the weights and the training state to two files; say so rather than "damaged". */
    private static void checkFormat1(Path file, Map<String, String> meta) throws CheckpointMismatchException {
        String f = meta.get("format");
        if (f != null && (f.equals("cm4j-model") || f.startsWith("cm4j-training-state"))) {
            throw new CheckpointMismatchException(file, "format 1 checkpoints (weights in name.safetensors beside"
                    + " the training state in name.state.safetensors) are not supported: this version of cm4j reads"
                    + " format " + FORMAT + " (one file per checkpoint); train again, or read the weights alone"
                    + " with SafeTensors.read and Module.load");
        }
    }

    /** Header checksum, then a checksum per tensor: a flipped bit anywhere is reported as damage. */
    static void verifyIntegrity(Path file, SafeTensors.Contents c) throws CheckpointFormatException {
        Map<String, String> meta = c.metadata();
        String stored = meta.get(HEADER_CRC);
        intact(file, stored != null && meta.containsKey(CHECKSUMS), "has no checksums (metadata '" + HEADER_CRC
                + "' and '" + CHECKSUMS + "'): damaged, or not a cm4j checkpoint of format " + FORMAT);
        String computed = hex(headerCrc(c.tensors(), meta));
        intact(file, computed.equals(stored), "the header fails its CRC32C checksum (stored " + stored
                + ", computed " + computed + "): its metadata or tensor names or shapes are damaged");
        JsonNode sums = parseJson(file, meta, CHECKSUMS);
        intact(file, sums.isObject(), "metadata '" + CHECKSUMS + "' is not a JSON object");
        for (Map.Entry<String, Tensor> e : c.tensors().entrySet()) {
            JsonNode s = sums.get(e.getKey());
            intact(file, s != null && s.isTextual(), "tensor '" + e.getKey() + "' has no checksum (an extra"
                    + " tensor)");
            String actual = hex(TensorChecks.crc32c(e.getValue()));
            intact(file, actual.equals(s.asText()), "tensor '" + e.getKey() + "' fails its CRC32C checksum (stored "
                    + s.asText() + ", computed " + actual + "): its data are damaged");
        }
        for (var it = sums.fieldNames(); it.hasNext(); ) {
            String k = it.next();
            intact(file, c.tensors().containsKey(k), "tensor '" + k + "' is listed in the checksums but missing");
        }
    }

    private void loadOne(Path file) throws IOException {
        SafeTensors.Contents contents = SafeTensors.read(file);
        Map<String, String> meta = contents.metadata();
        ObjectMapper json = SafeTensors.json();

        // 1. format and integrity: checksums, then finite values and non-negative second moments
        checkFormat1(file, meta);
        verifyIntegrity(file, contents);
        if (!Integer.toString(FORMAT).equals(meta.get("format"))) {
            throw new CheckpointMismatchException(file, "checkpoint format " + meta.get("format") + " is not"
                    + " supported: this version of cm4j reads format " + FORMAT);
        }
        Optional<String> bad = TensorChecks.firstBad(contents.tensors(), TrainingState::isSecondMoment);
        intact(file, bad.isEmpty(), "holds a state that is not good: " + bad.orElse(""));

        // 2. identity: what the checkpoint is must be what this run is
        CheckpointIdentity saved = readIdentity(file, meta);
        if (declared) {
            List<String> diff = identity.differences(saved);
            if (!diff.isEmpty()) {
                throw new CheckpointMismatchException(file, "is a checkpoint of another run; refusing to load it ("
                        + diff.size() + (diff.size() == 1 ? " difference" : " differences") + "): "
                        + String.join("; ", diff));
            }
        }
        long savedStep = parseLong(file, meta, "step");

        // 3. split the tensors by owner
        Map<String, Tensor> weights = new LinkedHashMap<>();
        Map<String, Tensor> optTensors = new LinkedHashMap<>();
        Map<String, Map<String, Tensor>> emaTensors = new LinkedHashMap<>();
        for (String name : emas.keySet()) {
            emaTensors.put(name, new LinkedHashMap<>());
        }
        List<String> untracked = new ArrayList<>();
        for (Map.Entry<String, Tensor> e : contents.tensors().entrySet()) {
            String k = e.getKey();
            if (k.startsWith(MODEL)) {
                weights.put(k.substring(MODEL.length()), e.getValue());
            } else if (k.startsWith(OPT)) {
                optTensors.put(k.substring(OPT.length()), e.getValue());
            } else if (k.startsWith(EMA) && k.indexOf('/', EMA.length()) > 0) {
                int slash = k.indexOf('/', EMA.length());
                Map<String, Tensor> target = emaTensors.get(k.substring(EMA.length(), slash));
                if (target == null) {
                    untracked.add(k);
                } else {
                    target.put(k.substring(slash + 1), e.getValue());
                }
            } else {
                throw new CheckpointMismatchException(file, "unexpected tensor '" + k + "' (names start with "
                        + MODEL + ", " + OPT + " or " + EMA + ")");
            }
        }
        try {
            model.checkLoadable(weights, file.toString());
        } catch (IllegalArgumentException e) {
            throw new CheckpointMismatchException(file, e.getMessage(), e);
        }
        require(file, untracked.isEmpty(), "tensor '" + (untracked.isEmpty() ? "" : untracked.get(0))
                + "' belongs to an EMA that is not tracked " + emas.keySet());
        JsonNode savedEmas = parseJson(file, meta, "emas");
        require(file, savedEmas.size() == emas.size(), "holds EMAs " + savedEmas + " but " + emas.keySet()
                + " are tracked");
        for (JsonNode n : savedEmas) {
            require(file, emas.containsKey(n.asText()), "holds EMAs " + savedEmas + " but " + emas.keySet()
                    + " are tracked");
        }

        // 4. every other check against the live objects, before anything changes
        Map<String, Long> optSteps = new LinkedHashMap<>();
        Map<String, Long> modelRngs = new LinkedHashMap<>();
        double lr = optimizer == null ? 0 : parseLr(file, meta);
        try {
            if (optimizer != null) {
                require(file, optimizer.getClass().getSimpleName().equals(meta.get("optimizer")),
                        "optimizer state is for " + meta.get("optimizer") + ", not "
                                + optimizer.getClass().getSimpleName());
                checkSettings(file, parseJson(file, meta, "optimizer_settings"), optimizer.settings());
                parseJson(file, meta, "optimizer_steps").properties()
                        .forEach(e -> optSteps.put(e.getKey(), e.getValue().asLong(-1)));
                optimizer.checkState(optTensors, optSteps);
            } else {
                require(file, optTensors.isEmpty(), "holds optimizer state but no optimizer is given");
            }
            for (Map.Entry<String, Ema> e : emas.entrySet()) {
                e.getValue().checkLoadable(emaTensors.get(e.getKey()));
            }
            parseJson(file, meta, "model_rngs").properties()
                    .forEach(e -> modelRngs.put(e.getKey(), e.getValue().asLong(-1)));
            model.checkRngPositions(modelRngs);
        } catch (IllegalArgumentException e) {
            throw new CheckpointMismatchException(file, e.getMessage(), e);
        }
        JsonNode dropoutIds = parseJson(file, meta, "model_rng_ids");
        require(file, dropoutIds.size() == model.rngs().size(), "holds " + dropoutIds.size()
                + " dropout generators but the model has " + model.rngs().keySet());
        for (Map.Entry<String, Rng> e : model.rngs().entrySet()) {
            checkIdentity(file, "dropout generator '" + e.getKey() + "'", dropoutIds.get(e.getKey()), e.getValue());
        }
        JsonNode gens = parseJson(file, meta, "rngs");
        require(file, gens.size() == rngs.size(), "holds " + gens.size() + " generators"
                + " but " + rngs.keySet() + " are tracked");
        Map<String, Long> rngPositions = new LinkedHashMap<>();
        for (Map.Entry<String, Rng> e : rngs.entrySet()) {
            JsonNode g = gens.get(e.getKey());
            require(file, g != null && g.path("position").canConvertToLong() && g.path("position").asLong() >= 0,
                    "generator '" + e.getKey() + "' is missing or has no valid position");
            checkIdentity(file, "generator '" + e.getKey() + "'", g, e.getValue());
            rngPositions.put(e.getKey(), g.get("position").asLong());
        }

        // 5. apply: nothing below can fail on content
        model.load(weights, file.toString());
        if (optimizer != null) {
            optimizer.loadState(optTensors, optSteps);
            optimizer.setLr(lr);
        }
        emas.forEach((name, ema) -> ema.load(emaTensors.get(name)));
        model.setRngPositions(modelRngs);
        rngPositions.forEach((name, pos) -> rngs.get(name).setPosition(pos));
        step = savedStep;
        if (!declared) {
            identity = saved;
        }
    }

    /** The identity recorded in a checkpoint's metadata. */
    private static CheckpointIdentity readIdentity(Path file, Map<String, String> meta) throws IOException {
        for (String key : List.of("role", "config", "settings", "parent")) {
            intact(file, meta.containsKey(key), "metadata '" + key + "' is missing");
        }
        JsonNode settings = parseJson(file, meta, "settings");
        intact(file, settings.isObject(), "metadata 'settings' is not a JSON object");
        Map<String, String> s = new TreeMap<>();
        for (Map.Entry<String, JsonNode> e : settings.properties()) {
            intact(file, e.getValue().isTextual(), "setting '" + e.getKey() + "' is not a string");
            s.put(e.getKey(), e.getValue().asText());
        }
        return new CheckpointIdentity(meta.get("role"), meta.get("config"), s, meta.get("parent"));
    }

    /** The saved learning rate, checked as {@link Optimizer#setLr} would check it. */
    private static double parseLr(Path file, Map<String, String> meta) throws CheckpointFormatException {
        String s = meta.get("optimizer_lr");
        intact(file, s != null, "metadata 'optimizer_lr' is missing");
        try {
            double lr = Double.parseDouble(s);
            Optimizer.checkLr("metadata 'optimizer_lr'", lr);
            return lr;
        } catch (NumberFormatException e) {
            throw new CheckpointFormatException(file, "metadata 'optimizer_lr' is not a number: " + s, e);
        } catch (IllegalArgumentException e) {
            throw new CheckpointFormatException(file, e.getMessage(), e);
        }
    }

    /** The saved optimizer settings must be this run's exactly: resuming with other betas or eps is a new run. */
    private static void checkSettings(Path file, JsonNode saved, Map<String, Double> live)
            throws CheckpointFormatException {
        require(file, saved.isObject(), "metadata 'optimizer_settings' is not a JSON object");
        StringBuilder diff = new StringBuilder();
        for (Map.Entry<String, Double> e : live.entrySet()) {
            JsonNode v = saved.get(e.getKey());
            if (v == null || !v.isNumber() || v.asDouble() != e.getValue()) {
                diff.append(diff.isEmpty() ? "" : ", ").append(e.getKey()).append(" saved ")
                        .append(v == null ? "(none)" : v.toString()).append(" but ").append(e.getValue()).append(" now");
            }
        }
        saved.fieldNames().forEachRemaining(k -> {
            if (!live.containsKey(k)) {
                diff.append(diff.isEmpty() ? "" : ", ").append(k).append(" saved but unknown to this optimizer");
            }
        });
        require(file, diff.isEmpty(), "optimizer settings differ from this run's: " + diff);
    }

    /** A saved generator's seed and stream must be the live one's, or the resumed run draws other numbers. */
    private static void checkIdentity(Path file, String what, JsonNode saved, Rng live)
            throws CheckpointFormatException {
        require(file, saved != null && saved.path("seed").isIntegralNumber() && saved.path("stream").isIntegralNumber(),
                what + " is missing or has no seed and stream");
        require(file, saved.get("seed").asLong() == live.seed() && saved.get("stream").asLong() == live.stream(),
                what + " was saved with seed " + saved.get("seed") + " stream " + saved.get("stream")
                        + " but runs with seed " + live.seed() + " stream " + live.stream());
    }

    /** A check against the live run: a failure means the checkpoint is of another run. */
    private static void require(Path file, boolean ok, String problem) throws CheckpointMismatchException {
        if (!ok) {
            throw new CheckpointMismatchException(file, problem);
        }
    }

    /** A check of the file itself: a failure means the checkpoint is damaged. */
    private static void intact(Path file, boolean ok, String problem) throws CheckpointFormatException {
        if (!ok) {
            throw new CheckpointFormatException(file, problem);
        }
    }

    private static long parseLong(Path file, Map<String, String> meta, String key) throws CheckpointFormatException {
        try {
            long v = Long.parseLong(meta.getOrDefault(key, ""));
            intact(file, v >= 0, "metadata '" + key + "' is negative");
            return v;
        } catch (NumberFormatException e) {
            throw new CheckpointFormatException(file, "metadata '" + key + "' is not a number: " + meta.get(key));
        }
    }

    private static JsonNode parseJson(Path file, Map<String, String> meta, String key)
            throws CheckpointFormatException {
        String s = meta.get(key);
        if (s == null) {
            throw new CheckpointFormatException(file, "metadata '" + key + "' is missing");
        }
        try {
            return SafeTensors.json().readTree(s);
        } catch (JsonProcessingException e) {
            throw new CheckpointFormatException(file, "metadata '" + key + "' is not valid JSON", e);
        }
    }
}
