package dev.cm4j.cli;

import dev.cm4j.consistency.train.ImprovedConsistencyTraining.Target;
import java.util.Locale;
import java.util.Map;
import picocli.CommandLine.Option;

/**
 * The target options of {@code train-ict} and {@code train-ect}: which estimate of the clean image the target input is
 * built from ({@code sample}, the paper's; {@code batch}, the batch's self-normalised estimate of E[x0 | x_t] within
 * each class, the stable target field) and how many clean images are drawn besides the batch for that estimate. A run
 * directory's manifest records them only where they differ from the paper's, so runs started before they existed
 * still resume.
 */
final class TargetOptions {
    @Option(names = "--target", paramLabel = "sample|batch", description = "Estimate of the clean image the target is "
            + "built from: sample (the image itself, the paper's pair) or batch (the batch's softmax-weighted estimate "
            + "of E[x0 | x_t] under N(x_t; x_j, t^2 I), within the image's class for labelled data: the stable target "
            + "field) (default: ${DEFAULT-VALUE}).")
    String target = "sample";

    @Option(names = "--extra-references", paramLabel = "N", description = "Clean images drawn besides the batch for "
            + "--target batch's estimate (default: ${DEFAULT-VALUE}).")
    int extraReferences = 0;

    /** The parsed target; a bad value or an extra-reference count without {@code --target batch} is refused. */
    Target target() {
        Target t = switch (target.toLowerCase(Locale.ROOT)) {
            case "sample" -> Target.SAMPLE;
            case "batch" -> Target.BATCH_POSTERIOR;
            default -> throw new IllegalArgumentException("--target " + target + ": must be sample or batch");
        };
        ImageTrainCommand.inRange("--extra-references", extraReferences, 0, 1 << 20);
        if (t == Target.SAMPLE && extraReferences != 0) {
            throw new IllegalArgumentException("--extra-references " + extraReferences + ": needs --target batch");
        }
        return t;
    }

    /** Adds the options to a manifest's map where they are not the paper's. */
    void record(Map<String, Object> options) {
        if (target() != Target.SAMPLE) {
            options.put("target", "batch");
            options.put("extra_references", extraReferences);
        }
    }
}
