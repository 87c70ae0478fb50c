/**
 * The trainers: the EDM teacher, consistency distillation, consistency training, improved consistency training and
 * easy consistency tuning from the teacher's weights, over one loop ({@link dev.cm4j.consistency.train.Trainer}) that keeps the released update order
 * (docs/ALGORITHMS.md#update-order), checkpoints its full state for a bit-identical resume and stops on a non-finite
 * loss. Batches (with labels for class-conditional data) come from a {@link dev.cm4j.consistency.train.DataSource};
 * the distances of the losses are in {@link dev.cm4j.consistency.train.Distance}.
 *
 * <p><b>API</b>: public and kept compatible; the facade for the common path is {@link dev.cm4j.consistency.api}.
 */
package dev.cm4j.consistency.train;
