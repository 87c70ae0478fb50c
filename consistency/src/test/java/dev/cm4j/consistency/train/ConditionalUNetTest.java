package dev.cm4j.consistency.train;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.cm4j.consistency.KarrasSchedule;
import dev.cm4j.consistency.model.Denoiser;
import dev.cm4j.consistency.model.Preconditioned;
import dev.cm4j.consistency.model.Preconditioning;
import dev.cm4j.consistency.model.UNetNet;
import dev.cm4j.consistency.noise.NoiseSource;
import dev.cm4j.consistency.sampling.EdmSampler;
import dev.cm4j.consistency.sampling.MultistepSampler;
import dev.cm4j.consistency.sampling.OdeSolver;
import dev.cm4j.consistency.schedule.CtSchedule;
import dev.cm4j.consistency.schedule.IctSchedule;
import dev.cm4j.models.unet.UNet;
import dev.cm4j.tensor.Rng;
import dev.cm4j.tensor.Tensor;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * A class-conditional U-Net in every trainer and sampler: labels travel from the data source through the loss to
 * the network's label embedding, the trained teacher's output depends on the label, and missing or surplus labels
 * are refused with the reason.
 */
class ConditionalUNetTest {
    private static final KarrasSchedule GRID = KarrasSchedule.DEFAULT;

    /** 8x8 images, two classes; otherwise the configuration of {@link UNetTrainingPipelineTest}. */
    private static UNet.Config net(float dropout) {
        return new UNet.Config(8, 1, 1, 8, List.of(1, 2), 1, List.of(4), dropout, 2, 1, -1, false, false, true, 4);
    }

    /** Class 0: a bright left half; class 1: a bright right half; labels alternate with a random start. */
    private static final DataSource HALVES = DataSource.labelled((n, rng) -> {
        Tensor x = Tensor.zeros(n, 1, 8, 8);
        int[] labels = new int[n];
        int first = rng.nextInt(2);
        for (int b = 0; b < n; b++) {
            labels[b] = (first + b) % 2;
            for (int i = 0; i < 64; i++) {
                boolean left = i % 8 < 4;
                x.data()[b * 64 + i] = left == (labels[b] == 0) ? 0.5f : -0.5f;
            }
        }
        return new DataSource.Batch(x, labels);
    });

    private static Preconditioned model(UNet.Config c, Preconditioning p, long seed) {
        return new Preconditioned(UNetNet.create(c, new Rng(seed)), p);
    }

    @Test
    void everyTrainerAndSamplerCarriesLabels() {
        EdmTeacherTrainer teacher = new EdmTeacherTrainer(model(net(0f), Preconditioning.edm(0.5), 1), HALVES,
                EdmTeacherTrainer.Config.edm(), OptimConfig.adam(40, 16, 2e-3), 11);
        teacher.train();
        Preconditioned ema = teacher.emaModel();

        // after training the denoiser's answer for the same noisy input depends on the class asked for
        Tensor z = new Rng(5).normal(2, 1, 8, 8);
        float[] sigma = {1f, 1f};
        Tensor asLeft = ema.denoiser().denoise(z, sigma, new int[] {0, 0});
        Tensor asRight = ema.denoiser().denoise(z, sigma, new int[] {1, 1});
        double leftMinusRight = 0;
        for (int i = 0; i < 128; i++) {
            double sign = i % 8 < 4 ? 1 : -1;
            leftMinusRight += sign * (asLeft.data()[i] - asRight.data()[i]);
        }
        assertTrue(leftMinusRight > 10, "class 0 brightens the left half relative to class 1: " + leftMinusRight);

        int[] labels = {0, 1, 1, 0};
        Tensor x = EdmSampler.heun(GRID, 6).sample(ema.denoiser().withLabels(labels),
                new Rng(6).normal(4, 1, 8, 8), (NoiseSource) null);
        assertArrayEquals(new int[] {4, 1, 8, 8}, x.shape());

        Preconditioning cm = Preconditioning.consistency(0.5, GRID.sigmaMin());
        ConsistencyDistillation cd = new ConsistencyDistillation(Preconditioned.fromTeacher(ema, cm), ema.denoiser(),
                HALVES, new ConsistencyDistillation.Config(18, OdeSolver.HEUN, 0.95, Distance.L2, 0f, GRID),
                OptimConfig.adam(3, 8, 1e-4), 12);
        ConsistencyTraining ct = new ConsistencyTraining(model(net(0f), cm, 2), HALVES,
                new ConsistencyTraining.Config(CtSchedule.cifar10(3), Distance.PSEUDO_HUBER, Distance.ictHuberC(64),
                        GRID), OptimConfig.adam(3, 8, 1e-4), 13);
        ImprovedConsistencyTraining ict = new ImprovedConsistencyTraining(model(net(0.1f), cm, 3), HALVES,
                new ImprovedConsistencyTraining.Config(IctSchedule.paper(3), Distance.ictHuberC(64)),
                OptimConfig.adam(3, 8, 1e-4), 14);
        MultistepSampler sampler = MultistepSampler.images(GRID);
        for (Trainer t : new Trainer[] {cd, ct, ict}) {
            t.train();
            assertTrue(t.losses().stream().allMatch(Double::isFinite), t.phase() + " losses are finite");
            Denoiser f = t.emaModel().denoiser();
            Tensor s = sampler.sampleAtIndices(f.withLabels(labels), new int[] {4, 1, 8, 8}, new int[] {0, 22, 39},
                    40, NoiseSource.of(new Rng(7)));
            assertArrayEquals(new int[] {4, 1, 8, 8}, s.shape(), t.phase());
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                    () -> sampler.sample(f, new Rng(8).normal(4, 1, 8, 8), new double[] {80}, (NoiseSource) null));
            assertTrue(e.getMessage().contains("class-conditional (2 classes)"), t.phase() + ": " + e.getMessage());
        }
    }

    @Test
    void labelsAreCheckedAgainstTheNetwork() {
        Preconditioned conditional = model(net(0f), Preconditioning.edm(0.5), 1);
        Tensor x = Tensor.zeros(2, 1, 8, 8);
        float[] sigma = {1f, 1f};
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> conditional.forward(x, sigma, new int[] {0, 2}));
        assertTrue(e.getMessage().contains("label 2 of sample 1 is outside [0, 2)"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> conditional.forward(x, sigma, new int[] {0}));
        assertTrue(e.getMessage().contains("1 labels for a batch of 2"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class,
                () -> conditional.denoiser().withLabels(new int[] {0, 1, 1}).denoise(x, sigma));
        assertTrue(e.getMessage().contains("3 bound labels"), e.getMessage());

        Preconditioned unconditional = new Preconditioned(UNetNet.create(new UNet.Config(8, 1, 1, 8, List.of(1, 2), 1, List.of(4), 0f, 0, 1, -1,
                false, false, true, 4), new Rng(1)),
                Preconditioning.edm(0.5));
        e = assertThrows(IllegalArgumentException.class, () -> unconditional.forward(x, sigma, new int[] {0, 1}));
        assertTrue(e.getMessage().contains("unconditional but 2 labels were given"), e.getMessage());
    }
}
