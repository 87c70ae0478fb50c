package dev.cm4j.spark;

import dev.cm4j.consistency.api.ConsistencyModel;
import dev.cm4j.consistency.api.Sampling;
import dev.cm4j.consistency.data.ImageGrid;
import dev.cm4j.models.io.Npz;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.stream.Stream;
import org.apache.spark.api.java.JavaRDD;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.broadcast.Broadcast;

/**
 * Distributed sampling: {@code count} samples of a checkpoint spread over Spark partitions by ranges of sample
 * indices, each range a whole number of the facade's batches ({@link SampleRange}); the samples are bit-identical
 * to {@link ConsistencyModel#sample(int, Sampling, long, int)} on one machine with the same seed, whatever the
 * number of partitions.
 *
 * <p>The checkpoint's bytes are broadcast once; each executor loads the model once per task slot ({@link ModelCache})
 * and verifies its checksums. A task that fails and is retried draws the same range again, bit for bit.
 */
public final class SparkSampler {
    /** The name of the list that {@link #writeNpz} writes after every shard: its presence means complete. */
    public static final String MANIFEST = "MANIFEST.tsv";

    private final JavaSparkContext sc;

    /** A sampler on this Spark context. */
    public SparkSampler(JavaSparkContext sc) {
        if (sc == null) {
            throw new IllegalArgumentException("SparkSampler: the Spark context is null");
        }
        this.sc = sc;
    }

    /**
     * The ranges of sample indices, one per partition: {@code count} samples cut into batches of
     * {@link ConsistencyModel#BATCH}, the batches spread as evenly as they go over at most {@code partitions} ranges.
     *
     * @return pairs {first, count}, in order, none empty
     */
    public static List<int[]> ranges(int count, int partitions) {
        if (count < 1 || partitions < 1) {
            throw new IllegalArgumentException("SparkSampler.ranges: count " + count + " and partitions "
                    + partitions + " must be >= 1");
        }
        int batch = ConsistencyModel.BATCH;
        long batches = (count + (long) batch - 1) / batch;
        List<int[]> out = new ArrayList<>();
        for (int p = 0; p < partitions; p++) {
            long b0 = batches * p / partitions;
            long b1 = batches * (p + 1) / partitions;
            int first = (int) (b0 * batch);
            int end = (int) Math.min(count, b1 * batch);
            if (end > first) {
                out.add(new int[] {first, end - first});
            }
        }
        return out;
    }

    /**
     * The samples of {@code model.sample(count, sampling, seed, label)} as one block per partition, in order of
     * their first index (lazy: nothing runs until an action such as {@link #collect} or {@link #writeNpz}).
     *
     * @param checkpoint a checkpoint of cm4j's image trainers; read here once and broadcast
     * @param ema sample with the EMA weights (as {@link ConsistencyModel#load(Path)}) or the live ones
     * @param label the class of every sample of a class-conditional model, -1 = classes in turn; -1 otherwise
     * @throws NoSuchFileException if there is no such checkpoint
     * @throws IllegalArgumentException naming the value if count or partitions are below 1 or the sampling or label
     *     does not suit the model (checked on the driver before any task starts)
     */
    public JavaRDD<ImageBlock> sample(Path checkpoint, boolean ema, int count, Sampling sampling, long seed,
            int label, int partitions) throws IOException {
        byte[] bytes = Files.readAllBytes(checkpoint);
        // verify the file and the arguments on the driver, so that a bad call fails before any executor starts
        ConsistencyModel model = ConsistencyModel.load(checkpoint, ema);
        SampleRange.check("SparkSampler.sample", model, sampling, label);
        List<int[]> ranges = ranges(count, partitions);
        String what = checkpoint.toString();
        String key = ModelCache.digest(bytes) + (ema ? ":ema" : ":live");
        Broadcast<byte[]> shared = sc.broadcast(bytes);
        SamplingSpec spec = SamplingSpec.of(sampling);
        return sc.parallelize(ranges, ranges.size()).map(r -> {
            ConsistencyModel m = ModelCache.borrow(key, () -> ModelCache.load(what, shared.value(), ema));
            try {
                return SampleRange.sample(m, spec.sampling(), seed, label, r[0], r[1]);
            } finally {
                ModelCache.release(key, m);
            }
        });
    }

    /** The blocks in order of their first index, joined: every sample, (N, C, H, W), with labels or null. */
    public static ImageBlock collect(JavaRDD<ImageBlock> blocks) {
        return join(blocks.collect());
    }

    /**
     * Blocks of one set joined in order of their first index.
     *
     * @throws IllegalArgumentException if they do not cover 0 .. N - 1 exactly once, or their images differ in shape
     */
    public static ImageBlock join(List<ImageBlock> blocks) {
        if (blocks.isEmpty()) {
            throw new IllegalArgumentException("SparkSampler.join: no blocks");
        }
        List<ImageBlock> sorted = new ArrayList<>(blocks);
        sorted.sort(Comparator.comparingInt(ImageBlock::first));
        ImageBlock head = sorted.get(0);
        int n = sorted.get(sorted.size() - 1).end();
        int per = head.channels() * head.size() * head.size();
        float[] pixels = new float[Math.multiplyExact(n, per)];
        int[] labels = head.labels() == null ? null : new int[n];
        int next = 0;
        for (ImageBlock b : sorted) {
            if (b.first() != next || b.channels() != head.channels() || b.size() != head.size()
                    || (b.labels() == null) != (labels == null)) {
                throw new IllegalArgumentException("SparkSampler.join: block of images " + b.first() + ".."
                        + (b.end() - 1) + " (" + b.channels() + "x" + b.size() + "x" + b.size() + ") does not follow "
                        + "image " + (next - 1) + " of a set of " + head.channels() + "x" + head.size() + "x"
                        + head.size() + " images");
            }
            System.arraycopy(b.pixels(), 0, pixels, b.first() * per, b.count() * per);
            if (labels != null) {
                System.arraycopy(b.labels(), 0, labels, b.first(), b.count());
            }
            next = b.end();
        }
        return new ImageBlock(0, n, head.channels(), head.size(), pixels, labels);
    }

    /**
     * The shards that {@link #writeNpz} wrote to {@code dir}, one block per shard, read by the executors (lazy); the
     * images come back on [-1, 1] from their uint8 pixels ({@link Npz#readImages}).
     *
     * @throws IllegalArgumentException if {@code dir} has no {@value #MANIFEST} (an incomplete or foreign directory)
     *     or the manifest is damaged; a shard that is missing or holds another count fails its task, naming the file
     */
    public JavaRDD<ImageBlock> readNpz(Path dir) throws IOException {
        Path manifest = dir.resolve(MANIFEST);
        if (!Files.isRegularFile(manifest)) {
            throw new IllegalArgumentException("SparkSampler.readNpz: " + dir + " has no " + MANIFEST + "; it is not "
                    + "a complete set of shards written by SparkSampler.writeNpz");
        }
        List<String[]> shards = new ArrayList<>();
        for (String line : Files.readAllLines(manifest)) {
            String[] f = line.split("\t");
            if (f.length != 3 || !f[0].matches("\\d+") || !f[1].matches("\\d+")) {
                throw new IllegalArgumentException("SparkSampler.readNpz: " + manifest + ": line '" + line
                        + "' is not 'first, count, file'");
            }
            shards.add(new String[] {f[0], f[1], dir.toAbsolutePath().resolve(f[2]).toString()});
        }
        if (shards.isEmpty()) {
            throw new IllegalArgumentException("SparkSampler.readNpz: " + manifest + " lists no shard");
        }
        return sc.parallelize(shards, shards.size()).map(f -> {
            Npz.Images read = Npz.readImages(Path.of(f[2]));
            int count = Integer.parseInt(f[1]);
            if (read.images().dim(0) != count) {
                throw new IllegalStateException("SparkSampler.readNpz: " + f[2] + " holds " + read.images().dim(0)
                        + " images; the manifest says " + count);
            }
            return ImageBlock.of(Integer.parseInt(f[0]), read.images(), read.labels());
        });
    }

    /** The file name of the shard whose first sample is {@code first}. */
    public static String shardName(int first) {
        return String.format("samples-%09d.npz", first);
    }

    /**
     * Writes each block as an {@code .npz} shard in {@code dir} ({@link ImageGrid#npz}: arr_0 uint8 (n, H, W, C),
     * arr_1 the labels of a class-conditional model), named by its first sample, then, once every task has
     * succeeded, the manifest {@value #MANIFEST} (first, count, file per line). Each shard is written under a
     * temporary name and moved into place, so a retried task replaces it whole; a directory without the manifest is
     * incomplete. {@code dir} must be reachable from every executor (a shared file system) and empty or absent.
     *
     * @return the number of samples written
     * @throws IllegalArgumentException if {@code dir} holds files already
     */
    public static long writeNpz(JavaRDD<ImageBlock> blocks, Path dir) throws IOException {
        if (Files.isDirectory(dir)) {
            try (Stream<Path> s = Files.list(dir)) {
                if (s.findAny().isPresent()) {
                    throw new IllegalArgumentException("SparkSampler.writeNpz: " + dir + " is not empty; give a "
                            + "new or empty directory, so that no old shard passes for a new one");
                }
            }
        }
        Files.createDirectories(dir);
        String target = dir.toAbsolutePath().toString();
        List<String> lines = blocks.map(b -> {
            Path d = Path.of(target);
            Path file = d.resolve(shardName(b.first()));
            Path tmp = Files.createTempFile(d, ".part-", ".npz");
            try {
                ImageGrid.npz(tmp, b.images(), b.labels());
                Files.move(tmp, file, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
            } catch (IOException e) {
                Files.deleteIfExists(tmp);
                throw new UncheckedIOException("SparkSampler.writeNpz: " + file + ": " + e.getMessage(), e);
            }
            return b.first() + "\t" + b.count() + "\t" + file.getFileName();
        }).collect();
        List<String> sorted = new ArrayList<>(lines);
        sorted.sort(Comparator.comparingInt(l -> Integer.parseInt(l.substring(0, l.indexOf('\t')))));
        long total = 0;
        for (String l : sorted) {
            total += Integer.parseInt(l.split("\t")[1]);
        }
        Path tmp = dir.resolve(MANIFEST + ".part");
        Files.write(tmp, sorted);
        Files.move(tmp, dir.resolve(MANIFEST), StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
        return total;
    }
}
