/**
 * <b>API.</b> The facade for the common path: {@link dev.cm4j.consistency.api.ConsistencyModel} (load a checkpoint or
 * take a trainer's model; sample, edit, evaluate, write PNGs) and {@link dev.cm4j.consistency.api.Sampling} (one-step,
 * multistep in sigma or in grid index, EDM Heun for a teacher). Its Javadoc states the unit of every time argument:
 * sigma (the noise level, EDM's t) or grid index (a point of the Karras grid); c_noise, the network's input, is never
 * an argument.
 *
 * <p>The public packages of the library are this one and those whose package documentation says <b>API</b>:
 * {@code dev.cm4j.consistency} (the Karras grid), {@code model}, {@code noise}, {@code sampling}, {@code editing},
 * {@code metrics}, {@code schedule}, {@code train} and {@code data}. The others ({@code analytic}, {@code toy}) say
 * <b>Internal</b>: public for cm4j's own modules and tests, with no compatibility promise. The module
 * {@code dev.cm4j.consistency} enforces the boundary on the module path: it exports the API packages and not the
 * internal ones (README, "Using the library").
 */
package dev.cm4j.consistency.api;
