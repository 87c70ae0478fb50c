package dev.cm4j.models.io;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.cm4j.autodiff.optim.Ema;
import dev.cm4j.autodiff.optim.Optimizer;
import dev.cm4j.models.Module;
import dev.cm4j.tensor.Rng;
import dev.cm4j.tensor.Tensor;

import java.io.IOException;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Everything a training run needs to continue bit-identically, bound to the live objects it saves and restores: the
 * model's weights ({@code name.safetensors}) and, beside them, the training state ({@code name.state.safetensors}):
 * optimizer moments, step counts, learning rate and settings (betas, eps, weight decay), EMA copies, the step, the
 * seeds, streams and positions of the model's dropout generators and of any other named generators (data order,
 * noise), and the run's configuration as JSON.
 *
 * <p>Both files are written atomically; each carries the step, so a pair torn by a crash between the two writes is
 * detected. {@link #load(Path)} reads and validates both files, parses every value and checks the settings declared
 * with {@link #setConfig}, every name, shape, optimizer setting and generator identity against the live objects
 * before it changes anything: it loads all or nothing, and names the file and the problem otherwise.
 */
public final class TrainingState {
    private static final String MODEL_FORMAT = "cm4j-model";
    private static final String STATE_FORMAT = "cm4j-training-state-2";
    private static final String OPT = "optimizer/";
    private static final String EMA = "ema/";

    private final Module model;
    private final Optimizer optimizer;
    private final Map<String, Ema> emas = new LinkedHashMap<>();
    private final Map<String, Rng> rngs = new LinkedHashMap<>();
    private long step;
    private String configJson = "{}";
    /** True once {@link #setConfig} declared this run's configuration: load then requires the stored one to match. */
    private boolean configDeclared;

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
     * The run's configuration as a JSON document: the one declared by {@link #setConfig}, or after a {@link #load}
     * without a declaration the one stored in the file ("{}" before either).
     */
    public String config() {
        return configJson;
    }

    /**
     * Declares this run's configuration (settings) as a JSON document. {@link #save} stores it verbatim, and
     * {@link #load} refuses a state file whose stored configuration differs from it (compared as JSON values, so
     * spacing and key order do not matter) or that stores none: a run resumed with other settings would silently be
     * another run. Without a declaration, load accepts any stored configuration and {@link #config()} returns it.
     *
     * @throws IllegalArgumentException if {@code json} is not valid JSON
     */
    public TrainingState setConfig(String json) {
        try {
            SafeTensors.json().readTree(json);
        } catch (JsonProcessingException e) {
            throw new IllegalArgumentException("TrainingState: config is not valid JSON: " + e.getOriginalMessage());
        }
        this.configJson = json;
        this.configDeclared = true;
        return this;
    }

    /** {@code dir/run.safetensors} -> {@code dir/run.state.safetensors}. */
    public static Path statePath(Path modelFile) {
        String name = modelFile.getFileName().toString();
        String base = name.endsWith(".safetensors") ? name.substring(0, name.length() - ".safetensors".length())
                : name;
        return modelFile.resolveSibling(base + ".state.safetensors");
    }

    // ---------------------------------------------------------------- save

    /** Writes the training state, then the weights, each atomically. */
    public void save(Path modelFile) throws IOException {
        ObjectMapper json = SafeTensors.json();
        Map<String, Tensor> tensors = new LinkedHashMap<>();
        Map<String, String> meta = new LinkedHashMap<>();
        meta.put("format", STATE_FORMAT);
        meta.put("step", Long.toString(step));
        meta.put("config", configJson);
        if (optimizer != null) {
            optimizer.stateTensors().forEach((k, t) -> tensors.put(OPT + k, t));
            meta.put("optimizer", optimizer.getClass().getSimpleName());
            meta.put("optimizer_lr", Double.toString(optimizer.lr()));
            meta.put("optimizer_settings", json.writeValueAsString(optimizer.settings()));
            meta.put("optimizer_steps", json.writeValueAsString(optimizer.stepCounts()));
        }
        emas.forEach((name, ema) -> ema.shadow().forEach((k, t) -> tensors.put(EMA + name + "/" + k, t)));
        meta.put("emas", json.writeValueAsString(emas.keySet()));
        meta.put("model_rngs", json.writeValueAsString(model.rngPositions()));
        ObjectNode dropout = json.createObjectNode();
        model.rngs().forEach((path, r) -> dropout.putObject(path).put("seed", r.seed()).put("stream", r.stream()));
        meta.put("model_rng_ids", json.writeValueAsString(dropout));
        ObjectNode gens = json.createObjectNode();
        rngs.forEach((name, r) -> gens.putObject(name).put("seed", r.seed()).put("stream", r.stream())
                .put("position", r.position()));
        meta.put("rngs", json.writeValueAsString(gens));
        SafeTensors.write(statePath(modelFile), tensors, meta);
        SafeTensors.write(modelFile, model.stateDict(), Map.of("format", MODEL_FORMAT, "step", Long.toString(step)));
    }

    // ---------------------------------------------------------------- load

    /** Restores everything saved by {@link #save(Path)} into the live objects, all or nothing. */
    public void load(Path modelFile) throws IOException {
        Path stateFile = statePath(modelFile);
        SafeTensors.Contents weights = SafeTensors.read(modelFile);
        SafeTensors.Contents state = SafeTensors.read(stateFile);
        ObjectMapper json = SafeTensors.json();

        // 1. formats and the pairing of the two files
        require(modelFile, MODEL_FORMAT.equals(weights.metadata().get("format")),
                "not a cm4j model checkpoint (format " + weights.metadata().get("format") + ")");
        Map<String, String> meta = state.metadata();
        require(stateFile, STATE_FORMAT.equals(meta.get("format")),
                "not a cm4j training state of this version (format " + meta.get("format") + ", expected "
                        + STATE_FORMAT + ")");
        long savedStep = parseLong(stateFile, meta, "step");
        require(modelFile, Long.toString(savedStep).equals(weights.metadata().get("step")), "weights are from step "
                + weights.metadata().get("step") + " but the training state " + stateFile.getFileName()
                + " is from step " + savedStep + " (a save was interrupted between the two files)");
        String config = checkConfig(stateFile, meta);

        try {
            model.checkLoadable(weights.tensors(), modelFile.toString());
        } catch (IllegalArgumentException e) {
            throw new CheckpointFormatException(modelFile, e.getMessage(), e);
        }

        // 2. split the state tensors by owner
        Map<String, Tensor> optTensors = new LinkedHashMap<>();
        Map<String, Map<String, Tensor>> emaTensors = new LinkedHashMap<>();
        for (String name : emas.keySet()) {
            emaTensors.put(name, new LinkedHashMap<>());
        }
        for (Map.Entry<String, Tensor> e : state.tensors().entrySet()) {
            String k = e.getKey();
            if (k.startsWith(OPT)) {
                optTensors.put(k.substring(OPT.length()), e.getValue());
            } else if (k.startsWith(EMA) && k.indexOf('/', EMA.length()) > 0) {
                int slash = k.indexOf('/', EMA.length());
                Map<String, Tensor> target = emaTensors.get(k.substring(EMA.length(), slash));
                require(stateFile, target != null, "tensor '" + k + "' belongs to an EMA that is not tracked "
                        + emas.keySet());
                target.put(k.substring(slash + 1), e.getValue());
            } else {
                throw new CheckpointFormatException(stateFile, "unexpected tensor '" + k + "'");
            }
        }
        JsonNode savedEmas = parseJson(stateFile, meta, "emas");
        require(stateFile, savedEmas.size() == emas.size(), "holds EMAs " + savedEmas + " but " + emas.keySet()
                + " are tracked");
        for (JsonNode n : savedEmas) {
            require(stateFile, emas.containsKey(n.asText()), "holds EMAs " + savedEmas + " but " + emas.keySet()
                    + " are tracked");
        }

        // 3. every other check against the live objects, before anything changes
        Map<String, Long> optSteps = new LinkedHashMap<>();
        Map<String, Long> modelRngs = new LinkedHashMap<>();
        double lr = optimizer == null ? 0 : parseLr(stateFile, meta);
        try {
            if (optimizer != null) {
                require(stateFile, optimizer.getClass().getSimpleName().equals(meta.get("optimizer")),
                        "optimizer state is for " + meta.get("optimizer") + ", not "
                                + optimizer.getClass().getSimpleName());
                checkSettings(stateFile, parseJson(stateFile, meta, "optimizer_settings"), optimizer.settings());
                parseJson(stateFile, meta, "optimizer_steps").properties()
                        .forEach(e -> optSteps.put(e.getKey(), e.getValue().asLong(-1)));
                optimizer.checkState(optTensors, optSteps);
            } else {
                require(stateFile, optTensors.isEmpty(), "holds optimizer state but no optimizer is given");
            }
            for (Map.Entry<String, Ema> e : emas.entrySet()) {
                e.getValue().checkLoadable(emaTensors.get(e.getKey()));
            }
            parseJson(stateFile, meta, "model_rngs").properties()
                    .forEach(e -> modelRngs.put(e.getKey(), e.getValue().asLong(-1)));
            model.checkRngPositions(modelRngs);
        } catch (IllegalArgumentException e) {
            throw new CheckpointFormatException(stateFile, e.getMessage(), e);
        }
        JsonNode dropoutIds = parseJson(stateFile, meta, "model_rng_ids");
        require(stateFile, dropoutIds.size() == model.rngs().size(), "holds " + dropoutIds.size()
                + " dropout generators but the model has " + model.rngs().keySet());
        for (Map.Entry<String, Rng> e : model.rngs().entrySet()) {
            checkIdentity(stateFile, "dropout generator '" + e.getKey() + "'", dropoutIds.get(e.getKey()), e.getValue());
        }
        JsonNode gens = parseJson(stateFile, meta, "rngs");
        require(stateFile, gens.size() == rngs.size(), "holds " + gens.size() + " generators"
                + " but " + rngs.keySet() + " are tracked");
        Map<String, Long> rngPositions = new LinkedHashMap<>();
        for (Map.Entry<String, Rng> e : rngs.entrySet()) {
            JsonNode g = gens.get(e.getKey());
            require(stateFile, g != null && g.path("position").canConvertToLong() && g.path("position").asLong() >= 0,
                    "generator '" + e.getKey() + "' is missing or has no valid position");
            checkIdentity(stateFile, "generator '" + e.getKey() + "'", g, e.getValue());
            rngPositions.put(e.getKey(), g.get("position").asLong());
        }

        // 4. apply: nothing below can fail on content
        model.load(weights.tensors(), modelFile.toString());
        if (optimizer != null) {
            optimizer.loadState(optTensors, optSteps);
            optimizer.setLr(lr);
        }
        emas.forEach((name, ema) -> ema.load(emaTensors.get(name)));
        model.setRngPositions(modelRngs);
        rngPositions.forEach((name, pos) -> rngs.get(name).setPosition(pos));
        step = savedStep;
        configJson = config;
    }

    /**
     * The stored configuration, which must be valid JSON and, when {@link #setConfig} declared this run's, equal to
     * it as a JSON value; returns it verbatim ("{}" for an undeclared run and a file without one).
     */
    private String checkConfig(Path stateFile, Map<String, String> meta) throws IOException {
        if (!configDeclared) {
            if (meta.containsKey("config")) {
                parseJson(stateFile, meta, "config");
            }
            return meta.getOrDefault("config", "{}");
        }
        require(stateFile, meta.containsKey("config"), "stores no settings (metadata 'config') to check against"
                + " this run's " + configJson);
        JsonNode saved = parseJson(stateFile, meta, "config");
        require(stateFile, saved.equals(SafeTensors.json().readTree(configJson)), "was written with settings "
                + meta.get("config") + ", not this run's " + configJson);
        return meta.get("config");
    }

    /** The saved learning rate, checked as {@link Optimizer#setLr} would check it. */
    private static double parseLr(Path file, Map<String, String> meta) throws CheckpointFormatException {
        String s = meta.get("optimizer_lr");
        require(file, s != null, "metadata 'optimizer_lr' is missing");
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

    private static void require(Path file, boolean ok, String problem) throws CheckpointFormatException {
        if (!ok) {
            throw new CheckpointFormatException(file, problem);
        }
    }

    private static long parseLong(Path file, Map<String, String> meta, String key) throws CheckpointFormatException {
        try {
            long v = Long.parseLong(meta.getOrDefault(key, ""));
            require(file, v >= 0, "metadata '" + key + "' is negative");
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
