package dev.cm4j.consistency.model;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.cm4j.consistency.KarrasSchedule;
import dev.cm4j.models.io.CheckpointIdentity;
import dev.cm4j.models.io.CheckpointMismatchException;
import dev.cm4j.models.io.SafeTensors;
import dev.cm4j.models.io.TrainingState;
import dev.cm4j.models.unet.UNet;
import dev.cm4j.tensor.Rng;
import dev.cm4j.tensor.Tensor;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * The weights of a U-Net checkpoint written by cm4j's image trainers (the {@code cm4j} image commands, or any
 * trainer whose run records the setting {@value #UNET_SETTING}), read for sampling, editing or as a distillation
 * teacher: its role ({@code teacher}, {@code cd}, {@code ct}, {@code ict}), the U-Net it holds (recorded as the setting
 * {@value #UNET_SETTING}, a JSON form of {@link UNet.Config}), its step, and its weights and evaluation EMA.
 *
 * <p>The file is verified before anything is used ({@link TrainingState#contentHash(Path)}: layout and every
 * checksum); a checkpoint of another role, or without a U-Net the commands wrote, is refused naming the file, what it
 * is and what was needed.
 *
 * @param file the checkpoint
 * @param role the trainer that wrote it
 * @param config its network
 * @param architecture the network's architecture as recorded (its class, config and c_noise encoding)
 * @param step the steps it was trained
 * @param weights the live weights
 * @param ema the evaluation EMA of the weights
 */
public record ImageCheckpoint(Path file, String role, UNet.Config config, String architecture, long step,
                       Map<String, Tensor> weights, Map<String, Tensor> ema) {
    /** The identity setting that holds the network's configuration. */
    public static final String UNET_SETTING = "unet";
    /** The roles of consistency models, whose preconditioning has epsilon = sigmaMin. */
    public static final List<String> CONSISTENCY_ROLES = List.of("cd", "ct", "ict", "ect");
    private static final ObjectMapper JSON = new ObjectMapper();

    /** Every role an image checkpoint can have: the EDM teacher and the consistency models. */
    public static final List<String> ALL_ROLES = List.of("teacher", "cd", "ct", "ict", "ect");

    /** The form {@link #UNET_SETTING} records a configuration in. */
    public static String json(UNet.Config c) {
        try {
            return JSON.writeValueAsString(c);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException("cannot write the U-Net configuration " + c, e);
        }
    }

    /**
     * Reads and verifies {@code file}; {@code option} names where it was given, for the messages ("--teacher",
     * "ConsistencyModel.load"), {@code roles} the roles accepted.
     *
     * @throws NoSuchFileException if the file is missing or not a regular file
     * @throws CheckpointMismatchException naming the file if it is damaged, of another role, or holds no U-Net
     *     configuration that matches its recorded network
     */
    public static ImageCheckpoint read(Path file, String option, List<String> roles) throws IOException {
        if (!Files.isRegularFile(file)) {
            throw new NoSuchFileException(file.toString(), null, Files.exists(file) ? "not a checkpoint file"
                    : "no such file (" + option + ")");
        }
        TrainingState.contentHash(file); // the checksums: damage is named before anything is read from it
        SafeTensors.Contents c = SafeTensors.read(file);
        Map<String, String> meta = c.metadata();
        String role = meta.getOrDefault("role", "");
        if (!roles.contains(role)) {
            throw new CheckpointMismatchException(file, "is a checkpoint of role '" + role + "'; " + option
                    + " needs one of role " + String.join(" or ", roles.stream().map(r -> "'" + r + "'").toList())
                    + " (" + describe(roles) + ")");
        }
        Map<String, String> settings = new TreeMap<>();
        try {
            JSON.readTree(meta.getOrDefault("settings", "{}")).properties()
                    .forEach(e -> settings.put(e.getKey(), e.getValue().asText()));
        } catch (JsonProcessingException e) {
            throw new CheckpointMismatchException(file, "its settings are not JSON: " + e.getOriginalMessage(), e);
        }
        String unet = settings.get(UNET_SETTING);
        if (unet == null) {
            throw new CheckpointMismatchException(file, "was not written by a cm4j image command (it records no '"
                    + UNET_SETTING + "' setting; its network is " + meta.get("config") + ")");
        }
        UNet.Config config;
        try {
            config = JSON.readValue(unet, UNet.Config.class);
        } catch (JsonProcessingException | IllegalArgumentException e) {
            throw new CheckpointMismatchException(file, "its U-Net setting cannot be read (" + e.getMessage() + ")", e);
        }
        String architecture = meta.getOrDefault("config", "");
        String expected = new UNetNet(new UNet(config, new Rng(0))).architecture();
        if (!architecture.equals(expected)) {
            throw new CheckpointMismatchException(file, "records the network " + architecture + " but its U-Net "
                    + "setting describes " + expected);
        }
        Map<String, Tensor> weights = new TreeMap<>();
        Map<String, Tensor> ema = new TreeMap<>();
        c.tensors().forEach((k, t) -> {
            if (k.startsWith("model/")) {
                weights.put(k.substring("model/".length()), t);
            } else if (k.startsWith("ema/eval/")) {
                ema.put(k.substring("ema/eval/".length()), t);
            }
        });
        long step = Long.parseLong(meta.getOrDefault("step", "0"));
        return new ImageCheckpoint(file, role, config, architecture, step, weights, ema.isEmpty() ? weights : ema);
    }

    /**
     * Writes the weights of {@code net} as a checkpoint of {@code role} that {@link #read} accepts: the U-Net
     * configuration as the setting {@value #UNET_SETTING}, the architecture, {@code step}, and checksums; no optimiser
     * state and no EMA (the weights are the ones to sample with). The previous file, if any, is kept as {@code X.prev}.
     *
     * @throws IllegalArgumentException if the role is not one of {@link #ALL_ROLES}
     * @throws IllegalStateException if a weight is NaN or infinite (nothing is written)
     */
    public static void write(Path file, String role, UNet net, long step) throws IOException {
        if (!ALL_ROLES.contains(role)) {
            throw new IllegalArgumentException("ImageCheckpoint.write: " + file + ": role '" + role + "' is not one of "
                    + ALL_ROLES);
        }
        String architecture = new UNetNet(net).architecture();
        new TrainingState(net, null)
                .identity(CheckpointIdentity.of(role, architecture).withSetting(UNET_SETTING, json(net.config())))
                .setStep(step)
                .save(file);
    }

    private static String describe(List<String> roles) {
        return roles.equals(List.of("teacher")) ? "an EDM teacher written by cm4j train-teacher"
                : "a checkpoint written by cm4j train-teacher, distill, train-ict, train-ct or train-ect";
    }

    /** Whether this is a consistency model (else an EDM teacher). */
    public boolean consistency() {
        return CONSISTENCY_ROLES.contains(role);
    }

    /**
     * The network with the EMA weights (or the live ones), in eval mode, under its preconditioning: EDM for a
     * teacher, the consistency form (epsilon = the grid's sigmaMin) otherwise. An ECT model trains in the teacher's
     * epsilon-free scalings and is sampled in the shifted ones, as its released sampler does; the two differ in c_skip
     * and c_out by O(sigmaMin / sigma).
     *
     * @param useEma the evaluation EMA of the weights (else the live weights)
     * @param withDropout the dropout of the returned network (the weights do not depend on it)
     * @param rng initialises the network before the weights replace its parameters
     */
    public Preconditioned model(boolean useEma, float withDropout, Rng rng) throws CheckpointMismatchException {
        UNet net = new UNet(config.withDropout(withDropout), rng);
        try {
            net.load(useEma ? ema : weights, file.toString());
        } catch (IllegalArgumentException e) {
            throw new CheckpointMismatchException(file, e.getMessage(), e);
        }
        net.eval();
        Preconditioning p = consistency() ? Preconditioning.consistency(0.5, KarrasSchedule.DEFAULT.sigmaMin())
                : Preconditioning.edm(0.5);
        return new Preconditioned(new UNetNet(net), p);
    }
}
