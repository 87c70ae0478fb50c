/**
 * Checkpoint files: safetensors reading and writing ({@link dev.cm4j.models.io.SafeTensors}), the full state of a
 * training run in one checkpoint file ({@link dev.cm4j.models.io.TrainingState}) with its identity
 * ({@link dev.cm4j.models.io.CheckpointIdentity}), crash-safe replacement keeping the previous checkpoint
 * ({@link dev.cm4j.models.io.CheckpointFiles}) through a seam of file operations ({@link dev.cm4j.models.io.FileOps}),
 * value checks and checksums ({@link dev.cm4j.models.io.TensorChecks}), atomic writes
 * ({@link dev.cm4j.models.io.AtomicFiles}) and the errors for a damaged file
 * ({@link dev.cm4j.models.io.CheckpointFormatException}, like the data sets' errors a
 * {@link dev.cm4j.models.io.FileProblemException} naming the file) and for one of another run
 * ({@link dev.cm4j.models.io.CheckpointMismatchException}), and the lock that keeps one run per output directory
 * ({@link dev.cm4j.models.io.RunLock}). numpy {@code .npz} archives ({@link dev.cm4j.models.io.Npz}) carry samples
 * and labels to evaluators in Python. Readers and writers of other formats (PyTorch {@code .pt}) belong here too.
 *
 * <p><b>API</b>: public and kept compatible; exported by the module {@code dev.cm4j.models}.
 */
package dev.cm4j.models.io;
