/**
 * Zero-shot image editing with a consistency model (Song et al. 2023, Algorithm 4; docs/EDITING.md): a reference
 * image is kept in the components that an orthogonal transform A and a mask in A-space mark as known, and the model
 * generates the rest, step by step. Inpainting, colorization, super-resolution, denoising at a known noise level,
 * stroke-guided generation and interpolation between noises and between images. Every edit runs any
 * {@link dev.cm4j.consistency.model.Denoiser} and draws from a {@link dev.cm4j.consistency.noise.NoiseSource}.
 *
 * <p><b>API</b>: public and kept compatible; the facade for the common path is {@link dev.cm4j.consistency.api}.
 */
package dev.cm4j.consistency.editing;
