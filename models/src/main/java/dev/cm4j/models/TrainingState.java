package dev.cm4j.models;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.cm4j.autodiff.optim.Ema;
import dev.cm4j.autodiff.optim.Optimizer;
import dev.cm4j.tensor.Rng;
import dev.cm4j.tensor.Tensor;

import java.io.IOException;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Everything a training run needs to continue bit-identically, bound to the live objects it saves and restores: the
 * model's weights ({@code name.safetensors}) and, beside them, the training state ({@code name.state.safetensors}):
 * optimizer moments and step counts, EMA copies, the step, the positions of the model's dropout generators and of
 * any other named generators (data order, noise), and the run's configuration as JSON.
 *
 * <p>Both files are written atomically; each carries the step, so a pair torn by a crash between the two writes is
 * detected. {@link #load(Path)} reads and validates both files and checks every name and shape against the live
 * objects before it changes anything: it loads all or nothing, and names the file and the problem otherwise.
 */
public final class TrainingState {
    private static final String MODEL_FORMAT = "cm4j-model";
    private static final String STATE_FORMAT = "cm4j-training-state-1";
    private static final String OPT = "optimizer/";
    private static final String EMA = "ema/";

    private final Module model;
    private final Optimizer optimizer;
    private final Map<String, Ema> emas = new LinkedHashMap<>();
    private final Map<String, Rng> rngs = new LinkedHashMap<>();
    private long step;
    private String configJson = "{}";

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

    /** The run's configuration as a JSON document (stored verbatim, returned after a load). */
    public String config() {
        return configJson;
    }

    public TrainingState setConfig(String json) {
        try {
            SafeTensors.json().readTree(json);
        } catch (JsonProcessingException e) {
            throw new IllegalArgumentException("TrainingState: config is not valid JSON: " + e.getOriginalMessage());
        }
        this.configJson = json;
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
            meta.put("optimizer_steps", json.writeValueAsString(optimizer.stepCounts()));
        }
        emas.forEach((name, ema) -> ema.shadow().forEach((k, t) -> tensors.put(EMA + name + "/" + k, t)));
        meta.put("emas", json.writeValueAsString(emas.keySet()));
        meta.put("model_rngs", json.writeValueAsString(model.rngPositions()));
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
                "not a cm4j training state (format " + meta.get("format") + ")");
        long savedStep = parseLong(stateFile, meta, "step");
        require(modelFile, Long.toString(savedStep).equals(weights.metadata().get("step")), "weights are from step "
                + weights.metadata().get("step") + " but the training state " + stateFile.getFileName()
                + " is from step " + savedStep + " (a save was interrupted between the two files)");

        try {
            model.checkLoadable(weights.tensors());
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
        try {
            if (optimizer != null) {
                require(stateFile, optimizer.getClass().getSimpleName().equals(meta.get("optimizer")),
                        "optimizer state is for " + meta.get("optimizer") + ", not "
                                + optimizer.getClass().getSimpleName());
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
        JsonNode gens = parseJson(stateFile, meta, "rngs");
        require(stateFile, gens.size() == rngs.size(), "holds " + gens.size() + " generators"
                + " but " + rngs.keySet() + " are tracked");
        Map<String, Long> rngPositions = new LinkedHashMap<>();
        for (Map.Entry<String, Rng> e : rngs.entrySet()) {
            JsonNode g = gens.get(e.getKey());
            require(stateFile, g != null && g.path("position").canConvertToLong() && g.path("position").asLong() >= 0,
                    "generator '" + e.getKey() + "' is missing or has no valid position");
            require(stateFile, g.path("seed").asLong() == e.getValue().seed()
                    && g.path("stream").asLong() == e.getValue().stream(), "generator '" + e.getKey()
                    + "' was saved with seed " + g.path("seed") + " stream " + g.path("stream") + " but runs with seed "
                    + e.getValue().seed() + " stream " + e.getValue().stream());
            rngPositions.put(e.getKey(), g.get("position").asLong());
        }

        // 4. apply: nothing below can fail on content
        model.load(weights.tensors());
        if (optimizer != null) {
            optimizer.loadState(optTensors, optSteps);
            optimizer.setLr(Double.parseDouble(meta.getOrDefault("optimizer_lr", Double.toString(optimizer.lr()))));
        }
        emas.forEach((name, ema) -> ema.load(emaTensors.get(name)));
        model.setRngPositions(modelRngs);
        rngPositions.forEach((name, pos) -> rngs.get(name).setPosition(pos));
        step = savedStep;
        configJson = meta.getOrDefault("config", "{}");
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
