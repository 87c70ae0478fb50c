package dev.cm4j.consistency.metrics;

import dev.cm4j.autodiff.Losses;
import dev.cm4j.autodiff.Var;
import dev.cm4j.autodiff.optim.Adam;
import dev.cm4j.autodiff.optim.LrSchedule;
import dev.cm4j.consistency.data.ImageDataset;
import dev.cm4j.tensor.Rng;
import dev.cm4j.tensor.Tensor;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Supervised training of a {@link FeatureClassifier} on labelled 28 x 28 images: cross-entropy, Adam with a cosine
 * decay of the learning rate to 0 over the run, seeded shuffling. The run is a pure function of the settings and the
 * data: the weights are drawn from {@code Rng(seed)}, each epoch visits the images in a Fisher-Yates permutation drawn
 * from {@code Rng(seed).fork(1)}, and the kernels do not depend on the thread count, so the same settings give the
 * same bits. The last {@code N mod batch} images of each permutation are left out of that epoch.
 *
 * @param seed seed of the weights and of the shuffling
 * @param width the classifier's base width ({@link FeatureClassifier}: features 4 width)
 * @param epochs passes over the training images
 * @param batch images per update
 * @param lr Adam's learning rate at the first step (betas 0.9, 0.999)
 */
public record ClassifierTraining(long seed, int width, int epochs, int batch, double lr) {
    public ClassifierTraining {
        if (epochs < 1 || batch < 1 || !(lr > 0) || !Double.isFinite(lr)) {
            throw new IllegalArgumentException("ClassifierTraining: need epochs >= 1, batch >= 1 and a finite lr > 0,"
                    + " got epochs " + epochs + ", batch " + batch + ", lr " + lr);
        }
    }

    /** The settings of the committed weights ({@link FashionMnistClassifier}). */
    public static ClassifierTraining defaults() {
        return new ClassifierTraining(0, 32, 5, 128, 2e-3);
    }

    /** These settings with another number of epochs. */
    public ClassifierTraining withEpochs(int n) {
        return new ClassifierTraining(seed, width, n, batch, lr);
    }

    /** Called after every update and at the end of every epoch. */
    public interface Listener {
        /** After update {@code step} (0-based) of {@code totalSteps}, with its mean cross-entropy. */
        default void step(long step, long totalSteps, double loss) {
        }

        /** After epoch {@code epoch} (0-based) with the classifier as it is then. */
        default void epoch(int epoch, FeatureClassifier classifier) {
        }
    }

    /** The settings as strings, for the metadata of saved weights. */
    public Map<String, String> describe() {
        Map<String, String> m = new LinkedHashMap<>();
        m.put("seed", Long.toString(seed));
        m.put("width", Integer.toString(width));
        m.put("epochs", Integer.toString(epochs));
        m.put("batch", Integer.toString(batch));
        m.put("lr", Double.toString(lr));
        return m;
    }

    /** Steps per epoch on {@code n} images. */
    public int stepsPerEpoch(int n) {
        return n / batch;
    }

    /**
     * Trains a new classifier on {@code data} (labelled images (N, 1, 28, 28) on [-1, 1], labels 0..9).
     *
     * @throws IllegalArgumentException if the images are not 28 x 28 grayscale, are unlabelled, have a label outside
     *     0..9, or are fewer than one batch
     */
    public FeatureClassifier train(ImageDataset data, Listener listener) {
        return train(data, Long.MAX_VALUE, listener);
    }

    /** {@link #train(ImageDataset, Listener)} stopped after {@code maxSteps} updates (for checks of short runs). */
    public FeatureClassifier train(ImageDataset data, long maxSteps, Listener listener) {
        FeatureClassifier.checkImages("ClassifierTraining.train", data.images().shape());
        data.requireClasses(FeatureClassifier.CLASSES);
        int n = data.size();
        int per = stepsPerEpoch(n);
        if (per == 0) {
            throw new IllegalArgumentException("ClassifierTraining.train: " + n + " images of '" + data.name()
                    + "' are fewer than one batch of " + batch);
        }
        FeatureClassifier model = new FeatureClassifier(width, new Rng(seed));
        Rng shuffle = new Rng(seed).fork(1);
        long total = (long) per * epochs;
        Adam adam = new Adam(model.namedParameters(), lr);
        LrSchedule schedule = LrSchedule.cosine(lr, 0, total);
        int[] labels = data.labels();
        int[] order = new int[n];
        long step = 0;
        for (int epoch = 0; epoch < epochs && step < maxSteps; epoch++) {
            permutation(order, shuffle);
            for (int b = 0; b < per && step < maxSteps; b++, step++) {
                Tensor x = gather(data.images(), order, b * batch, batch);
                Tensor target = oneHot(labels, order, b * batch, batch);
                Var loss = Losses.crossEntropy(model.forward(Var.constant(x)), Var.constant(target));
                adam.setLr(schedule.at(step));
                adam.zeroGrad();
                loss.backward();
                adam.step();
                listener.step(step, total, loss.item());
            }
            listener.epoch(epoch, model);
        }
        return model;
    }

    /** Fills {@code order} with a uniform permutation of 0..n-1 (Fisher-Yates from the identity). */
    static void permutation(int[] order, Rng rng) {
        for (int i = 0; i < order.length; i++) {
            order[i] = i;
        }
        for (int i = order.length - 1; i > 0; i--) {
            int j = rng.nextInt(i + 1);
            int t = order[i];
            order[i] = order[j];
            order[j] = t;
        }
    }

    /** Images order[from .. from + m) of images (N, C, H, W) as a new (m, C, H, W) tensor. */
    static Tensor gather(Tensor images, int[] order, int from, int m) {
        int per = images.size() / images.dim(0);
        float[] out = new float[m * per];
        for (int i = 0; i < m; i++) {
            System.arraycopy(images.data(), images.offset() + order[from + i] * per, out, i * per, per);
        }
        return Tensor.wrap(out, new int[] {m, images.dim(1), images.dim(2), images.dim(3)});
    }

    /** One-hot targets (m, 10) of labels order[from .. from + m). */
    static Tensor oneHot(int[] labels, int[] order, int from, int m) {
        float[] t = new float[m * FeatureClassifier.CLASSES];
        for (int i = 0; i < m; i++) {
            t[i * FeatureClassifier.CLASSES + labels[order[from + i]]] = 1f;
        }
        return Tensor.wrap(t, new int[] {m, FeatureClassifier.CLASSES});
    }
}
