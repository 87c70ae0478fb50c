package dev.cm4j.consistency.model;

import dev.cm4j.autodiff.Var;
import dev.cm4j.models.Module;
import dev.cm4j.models.unet.UNet;
import dev.cm4j.tensor.Rng;

/**
 * A {@link UNet} as a {@link NoiseConditionedNet}: F(c_in x, c_noise, label) on images (B, C, H, W). A
 * class-conditional U-Net ({@code numClasses > 0}) takes one label per sample through its {@code label_emb}.
 *
 * @param unet the network
 * @param cNoise the encoding its time embedding reads: {@link CNoise#ADM} (250 ln sigma, the released networks') unless
 *               the weights were trained with another
 */
public record UNetNet(UNet unet, CNoise cNoise) implements NoiseConditionedNet {
    public UNetNet {
        if (unet == null || cNoise == null) {
            throw new IllegalArgumentException("UNetNet: the U-Net and its c_noise encoding must not be null");
        }
    }

    /** The U-Net with the released encoding, c_noise = 250 ln sigma. */
    public UNetNet(UNet unet) {
        this(unet, CNoise.ADM);
    }

    /** A freshly initialised U-Net with the released encoding. */
    public static UNetNet create(UNet.Config config, Rng rng) {
        return new UNetNet(new UNet(config, rng));
    }

    @Override
    public Var forward(Var input, Var cNoise, int[] labels) {
        return unet.forward(input, cNoise, labels);
    }

    @Override
    public int numClasses() {
        return unet.config().numClasses();
    }

    @Override
    public String architecture() {
        return "UNet " + unet.config() + " c_noise " + cNoise;
    }

    @Override
    public Module module() {
        return unet;
    }

    @Override
    public UNetNet copy() {
        // same weights, same dropout generators (seeds, streams, positions), same modes: the copy continues exactly as
        // the original would
        return new UNetNet(unet.copy(), cNoise);
    }
}
