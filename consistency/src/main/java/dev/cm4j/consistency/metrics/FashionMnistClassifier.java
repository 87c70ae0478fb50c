package dev.cm4j.consistency.metrics;

import dev.cm4j.models.io.CheckpointFormatException;
import dev.cm4j.models.io.SafeTensors;
import dev.cm4j.models.io.TensorChecks;
import dev.cm4j.tensor.Tensor;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.Map;
import java.util.TreeMap;

/**
 * The committed weights of the evaluator's {@link FeatureClassifier}: a safetensors resource of this module, trained
 * by {@link ClassifierTraining#defaults()} on the Fashion-MNIST training set. {@code cm4j eval train-classifier}
 * retrains them bit for bit (docs/RESULTS.md#fashion-mnist-evaluator).
 *
 * <p>The file's metadata name the model ({@value #MODEL}), its width and training settings, and its test accuracy; the
 * weights must hash to {@link #SHA256} ({@link TensorChecks#sha256}), so a changed or damaged file is refused
 * rather than producing other feature distances under the same name.
 */
public final class FashionMnistClassifier {
    /** The resource, next to this class. */
    public static final String RESOURCE = "fashion-mnist-classifier.safetensors";
    /** The metadata value of {@code model} that identifies these weights. */
    public static final String MODEL = "cm4j-fashion-mnist-classifier";
    /** SHA-256 of the committed weights ({@link TensorChecks#sha256} of the state dict). */
    public static final String SHA256 = "eb3259fdaaf8ac6d8f24f5739a3e26bdd8a56ca5175475e0404eccb7516ed029";

    private FashionMnistClassifier() {
    }

    /**
     * The committed classifier, its identity and checksum verified.
     *
     * @throws CheckpointFormatException if the resource is missing, damaged, of another model or width, or its
     *     weights do not hash to {@link #SHA256}
     */
    public static FeatureClassifier load() throws IOException {
        Path tmp = Files.createTempFile("cm4j-classifier", ".safetensors");
        try {
            try (InputStream in = FashionMnistClassifier.class.getResourceAsStream(RESOURCE)) {
                if (in == null) {
                    throw new CheckpointFormatException(Path.of(RESOURCE), "the classifier's weights are not on the "
                            + "class path (a resource of cm4j-consistency next to " + FashionMnistClassifier.class
                            .getName() + ")");
                }
                Files.copy(in, tmp, StandardCopyOption.REPLACE_EXISTING);
            }
            return load(tmp, Path.of(RESOURCE), SHA256);
        } finally {
            Files.deleteIfExists(tmp);
        }
    }

    /**
     * A classifier saved by {@link #save}: checks the model name and, when {@code sha256} is not empty, the hash of
     * the weights. {@code name} names the file in errors.
     */
    static FeatureClassifier load(Path file, Path name, String sha256) throws IOException {
        SafeTensors.Contents c = SafeTensors.read(file);
        Map<String, String> meta = c.metadata();
        if (!MODEL.equals(meta.get("model"))) {
            throw new CheckpointFormatException(name, "model '" + meta.get("model") + "', expected '" + MODEL + "'");
        }
        int width;
        try {
            width = Integer.parseInt(meta.getOrDefault("width", ""));
        } catch (NumberFormatException e) {
            throw new CheckpointFormatException(name, "metadata 'width' is '" + meta.get("width")
                    + "', not an integer");
        }
        String actual = TensorChecks.sha256(c.tensors());
        if (!sha256.isEmpty() && !sha256.equals(actual)) {
            throw new CheckpointFormatException(name, "weights hash to " + actual + ", expected " + sha256
                    + " (damaged, or not the committed classifier)");
        }
        FeatureClassifier model;
        try {
            model = new FeatureClassifier(width, new dev.cm4j.tensor.Rng(0));
            model.load(c.tensors(), name.toString());
        } catch (IllegalArgumentException e) {
            throw new CheckpointFormatException(name, e.getMessage(), e);
        }
        return model;
    }

    /**
     * Writes {@code model}'s weights with the metadata that {@link #load()} checks: the model name, the training
     * settings, the test accuracy and the weights' SHA-256.
     */
    public static String save(Path file, FeatureClassifier model, ClassifierTraining settings, double testAccuracy)
            throws IOException {
        Map<String, Tensor> state = model.stateDict();
        String sha = TensorChecks.sha256(state);
        Map<String, String> meta = new TreeMap<>(settings.describe());
        meta.put("model", MODEL);
        meta.put("width", Integer.toString(model.width()));
        meta.put("test_accuracy", String.format(java.util.Locale.ROOT, "%.4f", testAccuracy));
        meta.put("sha256", sha);
        SafeTensors.write(file, state, meta);
        return sha;
    }
}
