package dev.cm4j.consistency.metrics;

import dev.cm4j.consistency.data.ImageDataset;
import dev.cm4j.tensor.Tensor;
import java.io.IOException;
import java.util.Arrays;

/**
 * The Fashion-MNIST feature distance (FD), precision and recall of a set of 28 x 28 grayscale images against a
 * reference set (docs/ALGORITHMS.md#fd-evaluator): both sets go through {@link FeatureClassifier} (the committed
 * weights by default), then {@link FrechetDistance} and {@link PrecisionRecall} (k = 3) compare the penultimate
 * features. The FD is cm4j's own and is not comparable with the Inception FID.
 *
 * <p>Every score depends on the sizes of the sets: compare models at the same sample count (10,000, the size of the
 * test set, by convention here) and read them against the {@link #floor}, the scores of real training images.
 */
public final class FashionMnistEvaluator {
    /** The name under which the scores are reported, everywhere. */
    public static final String LABEL = "Fashion-MNIST feature distance (FD)";
    /** What the scores must not be mistaken for. */
    public static final String CAVEAT = "cm4j's own classifier features; not comparable with Inception FID";
    /** Images per forward pass of the classifier: fixed, since the batch size can change the last bits of features. */
    public static final int BATCH = 250;

    private final FeatureClassifier classifier;
    private final PrecisionRecall precisionRecall;

    /** An evaluator on the features of {@code classifier}, precision and recall with k = 3. */
    public FashionMnistEvaluator(FeatureClassifier classifier) {
        this.classifier = classifier;
        this.precisionRecall = PrecisionRecall.paper();
    }

    /** The evaluator of the committed classifier ({@link FashionMnistClassifier#load()}). */
    public static FashionMnistEvaluator committed() throws IOException {
        return new FashionMnistEvaluator(FashionMnistClassifier.load());
    }

    /** The classifier whose features are compared. */
    public FeatureClassifier classifier() {
        return classifier;
    }

    /**
     * The scores of one comparison.
     *
     * @param samples what was scored, for the report
     * @param sampleCount its number of images
     * @param reference what it was compared with
     * @param referenceCount its number of images
     * @param fd the Frechet distance of the features
     * @param precision the fraction of samples inside the reference's k-NN manifold
     * @param recall the fraction of reference images inside the samples' k-NN manifold
     * @param k the neighbour that sets the radii
     */
    public record Report(String samples, int sampleCount, String reference, int referenceCount, double fd,
                         double precision, double recall, int k) {
    }

    /**
     * The features (N, 128) of images (N, 1, 28, 28) on [-1, 1].
     *
     * @throws IllegalArgumentException naming {@code what} if the images are not (N, 1, 28, 28) or hold NaN or
     *     infinite values
     */
    public Tensor features(String what, Tensor images) {
        if (images.rank() != 4 || images.dim(1) != 1 || images.dim(2) != FeatureClassifier.SIZE
                || images.dim(3) != FeatureClassifier.SIZE) {
            throw new IllegalArgumentException("FashionMnistEvaluator: " + what + " are " + Arrays.toString(
                    images.shape()) + "; the evaluator takes grayscale 28 x 28 images (N, 1, 28, 28)");
        }
        float[] d = images.data();
        for (int i = images.offset(), end = images.offset() + images.size(); i < end; i++) {
            if (!Float.isFinite(d[i])) {
                int px = i - images.offset();
                throw new IllegalArgumentException("FashionMnistEvaluator: " + what + ": image " + px / (28 * 28)
                        + " has the value " + d[i] + " at pixel " + px % (28 * 28));
            }
        }
        return classifier.features(images, BATCH);
    }

    /**
     * FD, precision and recall of {@code samples} (N, 1, 28, 28) against {@code reference} (M, 1, 28, 28).
     *
     * @throws IllegalArgumentException if either set is not 28 x 28 grayscale, holds non-finite values, or has k or
     *     fewer images
     */
    public Report evaluate(String samplesName, Tensor samples, String referenceName, Tensor reference) {
        int k = precisionRecall.k();
        for (Tensor t : new Tensor[] {samples, reference}) {
            if (t.rank() >= 1 && t.dim(0) <= k) {
                throw new IllegalArgumentException("FashionMnistEvaluator: " + (t == samples ? samplesName
                        : referenceName) + " has " + t.dim(0) + " images; precision and recall with k = " + k
                        + " need more than " + k + " (10,000 by convention)");
            }
        }
        Tensor fs = features(samplesName, samples);
        Tensor fr = features(referenceName, reference);
        double fd = FrechetDistance.distance(fs, fr);
        PrecisionRecall.Scores pr = precisionRecall.compute(fr, fs);
        return new Report(samplesName, samples.dim(0), referenceName, reference.dim(0), fd, pr.precision(),
                pr.recall(), k);
    }

    /**
     * The floor: the first {@code count} images of {@code train} scored as if they were samples, against
     * {@code reference} (the test set). A model whose samples score near it is as close to the reference as real
     * training images are.
     */
    public Report floor(ImageDataset train, int count, ImageDataset reference) {
        if (count < 1 || count > train.size()) {
            throw new IllegalArgumentException("FashionMnistEvaluator.floor: count " + count + " outside 1.."
                    + train.size() + " (the images of " + train.name() + ")");
        }
        Tensor first = train.images().slice(0, 0, count);
        return evaluate("the first " + count + " images of " + train.name(), first, reference.name(),
                reference.images());
    }
}
