/**
 * Where samplers and trainers take their Gaussian draws from: {@link dev.cm4j.consistency.noise.NoiseSource}, a
 * seeded Philox stream by default, one stream per sample for drawing many samples
 * ({@link dev.cm4j.consistency.noise.NoiseSource#perSample}: a sample's noise depends on the seed and its index, not on
 * its batch), and a {@link dev.cm4j.consistency.noise.RecordedNoise} sequence to replay another run draw by draw
 * (docs/ALGORITHMS.md#random-draws-and-replay).
 *
 * <p><b>API</b>: public and kept compatible; the facade for the common path is {@link dev.cm4j.consistency.api}.
 */
package dev.cm4j.consistency.noise;
