/**
 * Closed forms for testing: data distributed as N(0, s^2 I) or N(mu, Sigma), whose denoiser, probability-flow ODE and
 * consistency function are known exactly.
 */
package dev.cm4j.consistency.analytic;
