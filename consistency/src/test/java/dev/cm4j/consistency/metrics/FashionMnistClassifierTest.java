package dev.cm4j.consistency.metrics;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.cm4j.consistency.data.FashionMnist;
import dev.cm4j.consistency.data.ImageDataset;
import dev.cm4j.models.io.CheckpointFormatException;
import dev.cm4j.models.io.SafeTensors;
import dev.cm4j.models.io.TensorChecks;
import dev.cm4j.tensor.Rng;
import dev.cm4j.tensor.Tensor;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.HashMap;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class FashionMnistClassifierTest {
    @TempDir
    Path dir;

    private static ImageDataset testSplit() throws IOException {
        assumeTrue(Files.isDirectory(FashionMnist.DEFAULT_DIR), "Fashion-MNIST is not installed at "
                + FashionMnist.DEFAULT_DIR + " (" + FashionMnist.APT_COMMAND + ")");
        return FashionMnist.load(FashionMnist.Split.TEST);
    }

    @Test
    void committedWeightsLoadAndClassifyTheTestSet() throws IOException {
        FeatureClassifier c = FashionMnistClassifier.load();
        assertEquals(FashionMnistClassifier.SHA256, TensorChecks.sha256(c.stateDict()));
        assertEquals(128, c.featureDim());
        ImageDataset test = testSplit();
        int n = 2000;
        double acc = c.accuracy(test.images().slice(0, 0, n), Arrays.copyOf(test.labels(), n), 250);
        System.out.printf("committed classifier: accuracy %.4f on the first %d test images%n", acc, n);
        assertTrue(acc >= 0.90, "accuracy " + acc);
    }

    @Test
    void featuresAreReproducibleAndAgreeAcrossBatchSizes() throws IOException {
        // GroupNorm works per image, so the batch changes only the kernels' blocking: the same batch size gives the
        // same bits, another one the same values up to float rounding
        FeatureClassifier c = FashionMnistClassifier.load();
        Tensor x = new Rng(2).uniform(-1f, 1f, 7, 1, 28, 28);
        Tensor all = c.features(x, 7);
        assertEquals(TensorChecks.crc32c(all), TensorChecks.crc32c(c.features(x, 7)));
        float[] a = all.toArray();
        float[] b = c.features(x, 3).toArray();
        double maxDiff = 0;
        double maxAbs = 0;
        for (int i = 0; i < a.length; i++) {
            maxDiff = Math.max(maxDiff, Math.abs(a[i] - b[i]));
            maxAbs = Math.max(maxAbs, Math.abs(a[i]));
        }
        assertTrue(maxDiff <= 1e-5 * maxAbs, "batch 7 vs 3: max difference " + maxDiff + " of max " + maxAbs);
    }

    @Test
    void otherWeightsAreRefusedNamingTheFile() throws IOException {
        FeatureClassifier other = new FeatureClassifier(32, new Rng(5));
        Path f = dir.resolve("other.safetensors");
        FashionMnistClassifier.save(f, other, ClassifierTraining.defaults(), 0.1);
        CheckpointFormatException e = assertThrows(CheckpointFormatException.class,
                () -> FashionMnistClassifier.load(f, f, FashionMnistClassifier.SHA256));
        assertEquals(f, e.file());
        assertTrue(e.getMessage().contains("hash"), e.getMessage());
        // without a hash to compare, the same file loads (the metadata say what it is)
        assertEquals(TensorChecks.sha256(other.stateDict()),
                TensorChecks.sha256(FashionMnistClassifier.load(f, f, "").stateDict()));

        Path wrongModel = dir.resolve("wrong.safetensors");
        Map<String, String> meta = new HashMap<>(SafeTensors.read(f).metadata());
        meta.put("model", "something-else");
        SafeTensors.write(wrongModel, other.stateDict(), meta);
        e = assertThrows(CheckpointFormatException.class,
                () -> FashionMnistClassifier.load(wrongModel, wrongModel, ""));
        assertTrue(e.getMessage().contains("something-else"), e.getMessage());
    }

    @Test
    void aFewTrainingStepsGiveTheSameBitsTwice() throws IOException {
        ImageDataset data = testSplit();
        ClassifierTraining s = new ClassifierTraining(7, 32, 1, 64, 2e-3);
        double[] losses = new double[2];
        String first = TensorChecks.sha256(s.train(data, 4, listener(losses, 0)).stateDict());
        String second = TensorChecks.sha256(s.train(data, 4, listener(losses, 1)).stateDict());
        assertEquals(first, second);
        assertEquals(losses[0], losses[1]);
        // and the seed matters: another seed draws other weights and another order
        ClassifierTraining other = new ClassifierTraining(8, 32, 1, 64, 2e-3);
        assertNotEquals(first, TensorChecks.sha256(other.train(data, 4, listener(losses, 0)).stateDict()));
    }

    private static ClassifierTraining.Listener listener(double[] last, int slot) {
        return new ClassifierTraining.Listener() {
            @Override
            public void step(long step, long total, double loss) {
                last[slot] = loss;
            }
        };
    }

    @Test
    void badInputIsRefused() {
        FeatureClassifier c = new FeatureClassifier(8, new Rng(0));
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> c.features(Tensor.zeros(2, 3, 28, 28), 4));
        assertTrue(e.getMessage().contains("[2, 3, 28, 28]"), e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> new FeatureClassifier(12, new Rng(0)));
        assertThrows(IllegalArgumentException.class, () -> new ClassifierTraining(0, 32, 0, 64, 1e-3));
        ImageDataset tiny = new ImageDataset("tiny", Tensor.zeros(3, 1, 28, 28), new int[] {0, 1, 2},
                FashionMnist.CLASSES);
        e = assertThrows(IllegalArgumentException.class, () -> ClassifierTraining.defaults().train(tiny,
                new ClassifierTraining.Listener() { }));
        assertTrue(e.getMessage().contains("fewer than one batch"), e.getMessage());
    }
}
