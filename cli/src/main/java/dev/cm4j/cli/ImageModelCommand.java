package dev.cm4j.cli;

import dev.cm4j.consistency.data.ImageDataset;
import dev.cm4j.consistency.model.UNetNet;
import dev.cm4j.models.unet.UNet;
import dev.cm4j.tensor.Rng;
import java.util.LinkedHashMap;
import java.util.Map;
import picocli.CommandLine.Option;

/**
 * An image command that trains a new network ({@code train-teacher}, {@code train-ict}, {@code train-ct}): the U-Net
 * preset, its width, its dropout and whether it is class-conditional.
 */
abstract class ImageModelCommand extends ImageTrainCommand {
    @Option(names = "--model", description = "U-Net preset: small28 (28x28 gray), small32rgb "
            + "(32x32 RGB), imagenet64 or lsun256 (default: ${DEFAULT-VALUE}).")
    String model = "small28";

    @Option(names = "--model-channels", description = "Channels of the U-Net's first level; 0 = the preset's "
            + "(default: ${DEFAULT-VALUE}).")
    int modelChannels = 0;

    @Option(names = "--dropout", description = "Dropout probability in every ResBlock (default: ${DEFAULT-VALUE}).")
    float dropout;

    @Option(names = "--class-conditional", description = "Condition the network on the class labels of the images "
            + "(Fashion-MNIST's 10 classes, or the sub-folders of a PNG folder).")
    boolean classConditional;

    @Override
    void smokeDefaults() {
        if (!given("--model-channels")) {
            modelChannels = 8;
        }
    }

    /** The preset with --model-channels and --dropout, before the class count is known. */
    UNet.Config baseNetwork() {
        UNet.Config c;
        try {
            c = UNet.Config.preset(model);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("--model " + model + ": " + e.getMessage(), e);
        }
        if (modelChannels != 0) {
            inRange("--model-channels", modelChannels, 1, 4096);
            try {
                c = c.withModelChannels(modelChannels);
            } catch (IllegalArgumentException e) {
                throw new IllegalArgumentException("--model-channels " + modelChannels + " does not fit --model "
                        + model + ": " + e.getMessage(), e);
            }
        }
        if (!(dropout >= 0 && dropout < 1)) {
            throw new IllegalArgumentException("--dropout " + dropout + ": must be in [0, 1)");
        }
        return c.withDropout(dropout);
    }

    @Override
    DataShape dataShape() {
        UNet.Config c = baseNetwork();
        return new DataShape(c.inChannels(), c.imageSize(), classConditional, 0);
    }

    /** The network for these images: the preset, with the images' class count when class-conditional. */
    UNet.Config network(ImageDataset images) {
        UNet.Config c = baseNetwork();
        return classConditional ? c.withNumClasses(images.classes().size()) : c;
    }

    /** A freshly initialised U-Net from generator {@code fork} of the seed. */
    UNetNet newNetwork(UNet.Config c, long fork) {
        return UNetNet.create(c, new Rng(seed).fork(fork));
    }

    /** The options of the network, for the run manifest. */
    Map<String, Object> networkOptions() {
        Map<String, Object> o = new LinkedHashMap<>();
        o.put("model", model);
        o.put("model_channels", modelChannels);
        o.put("dropout", (double) dropout);
        o.put("class_conditional", classConditional);
        return o;
    }
}
