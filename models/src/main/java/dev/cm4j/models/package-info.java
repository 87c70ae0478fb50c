/**
 * Modules and layers: {@link dev.cm4j.models.Module} (named parameters, buffers and children with PyTorch-style
 * dotted names, train/eval mode, strict state loading, {@link dev.cm4j.models.Module#copy() copies}), the containers
 * {@link dev.cm4j.models.Sequential} and {@link dev.cm4j.models.ModuleList}, the layers (Linear, Conv2d, GroupNorm,
 * SiLU, Dropout, Embedding, the sinusoidal and Gaussian-Fourier embeddings), weight initialisation
 * ({@link dev.cm4j.models.Init}, {@link dev.cm4j.models.ShapeOnly}) and the MLP for 2-D toy data
 * ({@link dev.cm4j.models.ToyMlp}). Modules that draw random numbers in their forward pass are
 * {@link dev.cm4j.models.Stochastic}. {@link dev.cm4j.models.Presets} looks up the named presets of every configuration
 * record, here and in the modules above.
 *
 * <p>The U-Net and its blocks live in {@code dev.cm4j.models.unet}, checkpoint files in {@code dev.cm4j.models.io};
 * both build on this package, never the other way round.
 *
 * <p><b>API</b>: public and kept compatible; exported by the module {@code dev.cm4j.models}.
 */
package dev.cm4j.models;
