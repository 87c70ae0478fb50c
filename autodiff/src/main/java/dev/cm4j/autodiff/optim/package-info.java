/**
 * Optimizers over named parameters (SGD, Adam, AdamW, RAdam), learning-rate schedules, gradient clipping and
 * the exponential moving average of the weights that samplers use.
 */
package dev.cm4j.autodiff.optim;
