package dev.cm4j.spark;

import dev.cm4j.consistency.metrics.FashionMnistEvaluator;
import dev.cm4j.consistency.metrics.FrechetDistance;
import dev.cm4j.consistency.metrics.PrecisionRecall;
import dev.cm4j.tensor.Tensor;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.apache.spark.api.java.JavaRDD;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.broadcast.Broadcast;

/**
 * The Fashion-MNIST evaluation of {@link FashionMnistEvaluator} (the committed classifier's features; FD, precision
 * and recall with k = 3) on Spark, for sample sets that one machine scores too slowly:
 * <ol>
 *   <li>each partition computes the features of its images (the classifier is loaded once per task slot);
 *   <li>the Frechet distance comes from the feature moments of both sets ({@link FeatureMoments}: count, sum, sum of
 *       outer products in double), combined with {@code treeAggregate}; it equals the one-machine figure to 1e-9
 *       relative;
 *   <li>precision: the reference features and their k-NN radii are broadcast, each partition counts its samples
 *       inside the reference's balls;
 *   <li>recall: the sample features (N x 128 floats, 5 MB for 10,000) are collected, their radii computed on the
 *       driver and broadcast, and the partitions of the reference count their images inside the samples' balls.
 * </ol>
 * Image blocks may start anywhere: a feature is a function of its own image only (the classifier has no batch
 * statistics in eval mode), and the counts of precision and recall are made row by row.
 */
public final class SparkEvaluator {
    /** The key under which executors keep the committed classifier. */
    private static final String CLASSIFIER = "fashion-mnist-classifier";

    private final JavaSparkContext sc;
    private final PrecisionRecall precisionRecall = PrecisionRecall.paper();

    /** An evaluator on this Spark context. */
    public SparkEvaluator(JavaSparkContext sc) {
        if (sc == null) {
            throw new IllegalArgumentException("SparkEvaluator: the Spark context is null");
        }
        this.sc = sc;
    }

    /** A block of feature vectors: rows {@code first ..} of a set, (count, d) row-major. */
    public record FeatureBlock(int first, int count, int dim, float[] features) implements java.io.Serializable {
        private static final long serialVersionUID = 1L;

        /** The features as a tensor (count, d) over the same array. */
        public Tensor tensor() {
            return Tensor.wrap(features, new int[] {count, dim});
        }
    }

    /** The committed classifier's features of each block (lazy); {@code what} names the set in errors. */
    public static JavaRDD<FeatureBlock> features(String what, JavaRDD<ImageBlock> images) {
        return images.map(b -> {
            Tensor f = featuresOf(what + " " + b.first() + ".." + (b.end() - 1), b.images());
            return new FeatureBlock(b.first(), b.count(), f.dim(1), f.toArray());
        });
    }

    /** The committed classifier's features of images (N, 1, 28, 28), on an instance of this task slot. */
    static Tensor featuresOf(String what, Tensor images) {
        FashionMnistEvaluator e = ModelCache.borrow(CLASSIFIER, SparkEvaluator::committed);
        try {
            return e.features(what, images);
        } finally {
            ModelCache.release(CLASSIFIER, e);
        }
    }

    private static FashionMnistEvaluator committed() {
        try {
            return FashionMnistEvaluator.committed();
        } catch (IOException e) {
            throw new UncheckedIOException("SparkEvaluator: the committed classifier: " + e.getMessage(), e);
        }
    }

    /** The moments of every feature block, combined with {@code treeAggregate} (depth 2). */
    public static FeatureMoments moments(JavaRDD<FeatureBlock> features, int dim) {
        return features.treeAggregate(new FeatureMoments(dim),
                (m, b) -> m.add(b.features(), 0, b.count()), FeatureMoments::merge, 2);
    }

    /**
     * Images (N, C, H, W) of the driver cut into {@code partitions} blocks of about equal size, for
     * {@link #evaluate}'s reference or to score images that are already in memory.
     */
    public JavaRDD<ImageBlock> parallelize(Tensor images, int partitions) {
        if (images == null || images.rank() != 4 || partitions < 1) {
            throw new IllegalArgumentException("SparkEvaluator.parallelize: need images (N, C, H, W) and "
                    + "partitions >= 1, got " + (images == null ? "null" : Arrays.toString(images.shape()))
                    + " and " + partitions);
        }
        int n = images.dim(0);
        List<ImageBlock> blocks = new ArrayList<>();
        for (int p = 0; p < partitions; p++) {
            int a = (int) ((long) n * p / partitions);
            int b = (int) ((long) n * (p + 1) / partitions);
            if (b > a) {
                blocks.add(ImageBlock.of(a, images.slice(0, a, b), null));
            }
        }
        return sc.parallelize(blocks, blocks.size());
    }

    /**
     * FD, precision and recall of the samples in {@code samples} against {@code reference} (M, 1, 28, 28) in
     * [-1, 1], usually the 10,000 Fashion-MNIST test images, spread over {@code partitions} partitions.
     *
     * @throws IllegalArgumentException naming the set if either has k = 3 or fewer images or its images are not
     *     (N, 1, 28, 28) with finite values (the latter from the executor that meets them)
     */
    public FashionMnistEvaluator.Report evaluate(String samplesName, JavaRDD<ImageBlock> samples,
            String referenceName, Tensor reference, int partitions) {
        int k = precisionRecall.k();
        if (reference == null || reference.rank() != 4 || reference.dim(0) <= k) {
            throw new IllegalArgumentException("SparkEvaluator.evaluate: " + referenceName + " is "
                    + (reference == null ? "null" : Arrays.toString(reference.shape())) + "; need more than " + k
                    + " images (N, 1, 28, 28)");
        }
        JavaRDD<FeatureBlock> fs = features(samplesName, samples).cache();
        JavaRDD<FeatureBlock> fr = features(referenceName, parallelize(reference, partitions)).cache();
        try {
            List<FeatureBlock> sampleBlocks = fs.collect();
            Tensor sampleFeatures = join(sampleBlocks);
            int n = sampleFeatures.dim(0);
            if (n <= k) {
                throw new IllegalArgumentException("SparkEvaluator.evaluate: " + samplesName + " has " + n
                        + " images; precision and recall with k = " + k + " need more than " + k);
            }
            int d = sampleFeatures.dim(1);
            FrechetDistance.Gaussian gs = moments(fs, d).gaussian();
            FrechetDistance.Gaussian gr = moments(fr, d).gaussian();
            double fd = FrechetDistance.distance(gs, gr);

            Tensor referenceFeatures = join(fr.collect());
            Broadcast<float[]> refShared = sc.broadcast(referenceFeatures.toArray());
            Broadcast<double[]> refRadii = sc.broadcast(precisionRecall.kthNeighbourDistances(referenceFeatures));
            int m = referenceFeatures.dim(0);
            long inside = fs.map(b -> count(b, refShared.value(), m, d, refRadii.value()))
                    .reduce(Long::sum);
            Broadcast<float[]> sampleShared = sc.broadcast(sampleFeatures.toArray());
            Broadcast<double[]> sampleRadii = sc.broadcast(precisionRecall.kthNeighbourDistances(sampleFeatures));
            long covered = fr.map(b -> count(b, sampleShared.value(), n, d, sampleRadii.value()))
                    .reduce(Long::sum);
            return new FashionMnistEvaluator.Report(samplesName, n, referenceName, m, fd, (double) inside / n,
                    (double) covered / m, k);
        } finally {
            fs.unpersist();
            fr.unpersist();
        }
    }

    /** The rows of block b inside some ball of the set c (m, d) with squared radii r. */
    private static long count(FeatureBlock b, float[] c, int m, int d, double[] r) {
        double f = PrecisionRecall.fractionInside(b.tensor(), Tensor.wrap(c, new int[] {m, d}), r);
        return Math.round(f * b.count());
    }

    /** Feature blocks of one set joined in order of their first row. */
    static Tensor join(List<FeatureBlock> blocks) {
        List<FeatureBlock> sorted = new ArrayList<>(blocks);
        sorted.sort(java.util.Comparator.comparingInt(FeatureBlock::first));
        int d = sorted.get(0).dim();
        int n = 0;
        for (FeatureBlock b : sorted) {
            if (b.first() != n || b.dim() != d) {
                throw new IllegalStateException("SparkEvaluator: feature rows " + b.first() + ".." + (b.first()
                        + b.count() - 1) + " of " + b.dim() + " features do not follow row " + (n - 1));
            }
            n += b.count();
        }
        float[] all = new float[Math.multiplyExact(n, d)];
        for (FeatureBlock b : sorted) {
            System.arraycopy(b.features(), 0, all, b.first() * d, b.count() * d);
        }
        return Tensor.wrap(all, new int[] {n, d});
    }
}
