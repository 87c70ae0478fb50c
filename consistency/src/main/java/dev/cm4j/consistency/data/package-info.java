/**
 * Data sets: the 2-D toys ({@link dev.cm4j.consistency.data.Toy2d}: 8 Gaussians, two moons, Swiss roll,
 * checkerboard), scaled to a standard deviation of 0.5 per coordinate; and images held in memory as
 * {@link dev.cm4j.consistency.data.ImageDataset} (N, C, H, W) float32 in [-1, 1] with optional labels, which gives
 * training batches (optionally flipped left-right) drawn from the trainer's generator. Images come from gzip IDX
 * files ({@link dev.cm4j.consistency.data.Idx}), Fashion-MNIST among them
 * ({@link dev.cm4j.consistency.data.FashionMnist}, Debian's {@code dataset-fashion-mnist}), or from folders of PNG
 * files of any size ({@link dev.cm4j.consistency.data.ImageFolder}, decoded with {@code javax.imageio}, resized by
 * area averaging, labels from sub-folder names). A file that cannot be used throws
 * {@link dev.cm4j.consistency.data.DataFileException} naming it and the problem.
 *
 * <p>Depends on {@code dev.cm4j.tensor} and {@code dev.cm4j.consistency.train} (for {@code DataSource}) only.
 *
 * <p><b>API</b>: public and kept compatible; the facade for the common path is {@link dev.cm4j.consistency.api}.
 */
package dev.cm4j.consistency.data;
