/**
 * Closed forms for testing: data distributed as N(0, s^2 I) or N(mu, Sigma), whose denoiser, probability-flow ODE and
 * consistency function are known exactly.
 *
 * <p><b>Internal</b>: public for cm4j's own modules and tests, with no compatibility promise; the module
 * {@code dev.cm4j.consistency} does not export it (the command line reads it on the class path).
 */
package dev.cm4j.consistency.analytic;
