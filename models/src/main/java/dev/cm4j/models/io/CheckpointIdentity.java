package dev.cm4j.models.io;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.TreeMap;
import java.util.TreeSet;

/**
 * What a checkpoint is and where it came from; {@link TrainingState#load} refuses a checkpoint whose identity differs
 * from the one the run declares, naming every difference with both values.
 *
 * @param role     what the model is for, e.g. "teacher", "cd", "ict" (compared exactly)
 * @param config   the architecture, e.g. a model's config record or a JSON document (JSON documents are compared as
 *                 JSON values, so spacing and key order do not matter; other text exactly)
 * @param settings every other setting that shapes the result (data set and its fingerprint, noise scale, seeds,
 *                 sizes, schedule), by name; each is compared exactly, and a setting recorded on one side only differs
 * @param parent   the {@link TrainingState#contentHash content hash} of the weights this run was initialised from
 *                 (the teacher a student was distilled from), or "" for none
 */
public record CheckpointIdentity(String role, String config, Map<String, String> settings, String parent) {
    /** An identity with no role, no architecture, no settings and no parent (what an undeclared run records). */
    public static final CheckpointIdentity NONE = new CheckpointIdentity("", "", Map.of(), "");

    public CheckpointIdentity {
        Objects.requireNonNull(role, "CheckpointIdentity: role is null");
        Objects.requireNonNull(config, "CheckpointIdentity: config is null");
        Objects.requireNonNull(settings, "CheckpointIdentity: settings is null");
        Objects.requireNonNull(parent, "CheckpointIdentity: parent is null");
        settings.forEach((k, v) -> {
            if (k == null || v == null) {
                throw new IllegalArgumentException("CheckpointIdentity: setting " + k + " = " + v + " has a null");
            }
        });
        settings = Collections.unmodifiableMap(new TreeMap<>(settings));
    }

    /** A role and an architecture, no settings, no parent. */
    public static CheckpointIdentity of(String role, String config) {
        return new CheckpointIdentity(role, config, Map.of(), "");
    }

    /** This identity with one more setting (or the setting replaced). */
    public CheckpointIdentity withSetting(String name, String value) {
        Map<String, String> s = new TreeMap<>(settings);
        s.put(name, value);
        return new CheckpointIdentity(role, config, s, parent);
    }

    /** This identity with the given settings added (replacing those of the same name). */
    public CheckpointIdentity withSettings(Map<String, String> more) {
        Map<String, String> s = new TreeMap<>(settings);
        s.putAll(more);
        return new CheckpointIdentity(role, config, s, parent);
    }

    /** This identity with another parent hash. */
    public CheckpointIdentity withParent(String parentHash) {
        return new CheckpointIdentity(role, config, settings, parentHash);
    }

    /**
     * Every difference between a checkpoint's identity ({@code saved}) and this run's, one line each:
     * {@code role: saved 'cd', this run 'teacher'}. Empty when they agree.
     */
    public List<String> differences(CheckpointIdentity saved) {
        List<String> out = new ArrayList<>();
        if (!role.equals(saved.role)) {
            out.add("role: saved '" + saved.role + "', this run '" + role + "'");
        }
        if (!sameConfig(config, saved.config)) {
            out.add("config: saved '" + saved.config + "', this run '" + config + "'");
        }
        for (String k : new TreeSet<>(union(settings.keySet(), saved.settings.keySet()))) {
            String a = saved.settings.get(k), b = settings.get(k);
            if (!Objects.equals(a, b)) {
                out.add("setting '" + k + "': saved " + quote(a) + ", this run " + quote(b));
            }
        }
        if (!parent.equals(saved.parent)) {
            out.add("parent: saved " + quote(saved.parent.isEmpty() ? null : saved.parent) + ", this run "
                    + quote(parent.isEmpty() ? null : parent));
        }
        return out;
    }

    private static TreeSet<String> union(java.util.Set<String> a, java.util.Set<String> b) {
        TreeSet<String> u = new TreeSet<>(a);
        u.addAll(b);
        return u;
    }

    private static String quote(String s) {
        return s == null ? "(none)" : "'" + s + "'";
    }

    /** Equal as JSON values when both are JSON objects or arrays, else equal as text. */
    private static boolean sameConfig(String a, String b) {
        if (a.equals(b)) {
            return true;
        }
        String ta = a.strip(), tb = b.strip();
        if ((ta.startsWith("{") || ta.startsWith("[")) && (tb.startsWith("{") || tb.startsWith("["))) {
            try {
                JsonNode ja = SafeTensors.json().readTree(a), jb = SafeTensors.json().readTree(b);
                return ja != null && ja.equals(jb);
            } catch (JsonProcessingException e) {
                return false;
            }
        }
        return false;
    }
}
