package dev.cm4j.spark;

import dev.cm4j.consistency.api.ConsistencyModel;
import dev.cm4j.consistency.api.Sampling;
import dev.cm4j.consistency.metrics.FrechetDistance;
import dev.cm4j.tensor.Tensor;
import java.io.IOException;
import java.io.Serializable;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.broadcast.Broadcast;
import org.ejml.data.DMatrixRMaj;

/**
 * The middle time of two-step sampling searched on Spark, as {@code cm4j search-times --exhaustive} on one machine
 * (Song et al. 2023, Section 6): every grid index p of the times ts = (0, p, N - 1) on a Karras grid of N points is
 * one task, which draws {@code count} samples ({@link SampleRange}, the same noise for every index) and scores their
 * features' Frechet distance to the reference. The reference's Gaussian is computed once (its feature moments over
 * the partitions) and broadcast; each task's score equals the one-machine score of the same samples to 1e-9
 * relative.
 */
public final class SparkTimeSearch {
    private final JavaSparkContext sc;

    /** A search on this Spark context. */
    public SparkTimeSearch(JavaSparkContext sc) {
        if (sc == null) {
            throw new IllegalArgumentException("SparkTimeSearch: the Spark context is null");
        }
        this.sc = sc;
    }

    /**
     * One row of the results table.
     *
     * @param index the middle grid index p
     * @param sigma its noise level (sigma)
     * @param fd the Frechet distance of the samples' features to the reference
     */
    public record Row(int index, double sigma, double fd) implements Serializable {
        private static final long serialVersionUID = 1L;
    }

    /**
     * The score of every middle index in {@code indices} (each in 1..points - 2), one Spark task per index, rows in
     * order of index.
     *
     * @param checkpoint a Fashion-MNIST consistency model (28 x 28 grayscale); its EMA weights are sampled
     * @param count samples per index (more than 1)
     * @param seed the noise of every index
     * @param reference the images to compare with (N, 1, 28, 28) on [-1, 1], usually training images
     * @throws IllegalArgumentException naming the value if an index is outside 1..points - 2, count is below 2, or
     *     the checkpoint is a teacher
     */
    public List<Row> exhaustive(Path checkpoint, int points, int[] indices, int count, long seed, Tensor reference,
            int partitions) throws IOException {
        String op = "SparkTimeSearch.exhaustive";
        if (points < 3 || indices == null || indices.length == 0 || count < 2) {
            throw new IllegalArgumentException(op + ": need points >= 3, indices and count >= 2; got points " + points
                    + ", " + (indices == null ? "no" : indices.length) + " indices, count " + count);
        }
        for (int p : indices) {
            if (p < 1 || p > points - 2) {
                throw new IllegalArgumentException(op + ": index " + p + " outside 1.." + (points - 2)
                        + " (the middle of 0, p, " + (points - 1) + ")");
            }
        }
        byte[] bytes = Files.readAllBytes(checkpoint);
        ConsistencyModel model = ConsistencyModel.load(checkpoint);
        SampleRange.check(op, model, Sampling.gridIndices(points, 0, indices[0], points - 1), -1);
        FrechetDistance.Gaussian ref = SparkEvaluator.moments(SparkEvaluator.features("reference",
                new SparkEvaluator(sc).parallelize(reference, partitions)), 128).gaussian();
        Broadcast<byte[]> shared = sc.broadcast(bytes);
        Broadcast<double[]> mean = sc.broadcast(ref.mean());
        Broadcast<double[]> cov = sc.broadcast(ref.cov().data);
        int refCount = ref.n();
        String what = checkpoint.toString();
        String key = ModelCache.digest(bytes) + ":ema";
        List<Integer> list = new ArrayList<>();
        for (int p : indices) {
            list.add(p);
        }
        List<Row> rows = new ArrayList<>(sc.parallelize(list, list.size()).map(p -> {
            ConsistencyModel m = ModelCache.borrow(key, () -> ModelCache.load(what, shared.value(), true));
            Tensor samples;
            double sigma;
            try {
                samples = SampleRange.sample(m, Sampling.gridIndices(points, 0, p, points - 1), seed, -1, 0, count)
                        .images();
                sigma = m.schedule().sigma(p, points);
            } finally {
                ModelCache.release(key, m);
            }
            int d = mean.value().length;
            FrechetDistance.Gaussian r = new FrechetDistance.Gaussian(mean.value(),
                    DMatrixRMaj.wrap(d, d, cov.value()), refCount);
            Tensor f = SparkEvaluator.featuresOf("samples of index " + p, samples);
            return new Row(p, sigma, FrechetDistance.distance(FrechetDistance.fit(f), r));
        }).collect());
        rows.sort(Comparator.comparingInt(Row::index));
        return rows;
    }

    /** The rows as a table: index, sigma, FD, the lowest FD marked. */
    public static String table(List<Row> rows) {
        Row best = rows.stream().min(Comparator.comparingDouble(Row::fd)).orElseThrow();
        StringBuilder s = new StringBuilder("| index | sigma | FD |\n|---|---|---|\n");
        for (Row r : rows) {
            s.append(String.format("| %d | %.4f | %.4f%s |%n", r.index(), r.sigma(), r.fd(), r == best ? " (lowest)"
                    : ""));
        }
        return s.toString();
    }
}
