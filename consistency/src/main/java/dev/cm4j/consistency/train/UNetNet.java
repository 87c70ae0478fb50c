package dev.cm4j.consistency.train;

import dev.cm4j.autodiff.Var;
import dev.cm4j.models.Module;
import dev.cm4j.models.unet.UNet;
import dev.cm4j.tensor.Rng;

/**
 * An unconditional {@link UNet} as a {@link NoiseConditionedNet}: F(c_in x, c_noise) on images (B, C, H, W).
 *
 * <p>Class-conditional U-Nets need a label per sample, which the training algorithms do not carry yet; they are refused
 * here rather than run with missing labels.
 */
public record UNetNet(UNet unet) implements NoiseConditionedNet {
    public UNetNet {
        if (unet.config().conditional()) {
            throw new IllegalArgumentException("UNetNet: the U-Net is class-conditional (" + unet.config().numClasses()
                    + " classes) and needs labels; use an unconditional configuration (numClasses 0)");
        }
    }

    /** A freshly initialised U-Net. */
    public static UNetNet create(UNet.Config config, Rng rng) {
        return new UNetNet(new UNet(config, rng));
    }

    @Override
    public Var forward(Var input, Var cNoise) {
        return unet.forward(input, cNoise, null);
    }

    @Override
    public Module module() {
        return unet;
    }

    @Override
    public UNetNet copy() {
        // same weights, same dropout generator positions, same mode: the copy continues exactly as the original would
        UNet c = new UNet(unet.config(), new Rng(0));
        c.load(unet.stateDict());
        c.setRngPositions(unet.rngPositions());
        c.train(unet.isTraining());
        return new UNetNet(c);
    }
}
