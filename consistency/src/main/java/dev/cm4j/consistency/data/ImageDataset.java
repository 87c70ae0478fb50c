package dev.cm4j.consistency.data;

import dev.cm4j.consistency.train.DataSource;
import dev.cm4j.tensor.Rng;
import dev.cm4j.tensor.Tensor;
import java.util.Arrays;
import java.util.List;

/**
 * A set of images held in memory, (N, C, H, W) float32 scaled to [-1, 1] (the released code's
 * {@code x / 127.5 - 1}), with optional class labels 0..K-1 and the K class names. {@link FashionMnist} and
 * {@link ImageFolder} make them; {@link #source} turns one into training data.
 */
public final class ImageDataset {
    private final String name;
    private final Tensor images;
    private final int[] labels;
    private final List<String> classes;

    /**
     * @param name what the images are, for messages (e.g. "Fashion-MNIST train (/usr/share/datasets/fashion-mnist)")
     * @param images (N, C, H, W), not copied: do not modify it afterwards
     * @param labels one class per image, each in 0..classes.size()-1, or null for unlabelled images
     * @param classes the class names (empty for unlabelled images)
     */
    public ImageDataset(String name, Tensor images, int[] labels, List<String> classes) {
        if (images == null || images.rank() != 4) {
            throw new IllegalArgumentException("ImageDataset '" + name + "': need images (N, C, H, W), got "
                    + (images == null ? "null" : Arrays.toString(images.shape())));
        }
        this.name = name;
        this.images = images;
        this.classes = List.copyOf(classes);
        if (labels == null) {
            if (!this.classes.isEmpty()) {
                throw new IllegalArgumentException("ImageDataset '" + name + "': " + this.classes.size()
                        + " class names but no labels");
            }
            this.labels = null;
            return;
        }
        if (labels.length != images.dim(0)) {
            throw new IllegalArgumentException("ImageDataset '" + name + "': " + labels.length + " labels for "
                    + images.dim(0) + " images");
        }
        int bad = firstOutside(labels, this.classes.size());
        if (bad >= 0) {
            throw new IllegalArgumentException("ImageDataset '" + name + "': label " + labels[bad] + " of image "
                    + bad + " is outside 0.." + (this.classes.size() - 1) + " (" + this.classes.size()
                    + " classes)");
        }
        this.labels = labels.clone();
    }

    /** What the images are, for messages. */
    public String name() {
        return name;
    }

    /** The number of images N. */
    public int size() {
        return images.dim(0);
    }

    public int channels() {
        return images.dim(1);
    }

    public int height() {
        return images.dim(2);
    }

    public int width() {
        return images.dim(3);
    }

    /** All images (N, C, H, W) in [-1, 1]; shared, do not modify. */
    public Tensor images() {
        return images;
    }

    /** Whether every image has a class label. */
    public boolean labelled() {
        return labels != null;
    }

    /** A copy of the labels (N), or null for unlabelled images. */
    public int[] labels() {
        return labels == null ? null : labels.clone();
    }

    /** The class names, label k naming {@code classes().get(k)}; empty for unlabelled images. */
    public List<String> classes() {
        return classes;
    }

    /**
     * Checks that a class-conditional model with {@code numClasses} classes can take these labels.
     *
     * @throws IllegalArgumentException naming the first label outside 0..numClasses-1, or if the images are unlabelled
     */
    public ImageDataset requireClasses(int numClasses) {
        if (labels == null) {
            throw new IllegalArgumentException("ImageDataset.requireClasses: '" + name
                    + "' has no labels; a model with " + numClasses + " classes needs labelled images");
        }
        int bad = firstOutside(labels, numClasses);
        if (bad >= 0) {
            throw new IllegalArgumentException("ImageDataset.requireClasses: '" + name + "' has label " + labels[bad]
                    + " (image " + bad + ", " + classes.size() + " classes) but the model takes 0.."
                    + (numClasses - 1));
        }
        return this;
    }

    /** Training batches without flips; see {@link #source(boolean)}. */
    public DataSource source() {
        return source(false);
    }

    /**
     * Training batches: each draws n images uniformly with replacement (n calls of {@code rng.nextInt(N)}), then,
     * with {@code flips}, mirrors each left-right with probability 1/2 (n calls of {@code rng.nextInt(2)}). All
     * draws come from the trainer's generator, so a given seed and position give the same batch and a resumed run
     * continues with the batches it would have drawn. A labelled set gives labelled batches.
     */
    public DataSource source(boolean flips) {
        if (labels == null) {
            return new DataSource() {
                @Override
                public Tensor sample(int n, Rng rng) {
                    return draw(n, rng, flips).x();
                }
            };
        }
        return DataSource.labelled((n, rng) -> draw(n, rng, flips));
    }

    /** n images (n, C, H, W) and their labels (null when unlabelled), drawn as {@link #source(boolean)} says. */
    public DataSource.Batch draw(int n, Rng rng, boolean flips) {
        if (n < 0) {
            throw new IllegalArgumentException("ImageDataset.draw: n must be >= 0, got " + n);
        }
        if (size() == 0 && n > 0) {
            throw new IllegalArgumentException("ImageDataset.draw: '" + name + "' holds no images");
        }
        int[] index = new int[n];
        for (int i = 0; i < n; i++) {
            index[i] = rng.nextInt(size());
        }
        boolean[] flip = new boolean[n];
        if (flips) {
            for (int i = 0; i < n; i++) {
                flip[i] = rng.nextInt(2) == 1;
            }
        }
        int c = channels();
        int h = height();
        int w = width();
        int per = c * h * w;
        float[] src = images.data();
        int base = images.offset();
        float[] out = new float[n * per];
        int[] batchLabels = labels == null ? null : new int[n];
        for (int i = 0; i < n; i++) {
            int from = base + index[i] * per;
            int to = i * per;
            if (!flip[i]) {
                System.arraycopy(src, from, out, to, per);
            } else {
                // (C, H, W): reverse every row
                for (int row = 0; row < c * h; row++) {
                    int s = from + row * w;
                    int d = to + row * w;
                    for (int x = 0; x < w; x++) {
                        out[d + x] = src[s + w - 1 - x];
                    }
                }
            }
            if (batchLabels != null) {
                batchLabels[i] = labels[index[i]];
            }
        }
        return new DataSource.Batch(Tensor.wrap(out, new int[] {n, c, h, w}), batchLabels);
    }

    private static int firstOutside(int[] labels, int count) {
        for (int i = 0; i < labels.length; i++) {
            if (labels[i] < 0 || labels[i] >= count) {
                return i;
            }
        }
        return -1;
    }

    @Override
    public String toString() {
        return "ImageDataset[" + name + ", " + size() + " x (" + channels() + ", " + height() + ", " + width() + ")"
                + (labels == null ? "" : ", " + classes.size() + " classes") + "]";
    }
}
