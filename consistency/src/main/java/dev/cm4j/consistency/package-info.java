/**
 * Consistency models (Song, Dhariwal, Chen, Sutskever 2023) and their EDM teacher on top of the models module.
 *
 * <p>This package holds what every part shares: the Karras grid ({@link dev.cm4j.consistency.KarrasSchedule}),
 * and per-sample scalings of a batch ({@link dev.cm4j.consistency.PerSample}); the presets of its configuration records
 * are looked up with {@link dev.cm4j.models.Presets}. The sub-packages, from the bottom up: {@code model} (the denoiser side:
 * networks, preconditioning, c_noise), {@code noise} (where Gaussian draws come from), {@code sampling} (solvers and
 * samplers, which depend on model and noise only), {@code schedule} (CT and iCT curricula), {@code train} (the
 * trainers), {@code data}, {@code metrics}, {@code analytic} (closed forms for tests) and {@code toy} (the 2-D
 * pipeline); {@code api} is the facade over them for the common path. docs/ARCHITECTURE.md draws the map; docs/ALGORITHMS.md gives every formula with its source.
 *
 * <p><b>API</b>: public and kept compatible; the facade for the common path is {@link dev.cm4j.consistency.api}.
 */
package dev.cm4j.consistency;
