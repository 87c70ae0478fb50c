package dev.cm4j.spark;

import dev.cm4j.autodiff.Losses;
import dev.cm4j.autodiff.Var;
import dev.cm4j.autodiff.optim.Adam;
import dev.cm4j.consistency.data.Toy2d;
import dev.cm4j.consistency.model.Preconditioned;
import dev.cm4j.consistency.model.Preconditioning;
import dev.cm4j.consistency.model.ToyMlpNet;
import dev.cm4j.consistency.train.EdmTeacherTrainer;
import dev.cm4j.models.ToyMlp;
import dev.cm4j.tensor.Rng;
import dev.cm4j.tensor.Tensor;
import java.io.Serializable;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.apache.spark.api.java.JavaRDD;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.broadcast.Broadcast;

/**
 * Synchronous data-parallel training in the way Spark MLlib trains its own models, on the 2-D EDM teacher (the MLP of
 * the 2-D pipeline, Karras et al. 2022 loss as {@link EdmTeacherTrainer}): each step the driver broadcasts the
 * weights, every partition computes the gradient of its shard of one global batch, {@code treeAggregate} adds the
 * gradients (in double), and the driver applies one Adam update.
 *
 * <p>The global batch of step k is drawn from a generator forked from (seed, k): an executor draws it whole (2-D
 * points are cheap) and keeps its own rows, so no data moves and a retried task computes the same gradient. The loss
 * of a shard is its rows' share of the batch mean, sum_i lambda_i mse_i / B, so the shards' gradients add up to the
 * batch gradient; {@link #trainLocally} runs the same steps with the whole batch as one shard, and the weights agree
 * with it to float rounding of the gradient sums (the test states the tolerance).
 *
 * <p>{@link #trainAveraging} is the other mode, for networks whose weights are slow to move: parameter averaging
 * every H local steps. Each round the driver broadcasts the weights and Adam's state; every partition takes H Adam
 * steps of its own, each on its rows of the next global batch (their mean loss), and returns its weights and Adam
 * state; the driver averages them, weighted by rows. One broadcast and one aggregation per H steps instead of per
 * step; the result is no longer one machine's training (the shards' steps drift apart between averages), and
 * {@link #trainAveragingLocally} computes it without Spark, the oracle of the test. With one partition both are
 * one machine's training.
 *
 * <p>The library's trainers ({@code dev.cm4j.consistency.train}) cannot be split this way as they are: a
 * {@code Trainer} draws its batch, computes the loss, back-propagates and updates in one {@code train()} loop, with
 * the loss method protected and the generator private. Data parallelism there needs a gradient of a shard of the
 * step's batch without the update, and the update from a given gradient.
 */
public final class DataParallelTraining {
    /** The settings of the run. */
    private final Config config;

    /**
     * The run.
     *
     * @param data the toy distribution
     * @param width hidden units of each of the MLP's 4 hidden layers (128 in the demo)
     * @param batch the global batch
     * @param lr Adam's learning rate (1e-3 in the demo)
     * @param seed seed of the weights and of every batch
     */
    public record Config(Toy2d data, int width, int batch, double lr, long seed) implements Serializable {
        private static final long serialVersionUID = 1L;

        public Config {
            if (data == null || width < 1 || batch < 1 || !(lr > 0)) {
                throw new IllegalArgumentException("DataParallelTraining.Config: need a data set, width >= 1, "
                        + "batch >= 1 and lr > 0; got " + data + ", " + width + ", " + batch + ", " + lr);
            }
        }
    }

    /** A run of {@code config} (nothing happens until {@link #trainLocally} or {@link #train}). */
    public DataParallelTraining(Config config) {
        if (config == null) {
            throw new IllegalArgumentException("DataParallelTraining: the configuration is null");
        }
        this.config = config;
    }

    /** The freshly initialised teacher of the run: the 2-D pipeline's MLP under EDM's preconditioning. */
    public Preconditioned initialModel() {
        ToyMlp.Config net = new ToyMlp.Config(2, config.width(), 4, 32, 10, 0f);
        return new Preconditioned(ToyMlpNet.create(net, new Rng(config.seed()).fork(1)), Preconditioning.edm(0.5));
    }

    /** {@code steps} updates on this machine, the whole batch in one pass; returns the trained model. */
    public Preconditioned trainLocally(int steps) {
        Preconditioned model = initialModel();
        Adam adam = new Adam(model.net().module().namedParameters(), config.lr());
        for (int k = 0; k < steps; k++) {
            applyGradient(model, adam, shardGradient(config, model, k, 0, config.batch()));
        }
        return model;
    }

    /**
     * {@code steps} synchronous data-parallel updates over {@code partitions} shards of each batch; returns the
     * trained model (on the driver).
     */
    public Preconditioned train(JavaSparkContext sc, int steps, int partitions) {
        if (partitions < 1 || partitions > config.batch()) {
            throw new IllegalArgumentException("DataParallelTraining.train: partitions " + partitions + " outside 1.."
                    + config.batch() + " (the batch)");
        }
        Preconditioned model = initialModel();
        Adam adam = new Adam(model.net().module().namedParameters(), config.lr());
        JavaRDD<int[]> rows = sc.parallelize(shards(partitions), partitions).cache();
        Config c = config;
        String key = "dp-" + c + "-" + System.identityHashCode(this);
        int size = flatSize(model);
        for (int k = 0; k < steps; k++) {
            Broadcast<float[]> weights = sc.broadcast(flatWeights(model));
            long step = k;
            double[] sum = sumOverShards(rows, size, key, c, (acc, m, r) -> {
                setWeights(m, weights.value());
                float[] g = shardGradient(c, m, step, r[0], r[1]);
                for (int i = 0; i < g.length; i++) {
                    acc[i] += g[i];
                }
            });
            float[] g = new float[size];
            for (int i = 0; i < size; i++) {
                g[i] = (float) sum[i];
            }
            applyGradient(model, adam, g);
            weights.destroy();
        }
        rows.unpersist();
        return model;
    }

    /**
     * {@code steps} updates by parameter averaging every {@code h} local steps over {@code partitions} shards of each
     * global batch (see the class comment); returns the model on the driver after the last average.
     */
    public Preconditioned trainAveraging(JavaSparkContext sc, int steps, int partitions, int h) {
        checkAveraging("trainAveraging", partitions, h);
        Preconditioned model = initialModel();
        Adam adam = new Adam(model.net().module().namedParameters(), config.lr());
        JavaRDD<int[]> rows = sc.parallelize(shards(partitions), partitions).cache();
        Config c = config;
        String key = "pa-" + c + "-" + System.identityHashCode(this);
        float[] state = packState(model, adam);
        for (int k = 0; k < steps; k += h) {
            int from = k;
            int to = Math.min(k + h, steps);
            Broadcast<float[]> start = sc.broadcast(state);
            double[] sum = sumOverShards(rows, state.length, key, c, (acc, m, r) -> {
                float[] end = localSteps(c, m, start.value(), from, to, r[0], r[1]);
                double share = (double) (r[1] - r[0]) / c.batch();
                for (int i = 0; i < end.length; i++) {
                    acc[i] += share * end[i];
                }
            });
            start.destroy();
            for (int i = 0; i < state.length; i++) {
                state[i] = (float) sum[i];
            }
        }
        rows.unpersist();
        unpackState(model, adam, state, steps);
        return model;
    }

    /** {@link #trainAveraging} on this machine: the shards' local steps one after another, then the same averages. */
    public Preconditioned trainAveragingLocally(int steps, int partitions, int h) {
        checkAveraging("trainAveragingLocally", partitions, h);
        Preconditioned model = initialModel();
        Adam adam = new Adam(model.net().module().namedParameters(), config.lr());
        Preconditioned worker = initialModel();
        float[] state = packState(model, adam);
        for (int k = 0; k < steps; k += h) {
            double[] sum = new double[state.length];
            for (int[] r : shards(partitions)) {
                float[] end = localSteps(config, worker, state, k, Math.min(k + h, steps), r[0], r[1]);
                double share = (double) (r[1] - r[0]) / config.batch();
                for (int i = 0; i < end.length; i++) {
                    sum[i] += share * end[i];
                }
            }
            for (int i = 0; i < state.length; i++) {
                state[i] = (float) sum[i];
            }
        }
        unpackState(model, adam, state, steps);
        return model;
    }

    /** What one partition adds to a round's sum, given the executor's model (borrowed) and its rows [from, to). */
    private interface ShardTerm extends Serializable {
        void addTo(double[] acc, Preconditioned model, int[] rows);
    }

    /** The sum over the partitions of their terms, in double, by {@code treeAggregate} of depth 2. */
    private static double[] sumOverShards(JavaRDD<int[]> rows, int size, String key, Config c, ShardTerm term) {
        return rows.treeAggregate(new double[size], (acc, r) -> {
            Preconditioned m = ModelCache.borrow(key, () -> new DataParallelTraining(c).initialModel());
            try {
                term.addTo(acc, m, r);
                return acc;
            } finally {
                ModelCache.release(key, m);
            }
        }, (a, b) -> {
            for (int i = 0; i < a.length; i++) {
                a[i] += b[i];
            }
            return a;
        }, 2);
    }

    private void checkAveraging(String who, int partitions, int h) {
        if (partitions < 1 || partitions > config.batch()) {
            throw new IllegalArgumentException("DataParallelTraining." + who + ": partitions " + partitions
                    + " outside 1.." + config.batch() + " (the batch)");
        }
        if (h < 1) {
            throw new IllegalArgumentException("DataParallelTraining." + who + ": local steps between averages h = "
                    + h + "; need h >= 1");
        }
    }

    /** Rows [from, to) of each of {@code partitions} near-equal shards of the global batch. */
    private List<int[]> shards(int partitions) {
        List<int[]> shards = new ArrayList<>();
        for (int p = 0; p < partitions; p++) {
            shards.add(new int[] {config.batch() * p / partitions, config.batch() * (p + 1) / partitions});
        }
        return shards;
    }

    /**
     * Steps [k0, k1) of one shard, rows [from, to) of each batch, from the packed weights and Adam state
     * {@code start} (Adam's step count is k0); returns the packed state after them. Each step's gradient is that of
     * the shard's mean loss: the shard gradient times B / (to - from).
     */
    static float[] localSteps(Config c, Preconditioned m, float[] start, int k0, int k1, int from, int to) {
        Adam adam = new Adam(m.net().module().namedParameters(), c.lr());
        unpackState(m, adam, start, k0);
        float scale = (float) ((double) c.batch() / (to - from));
        for (int k = k0; k < k1; k++) {
            float[] g = shardGradient(c, m, k, from, to);
            if (scale != 1f) {
                for (int i = 0; i < g.length; i++) {
                    g[i] *= scale;
                }
            }
            applyGradient(m, adam, g);
        }
        return packState(m, adam);
    }

    /** The weights, then Adam's state tensors (in its order), as one flat array. */
    static float[] packState(Preconditioned model, Adam adam) {
        float[] w = flatWeights(model);
        int size = w.length;
        for (Tensor t : adam.stateTensors().values()) {
            size += t.size();
        }
        float[] out = Arrays.copyOf(w, size);
        int at = w.length;
        for (Tensor t : adam.stateTensors().values()) {
            System.arraycopy(t.data(), t.offset(), out, at, t.size());
            at += t.size();
        }
        return out;
    }

    /** Sets the weights and Adam's state from {@link #packState}'s layout, with every parameter at step {@code t}. */
    static void unpackState(Preconditioned model, Adam adam, float[] packed, long t) {
        int n = flatSize(model);
        setWeights(model, Arrays.copyOf(packed, n));
        Map<String, Tensor> tensors = new LinkedHashMap<>();
        int at = n;
        for (Map.Entry<String, Tensor> e : adam.stateTensors().entrySet()) {
            Tensor like = e.getValue();
            tensors.put(e.getKey(), Tensor.wrap(Arrays.copyOfRange(packed, at, at + like.size()), like.shape()));
            at += like.size();
        }
        if (at != packed.length) {
            throw new IllegalArgumentException("DataParallelTraining: a packed state of " + packed.length
                    + " values for " + at + " weights and optimizer state");
        }
        Map<String, Long> counts = new LinkedHashMap<>();
        adam.stepCounts().keySet().forEach(name -> counts.put(name, t));
        adam.loadState(tensors, counts);
    }

    /**
     * The gradient, flattened in parameter order, of rows [from, to) of step k's batch: the loss
     * sum_i lambda(sigma_i) mse_i / B, so that the shards of a batch add up to its mean loss's gradient.
     */
    static float[] shardGradient(Config c, Preconditioned model, long k, int from, int to) {
        // the whole batch of step k, then this shard's rows
        Rng rng = new Rng(c.seed()).fork(2).fork(k);
        Tensor x0 = c.data().sample(c.batch(), rng);
        Tensor lnSigma = rng.normal(c.batch());
        Tensor n = rng.normal(c.batch(), 2);
        int b = to - from;
        float[] sigma = new float[b];
        float[] weight = new float[b];
        float[] noisy = new float[2 * b];
        float[] clean = new float[2 * b];
        for (int i = 0; i < b; i++) {
            int row = from + i;
            sigma[i] = (float) Math.exp(-1.2 + 1.2 * lnSigma.data()[row]);
            weight[i] = (float) (EdmTeacherTrainer.lambda(sigma[i], 0.5) / c.batch());
            for (int j = 0; j < 2; j++) {
                clean[2 * i + j] = x0.data()[2 * row + j];
                noisy[2 * i + j] = clean[2 * i + j] + sigma[i] * n.data()[2 * row + j];
            }
        }
        var module = model.net().module();
        module.train(true);
        module.zeroGrad();
        Var denoised = model.forward(Tensor.wrap(noisy, new int[] {b, 2}), sigma, null);
        Var loss = Losses.msePerSample(denoised, Var.constant(Tensor.wrap(clean, new int[] {b, 2})))
                .mul(Var.constant(Tensor.wrap(weight, new int[] {b}))).sum();
        loss.backward();
        float[] g = new float[flatSize(model)];
        int at = 0;
        for (Var p : module.namedParameters().values()) {
            Tensor grad = p.grad();
            int size = p.value().size();
            if (grad != null) {
                System.arraycopy(grad.data(), grad.offset(), g, at, size);
            }
            at += size;
        }
        module.zeroGrad();
        return g;
    }

    /** One Adam update from a flat gradient. */
    private static void applyGradient(Preconditioned model, Adam adam, float[] g) {
        adam.zeroGrad();
        int at = 0;
        for (Var p : model.net().module().namedParameters().values()) {
            int size = p.value().size();
            float[] part = new float[size];
            System.arraycopy(g, at, part, 0, size);
            p.accumulateGrad(Tensor.wrap(part, p.value().shape()));
            at += size;
        }
        adam.step();
        adam.zeroGrad();
    }

    /** The number of weights. */
    static int flatSize(Preconditioned model) {
        int n = 0;
        for (Var p : model.net().module().namedParameters().values()) {
            n += p.value().size();
        }
        return n;
    }

    /** Every weight in parameter order. */
    public static float[] flatWeights(Preconditioned model) {
        float[] w = new float[flatSize(model)];
        int at = 0;
        for (Var p : model.net().module().namedParameters().values()) {
            Tensor v = p.value();
            System.arraycopy(v.data(), v.offset(), w, at, v.size());
            at += v.size();
        }
        return w;
    }

    /** Overwrites every weight from a flat array in parameter order. */
    static void setWeights(Preconditioned model, float[] w) {
        int at = 0;
        for (Map.Entry<String, Var> e : model.net().module().namedParameters().entrySet()) {
            Tensor v = e.getValue().value();
            System.arraycopy(w, at, v.data(), v.offset(), v.size());
            at += v.size();
        }
        if (at != w.length) {
            throw new IllegalArgumentException("DataParallelTraining: " + w.length + " weights for a model of " + at);
        }
    }
}
