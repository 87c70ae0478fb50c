/**
 * Static, allocation-free kernels over flat float arrays: elementwise maps, reductions, GEMM, convolution, group
 * normalisation, softmax, attention, pooling, upsampling and the fused SiLU gradient, forward and backward; and two
 * loops of the training code: the Adam family's update ({@link AdamUpdate}) and one row of a Gaussian-kernel average
 * over reference points, the stable target field's estimate ({@link GaussianWeights}).
 *
 * <h2>Names</h2>
 *
 * <p>A kernel family X has up to three classes, and the suffix says which role a class plays:
 * <ul>
 *   <li>{@code X}, the dispatcher: the public entry point. It checks arguments, splits the work over the threads of
 *       {@link dev.cm4j.tensor.Parallel} and runs the Vector API twin when {@link dev.cm4j.tensor.Simd#ENABLED}, the
 *       plain one otherwise ({@link Elementwise}, {@link Reduce}, {@link Softmax}, {@link GroupNormalization},
 *       {@link SiluGrad}, {@link Gemm}, {@link AdamUpdate}, {@link GaussianWeights}).</li>
 *   <li>{@code XReference}, the plain reference: straightforward Java loops, the definition the fast code is tested
 *       against over random shapes, remainders and odd sizes included ({@link ElementwiseReference},
 *       {@link ReduceReference}, {@link SoftmaxReference}, {@link GroupNormalizationReference},
 *       {@link SiluGradReference}, {@link AdamUpdateReference}, {@link GaussianWeightsReference}). It is also the fallback without the Vector API, except where it is far too slow
 *       to be one: {@link GemmReference} (a dot product per element, in double), {@link ConvolutionReference} and
 *       {@link AttentionReference} (one output at a time; also the bodies a device runs) are only references. Without
 *       the Vector API {@link Gemm} runs its blocked loop nest with the plain micro-kernel, and {@link Convolution}
 *       and {@link Attention}, built on {@link Gemm} and {@link Softmax}, follow their fallbacks.</li>
 *   <li>{@code XVector}, the Vector API twin ({@link ElementwiseVector}, {@link ReduceVector}, {@code SoftmaxVector},
 *       {@code GroupNormalizationVector}, {@link SiluGradVector}, {@link GemmVector}, {@link PhiloxVector},
 *       {@link AdamUpdateVector}, {@link GaussianWeightsVector}). The
 *       twin of {@code PhiloxVector} is {@link dev.cm4j.tensor.Philox#block}, which defines the generator; the
 *       dispatcher is {@link dev.cm4j.tensor.Rng}.</li>
 * </ul>
 * The same rule names the GEMM's micro-kernels: {@code GemmMicroKernel} (the tile contract),
 * {@code GemmMicroKernelReference} (4 x 4, plain Java) and {@code GemmMicroKernelVector}. A family with no vector
 * twin is its dispatcher alone ({@link Pool}, {@link Upsampling}, {@link Im2col}). Any other class is a helper, and
 * its name ends in neither suffix: {@code GemmBlocked}, {@code GemmPack}, {@code GemmVectorSmall},
 * {@code Im2colPanels}, {@code Im2colRows}, {@link ConvolutionShape}, {@code BatchLoop}, {@link VectorMath}.
 *
 * <p>Kernels are named for the operation they compute, as a noun (Convolution, GroupNormalization, Upsampling,
 * Attention, Softmax). The PyTorch module names ({@code Conv2d}, {@code GroupNorm}, {@code Upsample},
 * {@code Downsample}, {@code Linear}, {@code AttentionBlock}, {@code Dropout}) belong to the layers in
 * {@code dev.cm4j.models}, so no kernel shares a simple name with a layer.
 *
 * <h2>The Vector API</h2>
 *
 * <p>Every class that touches {@code FloatVector} ({@code XVector}, {@code GemmMicroKernelVector},
 * {@code GemmVectorSmall}, {@code Im2colPanels}, {@link VectorMath}, {@code FloatSpecies}) needs
 * {@code --add-modules jdk.incubator.vector} to load, so it is only referenced behind
 * {@link dev.cm4j.tensor.Simd#ENABLED}. They all use the one species in {@code FloatSpecies}: the machine's widest,
 * or narrower with {@code -Dcm4j.simd.bits=64|128|256|512} ({@link GaussianWeightsVector}, which computes in double,
 * uses the double species of the same width).
 *
 * <h2>Boundary</h2>
 *
 * <p><b>Internal</b>: public for cm4j's own modules and tests, with no compatibility promise. The module
 * {@code dev.cm4j.tensor} exports it only to {@code dev.cm4j.autodiff}, {@code dev.cm4j.models} and
 * {@code dev.cm4j.consistency}, whose backward rules, optimizers, checkpoint readers and stable target call it; the
 * benchmarks and tornado-tasks reach it on the class path.
 */
package dev.cm4j.tensor.kernels;
