package dev.cm4j.spark;

import dev.cm4j.consistency.api.ConsistencyModel;
import dev.cm4j.consistency.api.Sampling;
import dev.cm4j.consistency.data.FashionMnist;
import dev.cm4j.consistency.metrics.FashionMnistEvaluator;
import dev.cm4j.tensor.Tensor;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import org.apache.spark.api.java.JavaRDD;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.sql.SparkSession;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * The entry point for {@code spark-submit} (docs/SPARK.md): {@code sample} writes the samples of a checkpoint as
 * .npz shards, {@code eval} scores samples (drawn on the spot or read from shards) with the Fashion-MNIST evaluator,
 * {@code sweep} trains and scores 2-D iCT over a grid of settings ({@link SparkSweep}).
 * The master comes from {@code spark-submit}, or from {@code --master} when run directly.
 */
@Command(name = "cm4j-spark", mixinStandardHelpOptions = true, subcommands = {Cm4jSpark.Sample.class,
        Cm4jSpark.Eval.class, Cm4jSpark.Sweep.class}, description = "cm4j on Apache Spark: distributed sampling and "
        + "evaluation, and hyper-parameter sweeps.")
public final class Cm4jSpark {
    private Cm4jSpark() {
    }

    /** Runs a subcommand and exits with its status. */
    public static void main(String[] args) {
        System.exit(run(System.out, args));
    }

    /** Runs a subcommand; returns its exit status (0 on success, 1 on an error, which is printed). */
    public static int run(PrintStream out, String... args) {
        CommandLine cl = new CommandLine(new Cm4jSpark());
        cl.setOut(new java.io.PrintWriter(out, true));
        cl.setExecutionExceptionHandler((e, c, parsed) -> {
            c.getErr().println("cm4j-spark " + c.getCommandName() + ": " + e.getMessage());
            return 1;
        });
        return cl.execute(args);
    }

    /** The options every subcommand shares: the master, the partitions and what to sample. */
    abstract static class Common {
        @Option(names = "--master", description = "Spark master when not run by spark-submit, e.g. local[4].")
        String master;

        @Option(names = {"-p", "--partitions"}, description = "Partitions (default: ${DEFAULT-VALUE}).")
        int partitions = 8;

        @Option(names = {"-c", "--checkpoint"}, paramLabel = "FILE", description = "A checkpoint of cm4j's image "
                + "trainers.")
        Path checkpoint;

        @Option(names = {"-n", "--count"}, description = "Samples (default: ${DEFAULT-VALUE}).")
        int count = 10_000;

        @Option(names = {"-s", "--seed"}, description = "Seed of the noise (default: ${DEFAULT-VALUE}).")
        long seed = 0;

        @Option(names = "--times", split = ",", paramLabel = "SIGMA", description = "Consistency model: the "
                + "decreasing noise levels of the steps (default: one step at 80).")
        double[] times;

        @Option(names = "--heun-steps", description = "Teacher: grid points of EDM's Heun sampler.")
        Integer heunSteps;

        @Option(names = "--class", description = "Class of every sample; -1 = classes in turn (default: "
                + "${DEFAULT-VALUE}).")
        int label = -1;

        @Option(names = "--online", description = "Sample with the live weights instead of their EMA.")
        boolean online;

        final PrintStream console = System.out;

        /** The Spark context of the run: spark-submit's master, or --master. */
        SparkSession session(String app) {
            SparkSession.Builder b = SparkSession.builder().appName(app);
            if (master != null) {
                b.master(master);
            }
            return b.getOrCreate();
        }

        Sampling sampling() {
            if (heunSteps != null && times != null) {
                throw new IllegalArgumentException("--times and --heun-steps: give the times of a consistency "
                        + "model or the Heun points of a teacher, not both");
            }
            if (heunSteps != null) {
                return Sampling.heun(heunSteps);
            }
            return times == null ? Sampling.oneStep() : Sampling.sigmas(times);
        }

        JavaRDD<ImageBlock> draw(JavaSparkContext sc) throws IOException {
            if (checkpoint == null) {
                throw new IllegalArgumentException("--checkpoint: give the checkpoint to sample");
            }
            return new SparkSampler(sc).sample(checkpoint, !online, count, sampling(), seed, label, partitions);
        }
    }

    /** {@code sample}: .npz shards and a manifest. */
    @Command(name = "sample", mixinStandardHelpOptions = true, description = "Draw samples from a checkpoint on "
            + "Spark, bit-identical to one machine's ConsistencyModel.sample with the same seed; write one .npz "
            + "shard per partition and MANIFEST.tsv into --out.")
    static final class Sample extends Common implements Callable<Integer> {
        @Option(names = {"-o", "--out"}, required = true, paramLabel = "DIR", description = "A new or empty "
                + "directory that every executor can reach.")
        Path out;

        @Option(names = "--png", paramLabel = "FILE", description = "Also a PNG grid of the first 64 samples.")
        Path png;

        @Override
        public Integer call() throws IOException {
            try (SparkSession spark = session("cm4j-spark sample")) {
                JavaSparkContext sc = JavaSparkContext.fromSparkContext(spark.sparkContext());
                long t0 = System.nanoTime();
                JavaRDD<ImageBlock> blocks = draw(sc).cache();
                long n = SparkSampler.writeNpz(blocks, out);
                double s = (System.nanoTime() - t0) / 1e9;
                if (png != null) {
                    ConsistencyModel.savePng(blocks.first().images(), png);
                }
                console.printf("cm4j-spark sample: %d samples of %s in %.2f s (%.1f samples/s) over %d partitions; "
                        + "wrote %s%n", n, checkpoint, s, n / s, SparkSampler.ranges(count, partitions).size(), out);
                return 0;
            }
        }
    }

    /** {@code eval}: FD, precision and recall against Fashion-MNIST's test images. */
    @Command(name = "eval", mixinStandardHelpOptions = true, description = "Score samples with the Fashion-MNIST "
            + "evaluator on Spark: drawn from --checkpoint, or read from the shards of 'sample' (--samples).")
    static final class Eval extends Common implements Callable<Integer> {
        @Option(names = "--samples", paramLabel = "DIR", description = "Shards written by 'sample' instead of "
                + "drawing from --checkpoint.")
        Path samples;

        @Option(names = "--data", paramLabel = "DIR", description = "Fashion-MNIST's gzip IDX files (default: "
                + "${DEFAULT-VALUE}).")
        Path data = FashionMnist.DEFAULT_DIR;

        @Option(names = "--reference-count", description = "Test images to compare with, the first ones "
                + "(default: ${DEFAULT-VALUE}).")
        int referenceCount = 10_000;

        @Override
        public Integer call() throws IOException {
            if (samples != null && checkpoint != null) {
                throw new IllegalArgumentException("--samples " + samples + " and --checkpoint " + checkpoint
                        + ": score either shards or fresh samples, not both");
            }
            if (referenceCount < 4 || referenceCount > 10_000) {
                throw new IllegalArgumentException("--reference-count " + referenceCount + " outside 4..10000");
            }
            Tensor reference = FashionMnist.load(data, FashionMnist.Split.TEST).images().slice(0, 0, referenceCount);
            try (SparkSession spark = session("cm4j-spark eval")) {
                JavaSparkContext sc = JavaSparkContext.fromSparkContext(spark.sparkContext());
                long t0 = System.nanoTime();
                JavaRDD<ImageBlock> images = samples != null ? new SparkSampler(sc).readNpz(samples) : draw(sc);
                String name = samples != null ? samples.toString() : checkpoint.toString();
                FashionMnistEvaluator.Report r = new SparkEvaluator(sc).evaluate(name, images,
                        "the first " + referenceCount + " Fashion-MNIST test images", reference, partitions);
                console.printf("cm4j-spark eval: %s: %d samples against %d test images in %.2f s%n", name,
                        r.sampleCount(), r.referenceCount(), (System.nanoTime() - t0) / 1e9);
                console.printf("FD %.4f (%s), precision %.4f, recall %.4f (k = %d)%n", r.fd(),
                        FashionMnistEvaluator.CAVEAT, r.precision(), r.recall(), r.k());
                return 0;
            }
        }
    }

    /** {@code sweep}: 2-D iCT over every combination of the given learning rates, pseudo-Huber c and batches. */
    @Command(name = "sweep", mixinStandardHelpOptions = true, description = "Train 2-D iCT for every combination "
            + "of --lr, --c and --batch, one Spark task each; each writes its checkpoint under --out; print the "
            + "table of one- and two-step SW1 against a fresh draw of the data.")
    static final class Sweep implements Callable<Integer> {
        @Option(names = "--master", description = "Spark master when not run by spark-submit, e.g. local[4].")
        String master;

        @Option(names = "--data", description = "8gaussians, moons, swissroll or checkerboard (default: "
                + "${DEFAULT-VALUE}).")
        String data = "checkerboard";

        @Option(names = {"-s", "--seed"}, description = "Seed of every run (default: ${DEFAULT-VALUE}).")
        long seed = 0;

        @Option(names = "--steps", description = "iCT steps per run (default: ${DEFAULT-VALUE}).")
        int steps = 6000;

        @Option(names = "--width", description = "Hidden units per MLP layer (default: ${DEFAULT-VALUE}).")
        int width = 128;

        @Option(names = "--samples", description = "Samples per score (default: ${DEFAULT-VALUE}).")
        int samples = 20_000;

        @Option(names = "--lr", split = ",", description = "Learning rates (default: 2e-3).")
        double[] lr = {2e-3};

        @Option(names = "--c", split = ",", description = "Pseudo-Huber constants c; 0 = squared distance (default: "
                + "0.1, the 2-D pipeline's).")
        double[] c = {dev.cm4j.consistency.toy.ToyPipeline.ICT_HUBER_C};

        @Option(names = "--batch", split = ",", description = "Batch sizes (default: 2048).")
        int[] batch = {2048};

        @Option(names = {"-o", "--out"}, required = true, paramLabel = "DIR", description = "Where each run writes "
                + "<setting>/ict.safetensors; storage every executor can reach.")
        Path out;

        final PrintStream console = System.out;

        @Override
        public Integer call() throws IOException {
            java.util.List<SparkSweep.Setting> settings = new java.util.ArrayList<>();
            for (double l : lr) {
                for (double h : c) {
                    for (int b : batch) {
                        settings.add(new SparkSweep.Setting(l, h, b));
                    }
                }
            }
            SparkSweep.Plan plan = new SparkSweep.Plan(dev.cm4j.consistency.data.Toy2d.parse(data), seed, steps, width,
                    samples);
            SparkSession.Builder builder = SparkSession.builder().appName("cm4j-spark sweep");
            if (master != null) {
                builder.master(master);
            }
            try (SparkSession spark = builder.getOrCreate()) {
                JavaSparkContext sc = JavaSparkContext.fromSparkContext(spark.sparkContext());
                long t0 = System.nanoTime();
                java.util.List<SparkSweep.Row> rows = new SparkSweep(sc).ict(plan, settings, out);
                console.printf("cm4j-spark sweep: %d settings of 2-D iCT on %s (seed %d, %d steps, width %d) in "
                        + "%.1f s; checkpoints under %s%n", settings.size(), plan.data().name(), seed, steps, width,
                        (System.nanoTime() - t0) / 1e9, out);
                console.print(SparkSweep.table(rows));
                return 0;
            }
        }
    }
}
