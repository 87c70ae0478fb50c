/**
 * Optimizers over named parameters (SGD, Adam, AdamW, RAdam), learning-rate schedules, gradient clipping and
 * the exponential moving average of the weights that samplers use.
 *
 * <p><b>API</b>: public and kept compatible; exported by the module {@code dev.cm4j.autodiff}.
 */
package dev.cm4j.autodiff.optim;
