package dev.cm4j.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.Reader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.TreeMap;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Model.OptionSpec;

/**
 * The options of a command read from a file ({@code --config FILE}): a JSON object ({@code .json}) or Java properties
 * (any other name), keyed by the option's long name with or without the leading dashes ({@code "steps": 20000} or
 * {@code steps=20000}). A flag is on with {@code true} and off with {@code false}.
 *
 * <p>The file's options become arguments placed before the command line's own, so a flag given on the command line
 * overrides the file. An unknown key, a nested value or an unreadable file is an error naming the file and the key.
 */
final class ConfigFile {
    static final String OPTION = "--config";

    private ConfigFile() {
    }

    /** The file's entries in file order (properties: sorted by key), values as text. */
    static Map<String, String> read(Path file) throws IOException {
        if (!Files.isRegularFile(file)) {
            throw new NoSuchFileException(file.toString(), null, Files.exists(file) ? "not a file" : null);
        }
        Map<String, String> out = new LinkedHashMap<>();
        if (file.getFileName().toString().toLowerCase(java.util.Locale.ROOT).endsWith(".json")) {
            JsonNode root;
            try {
                root = new ObjectMapper().readTree(file.toFile());
            } catch (IOException e) {
                throw new IllegalArgumentException(OPTION + " " + file + ": not valid JSON (" + firstLine(e) + ")", e);
            }
            if (root == null || !root.isObject()) {
                throw new IllegalArgumentException(OPTION + " " + file + ": need a JSON object of option names and "
                        + "values, e.g. {\"steps\": 20000}");
            }
            for (Map.Entry<String, JsonNode> e : root.properties()) {
                JsonNode v = e.getValue();
                if (!v.isValueNode() || v.isNull()) {
                    throw new IllegalArgumentException(OPTION + " " + file + ": '" + e.getKey() + "' must be a "
                            + "number, a string or true/false, got " + v);
                }
                out.put(e.getKey(), v.asText());
            }
            return out;
        }
        Properties p = new Properties();
        try (Reader r = Files.newBufferedReader(file, StandardCharsets.UTF_8)) {
            p.load(r);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException(OPTION + " " + file + ": not a valid properties file (" + e.getMessage()
                    + ")", e);
        }
        new TreeMap<>(p).forEach((k, v) -> out.put(k.toString(), v.toString().strip()));
        return out;
    }

    private static String firstLine(IOException e) {
        String m = String.valueOf(e.getMessage());
        int nl = m.indexOf('\n');
        return nl < 0 ? m : m.substring(0, nl);
    }

    /**
     * The arguments of {@code command} with the file's options in front: {@code --name=value} for each entry, a
     * flag's bare name for {@code true} and nothing for {@code false}.
     *
     * @throws IllegalArgumentException naming the file and the key that is not an option of the command, or a flag
     *                                  whose value is not true or false
     */
    static List<String> arguments(Path file, CommandSpec command) throws IOException {
        List<String> args = new ArrayList<>();
        for (Map.Entry<String, String> e : read(file).entrySet()) {
            String key = e.getKey().startsWith("--") ? e.getKey() : "--" + e.getKey();
            OptionSpec option = command.findOption(key);
            if (option == null || key.equals(OPTION) || option.usageHelp() || option.versionHelp()) {
                throw new IllegalArgumentException(OPTION + " " + file + ": '" + e.getKey() + "' is not an option of "
                        + "cm4j " + command.name() + " (see cm4j " + command.name() + " --help)");
            }
            String value = e.getValue();
            if (option.arity().max() == 0) {
                if (!value.equals("true") && !value.equals("false")) {
                    throw new IllegalArgumentException(OPTION + " " + file + ": '" + e.getKey() + "' is a flag; give"
                            + " true or false, got '" + value + "'");
                }
                if (value.equals("true")) {
                    args.add(option.longestName());
                }
            } else {
                args.add(option.longestName() + "=" + value);
            }
        }
        return args;
    }

    /**
     * The command line with {@code --config FILE} replaced by the file's options, which go right after the
     * subcommand's name so that the command line's own flags override them.
     *
     * @param original the arguments as given
     * @param subcommandIndex where the subcommand's name is in {@code original}
     */
    static String[] expand(String[] original, int subcommandIndex, Path file, CommandSpec command) throws IOException {
        List<String> out = new ArrayList<>(List.of(original).subList(0, subcommandIndex + 1));
        out.addAll(arguments(file, command));
        for (int i = subcommandIndex + 1; i < original.length; i++) {
            String a = original[i];
            if (a.equals(OPTION)) {
                i++; // and its value
            } else if (!a.startsWith(OPTION + "=")) {
                out.add(a);
            }
        }
        return out.toArray(new String[0]);
    }
}
