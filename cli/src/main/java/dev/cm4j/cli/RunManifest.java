package dev.cm4j.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import dev.cm4j.consistency.train.Trainer;
import dev.cm4j.models.io.AtomicFiles;
import dev.cm4j.models.io.CheckpointIdentity;
import dev.cm4j.models.io.TrainingState;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * The human-readable record of a run in its output directory, {@code manifest.json}: the cm4j version, the command
 * and every option that shapes the result, the data's fingerprint, and per phase its checkpoint, the steps trained and
 * loaded, the content hashes of the final weights and of their EMA, and the identity the checkpoint records (role, architecture,
 * settings, parent). Written atomically with sorted keys after every phase, so identical runs write identical
 * manifests apart from the steps a resume loaded.
 *
 * <p>A resumed run compares its options with the manifest's first and refuses, naming each differing option with both
 * values, before any checkpoint is read (the checkpoints check their own identity as well).
 */
final class RunManifest {
    /** Options that change only the evaluation, not what the checkpoints hold: a resume may change them. */
    private static final List<String> EVALUATION_ONLY = List.of("samples");
    private static final ObjectMapper JSON = new ObjectMapper().enable(SerializationFeature.ORDER_MAP_ENTRIES_BY_KEYS)
            .enable(SerializationFeature.INDENT_OUTPUT);

    private final Path file;
    private final Map<String, Object> root = new TreeMap<>();
    private final Map<String, Object> phases = new TreeMap<>();

    RunManifest(Path dir, String command, Map<String, Object> options, String dataFingerprint) {
        this.file = dir.resolve("manifest.json");
        root.put("cm4j_version", TrainingState.cm4jVersion());
        root.put("command", command);
        root.put("options", new TreeMap<>(options));
        root.put("data_fingerprint", dataFingerprint);
        root.put("status", "running");
        root.put("phases", phases);
    }

    Path file() {
        return file;
    }

    /**
     * For a resume: the options recorded by the run that wrote the directory must be this run's, except those that
     * only change the evaluation. A directory without a manifest passes (its checkpoints still check themselves).
     *
     * @throws IllegalArgumentException naming each differing option with the recorded and the given value
     */
    void checkResume() throws IOException {
        if (!Files.exists(file)) {
            return;
        }
        JsonNode saved;
        try {
            saved = JSON.readTree(file.toFile());
        } catch (IOException e) {
            throw new IOException(file + ": not a readable run manifest (" + e.getMessage() + ")", e);
        }
        // the phases already recorded stay until they are recorded again, so a resume that fails keeps them
        JsonNode savedPhases = saved.path("phases");
        savedPhases.fieldNames().forEachRemaining(n -> phases.put(n, JSON.convertValue(savedPhases.get(n),
                Map.class)));
        JsonNode savedOptions = saved.path("options");
        // through text, as the saved one was read, so numbers compare by value and not by Java type
        JsonNode now = JSON.readTree(JSON.writeValueAsString(root.get("options")));
        List<String> differences = new ArrayList<>();
        TreeMap<String, Boolean> names = new TreeMap<>();
        savedOptions.fieldNames().forEachRemaining(n -> names.put(n, true));
        now.fieldNames().forEachRemaining(n -> names.put(n, true));
        for (String name : names.keySet()) {
            if (EVALUATION_ONLY.contains(name) || savedOptions.path(name).equals(now.path(name))) {
                continue;
            }
            differences.add("--" + name.replace('_', '-') + ": the run in this directory used "
                    + show(savedOptions.get(name)) + ", this run " + show(now.get(name)));
        }
        if (!differences.isEmpty()) {
            throw new IllegalArgumentException("--resume: " + file + " records another run; " + String.join("; ",
                    differences) + ". Resume with the same options, or use another --out");
        }
    }

    private static String show(JsonNode v) {
        return v == null || v.isMissingNode() ? "(none)" : v.toString();
    }

    /** Records a finished phase: its checkpoint, steps, the content hash of its weights and its identity. */
    void phase(Trainer trainer, Path checkpoint, long steps, long loaded) throws IOException {
        Map<String, Object> p = new TreeMap<>();
        p.put("checkpoint", checkpoint.getFileName().toString());
        p.put("steps", steps);
        p.put("steps_loaded", loaded);
        p.put("steps_trained", steps - loaded);
        p.put("content_hash", TrainingState.contentHash(trainer.model().net().module().stateDict()));
        // the weights a later phase starts from or samples with: a distilled student names this hash as its parent
        p.put("ema_content_hash", TrainingState.contentHash(trainer.emaModel().net().module().stateDict()));
        CheckpointIdentity id = trainer.identity();
        Map<String, Object> identity = new TreeMap<>();
        identity.put("role", id.role());
        identity.put("config", id.config());
        identity.put("settings", new TreeMap<>(id.settings()));
        identity.put("parent", id.parent());
        p.put("identity", identity);
        phases.put(trainer.phase(), p);
        write();
    }

    /** Marks the run complete, naming the files it wrote. */
    void complete(List<String> outputs) throws IOException {
        root.put("status", "complete");
        root.put("outputs", List.copyOf(outputs));
        write();
    }

    void write() throws IOException {
        byte[] bytes = (JSON.writeValueAsString(root) + "\n").getBytes(java.nio.charset.StandardCharsets.UTF_8);
        AtomicFiles.write(file, ch -> {
            ByteBuffer b = ByteBuffer.wrap(bytes);
            while (b.hasRemaining()) {
                ch.write(b);
            }
        });
    }
}
