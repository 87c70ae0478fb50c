/**
 * Checkpoint files: safetensors reading and writing ({@link dev.cm4j.models.io.SafeTensors}), the full state of a
 * training run beside the weights ({@link dev.cm4j.models.io.TrainingState}), atomic writes
 * ({@link dev.cm4j.models.io.AtomicFiles}) and the error for a file that cannot be read as written
 * ({@link dev.cm4j.models.io.CheckpointFormatException}), and the lock that keeps one run per output directory
 * ({@link dev.cm4j.models.io.RunLock}). Readers and writers of other formats (PyTorch {@code .pt}, numpy {@code .npz})
 * belong here too.
 */
package dev.cm4j.models.io;
