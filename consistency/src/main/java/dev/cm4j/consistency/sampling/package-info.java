/**
 * ODE solvers and samplers: Euler and Heun steps ({@link dev.cm4j.consistency.sampling.OdeSolver}), the EDM sampler,
 * one-step and multistep consistency sampling (Algorithm 1), the ternary search for the middle time, and an NFE
 * counter. They run any {@link dev.cm4j.consistency.model.Denoiser} and draw from a
 * {@link dev.cm4j.consistency.noise.NoiseSource} in the released code's order; they never depend on training.
 *
 * <p><b>API</b>: public and kept compatible; the facade for the common path is {@link dev.cm4j.consistency.api}.
 */
package dev.cm4j.consistency.sampling;
