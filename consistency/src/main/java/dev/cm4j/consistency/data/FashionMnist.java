package dev.cm4j.consistency.data;

import dev.cm4j.tensor.Tensor;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * Fashion-MNIST (Xiao, Rasul and Vollgraf 2017, arXiv:1708.07747): 70,000 grayscale 28 x 28 images of clothing in 10
 * classes, 60,000 for training and 10,000 for testing, read from the four gzip IDX files as distributed.
 *
 * <p>The default location is {@link #DEFAULT_DIR}, where Debian's package {@code dataset-fashion-mnist} puts them
 * ({@value #APT_COMMAND}); {@link #load(Path, Split)} reads them from any other folder holding the same file names.
 * Images become (N, 1, 28, 28) float32 in [-1, 1] ({@code x / 127.5 - 1}); labels stay 0..9, naming {@link #CLASSES}.
 */
public final class FashionMnist {
    /** Where Debian's {@code dataset-fashion-mnist} installs the files. */
    public static final Path DEFAULT_DIR = Path.of("/usr/share/datasets/fashion-mnist");
    /** The command that installs them there. */
    public static final String APT_COMMAND = "sudo apt-get install dataset-fashion-mnist";
    /** The class names, label k naming entry k (from the data set's README). */
    public static final List<String> CLASSES = List.of("T-shirt/top", "Trouser", "Pullover", "Dress", "Coat",
            "Sandal", "Shirt", "Sneaker", "Bag", "Ankle boot");
    /** Image height and width. */
    public static final int SIZE = 28;

    /** The two parts of the data set, by their file-name prefixes. */
    public enum Split {
        /** 60,000 images: train-images-idx3-ubyte.gz, train-labels-idx1-ubyte.gz. */
        TRAIN("train", 60_000),
        /** 10,000 images: t10k-images-idx3-ubyte.gz, t10k-labels-idx1-ubyte.gz. */
        TEST("t10k", 10_000);

        private final String prefix;
        private final int count;

        Split(String prefix, int count) {
            this.prefix = prefix;
            this.count = count;
        }

        /** The images file's name. */
        public String imagesFile() {
            return prefix + "-images-idx3-ubyte.gz";
        }

        /** The labels file's name. */
        public String labelsFile() {
            return prefix + "-labels-idx1-ubyte.gz";
        }

        /** The number of images in the published data set. */
        public int count() {
            return count;
        }
    }

    private FashionMnist() {
    }

    /** A split from {@link #DEFAULT_DIR}. */
    public static ImageDataset load(Split split) throws IOException {
        return load(DEFAULT_DIR, split);
    }

    /**
     * A split from the folder {@code dir}, which holds the data set's files under their published names.
     *
     * @throws DataFileException if a file is missing (one error naming the folder, the missing files and
     *     {@link #APT_COMMAND}), damaged, not 28 x 28, or the images and labels disagree in count or a label is
     *     outside 0..9
     */
    public static ImageDataset load(Path dir, Split split) throws IOException {
        requirePresent(dir);
        Path imagesFile = dir.resolve(split.imagesFile());
        Path labelsFile = dir.resolve(split.labelsFile());
        Idx.UByteArray images = Idx.readImages(imagesFile);
        Idx.UByteArray labels = Idx.readLabels(labelsFile);
        int n = images.count();
        if (images.dims()[1] != SIZE || images.dims()[2] != SIZE) {
            throw new DataFileException(imagesFile, "images of " + images.dims()[1] + " x " + images.dims()[2]
                    + " pixels; Fashion-MNIST's are " + SIZE + " x " + SIZE);
        }
        if (labels.count() != n) {
            throw new DataFileException(labelsFile, labels.count() + " labels for the " + n + " images of "
                    + imagesFile);
        }
        int[] y = new int[n];
        for (int i = 0; i < n; i++) {
            y[i] = labels.data()[i] & 0xFF;
            if (y[i] >= CLASSES.size()) {
                throw new DataFileException(labelsFile, "label " + y[i] + " of image " + i + " is outside 0.."
                        + (CLASSES.size() - 1) + " (" + CLASSES.size() + " classes)");
            }
        }
        return new ImageDataset("Fashion-MNIST " + split.name().toLowerCase(java.util.Locale.ROOT) + " (" + dir + ")",
                Tensor.wrap(scale(images.data()), new int[] {n, 1, SIZE, SIZE}), y, CLASSES);
    }

    /** Unsigned bytes 0..255 to float32 in [-1, 1] as the released code does: {@code x / 127.5 - 1}. */
    static float[] scale(byte[] pixels) {
        float[] out = new float[pixels.length];
        for (int i = 0; i < pixels.length; i++) {
            out[i] = (pixels[i] & 0xFF) / 127.5f - 1f;
        }
        return out;
    }

    /** One error for a missing data set, listing every missing file, rather than one per file. */
    private static void requirePresent(Path dir) throws DataFileException {
        List<String> missing = new ArrayList<>();
        for (Split s : Split.values()) {
            for (String f : List.of(s.imagesFile(), s.labelsFile())) {
                if (!Files.exists(dir.resolve(f))) {
                    missing.add(f);
                }
            }
        }
        if (!missing.isEmpty()) {
            String what = Files.isDirectory(dir) ? "Fashion-MNIST is incomplete here (missing " + String.join(", ",
                    missing) + ")" : "Fashion-MNIST not found (no such folder)";
            throw new DataFileException(dir, what + "; install it with '" + APT_COMMAND + "' (Debian/Ubuntu, into "
                    + DEFAULT_DIR + ") or give the folder that holds the four *-ubyte.gz files");
        }
    }
}
