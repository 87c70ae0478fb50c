/**
 * The denoiser side of a consistency model: what a sampler runs and a trainer trains.
 *
 * <p>A {@link dev.cm4j.consistency.model.NoiseConditionedNet} is the raw network F and declares the c_noise encoding
 * it reads ({@link dev.cm4j.consistency.model.CNoise}; docs/ALGORITHMS.md#noise-conditioning) and its number of
 * classes. {@link dev.cm4j.consistency.model.Preconditioned} wraps it in the scalings of
 * {@link dev.cm4j.consistency.model.Preconditioning} (docs/ALGORITHMS.md#preconditioning), taking the encoding from
 * the network and refusing a contradiction, and checks the labels of class-conditional networks. A
 * {@link dev.cm4j.consistency.model.Denoiser} is the no-grad function the samplers call. The adapters
 * {@link dev.cm4j.consistency.model.UNetNet} (released encoding 250 ln sigma by default) and
 * {@link dev.cm4j.consistency.model.ToyMlpNet} bring in the networks of the models module.
 *
 * <p><b>API</b>: public and kept compatible; the facade for the common path is {@link dev.cm4j.consistency.api}.
 */
package dev.cm4j.consistency.model;

