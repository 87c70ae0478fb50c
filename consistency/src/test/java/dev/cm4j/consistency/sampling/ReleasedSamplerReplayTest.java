package dev.cm4j.consistency.sampling;

import static dev.cm4j.consistency.ReleasedFixtures.floats;
import static dev.cm4j.consistency.ReleasedFixtures.ints;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import dev.cm4j.consistency.ReleasedFixtures;
import dev.cm4j.autodiff.Var;
import dev.cm4j.consistency.KarrasSchedule;
import dev.cm4j.consistency.model.CNoise;
import dev.cm4j.consistency.model.Denoiser;
import dev.cm4j.consistency.model.NoiseConditionedNet;
import dev.cm4j.consistency.model.Preconditioned;
import dev.cm4j.consistency.model.Preconditioning;
import dev.cm4j.consistency.noise.NoiseSource;
import dev.cm4j.consistency.noise.RecordedNoise;
import dev.cm4j.models.Module;
import dev.cm4j.tensor.Tensor;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.junit.jupiter.api.Test;

/**
 * Replays runs of the released {@code karras_sample} (openai/consistency_models; the fixtures and the script that
 * recorded them are described in {@code src/test/resources/dev/cm4j/consistency/sampling/released/README.md}): the
 * recorded Gaussian draws are fed through a {@link RecordedNoise}, the network is the same analytic function
 * F(u, c) = tanh(u + 0.1 c / 250), and every network call (its input c_in x and its c_noise), the number of draws and
 * the final sample must match. This checks the draw order, the preconditioning, the 250 ln sigma encoding, the
 * clamps and the noise scales against the released code, step by step.
 */
class ReleasedSamplerReplayTest {
    private static final KarrasSchedule GRID = KarrasSchedule.DEFAULT;
    /** Both sides compute in float32 with operations in other orders: allow a few float32 ulps. */
    private static final double RTOL = 2e-5;
    private static final double ATOL = 2e-5;

    /** The analytic network; records each call's input and c_noise. */
    private static final class AnalyticNet implements NoiseConditionedNet {
        final List<float[]> inputs = new ArrayList<>();
        final List<float[]> cNoises = new ArrayList<>();

        @Override
        public Var forward(Var input, Var cNoise, int[] labels) {
            Tensor u = input.value();
            Tensor c = cNoise.value();
            inputs.add(u.toArray());
            cNoises.add(c.toArray());
            int per = u.size() / u.dim(0);
            float[] out = new float[u.size()];
            for (int i = 0; i < out.length; i++) {
                float ci = c.data()[c.offset() + i / per];
                out[i] = (float) Math.tanh(u.data()[u.offset() + i] + 0.1f * ci / 250f);
            }
            return Var.constant(Tensor.wrap(out, u.shape()));
        }

        @Override
        public CNoise cNoise() {
            return CNoise.ADM;
        }

        @Override
        public Module module() {
            return new Module() {
            };
        }

        @Override
        public NoiseConditionedNet copy() {
            return this;
        }
    }

    private static JsonNode fixture(String name) throws IOException {
        return ReleasedFixtures.read(ReleasedSamplerReplayTest.class, name);
    }


    private static RecordedNoise draws(JsonNode run) {
        List<Tensor> draws = new ArrayList<>();
        for (JsonNode d : run.get("draws")) {
            draws.add(Tensor.wrap(floats(d.get("values")), ints(d.get("shape"))));
        }
        return NoiseSource.recorded(draws);
    }

    private static void assertClose(float[] expected, float[] actual, String what) {
        assertEquals(expected.length, actual.length, what + ": length");
        double worst = 0;
        int at = -1;
        for (int i = 0; i < expected.length; i++) {
            double err = Math.abs(expected[i] - actual[i]) - (ATOL + RTOL * Math.abs(expected[i]));
            if (at < 0 || err > worst) {
                worst = err;
                at = i;
            }
        }
        assertTrue(worst <= 0, what + ": element " + at + " is " + actual[at] + ", the released run has "
                + expected[at]);
    }

    /** Runs {@code sampler} on the fixture's draws and compares every call and the sample. */
    private static void replay(String name, boolean distillation, SamplerCall sampler) throws IOException {
        JsonNode run = fixture(name);
        assertEquals(distillation, run.get("distillation").asBoolean(), name);
        AnalyticNet net = new AnalyticNet();
        Preconditioning p = distillation ? Preconditioning.consistency(0.5, GRID.sigmaMin()) : Preconditioning.edm(0.5);
        Denoiser model = new Preconditioned(net, p).denoiser();
        RecordedNoise noise = draws(run);
        Tensor sample = sampler.run(model, ints(run.get("shape")), noise);

        JsonNode calls = run.get("calls");
        assertEquals(calls.size(), net.inputs.size(), name + ": network calls");
        for (int k = 0; k < calls.size(); k++) {
            assertClose(floats(calls.get(k).get("input")), net.inputs.get(k), name + " call " + k + " input c_in x");
            assertClose(floats(calls.get(k).get("c_noise")), net.cNoises.get(k), name + " call " + k + " c_noise");
        }
        assertEquals(0, noise.remaining(), name + ": every recorded draw is used");
        assertClose(floats(run.get("sample")), sample.toArray(), name + " sample");
    }

    @FunctionalInterface
    private interface SamplerCall {
        Tensor run(Denoiser model, int[] shape, NoiseSource noise);
    }

    @ParameterizedTest
    @ValueSource(strings = {"multistep_ts_0_22_39", "multistep_ts_0_10_25_39"})
    void multistepSamplerReplaysTheReleasedRun(String name) throws IOException {
        int[] ts = ints(fixture(name).get("ts"));
        replay(name, true, (f, shape, noise) -> MultistepSampler.images(GRID).sampleAtIndices(f, shape, ts, 40, noise));
    }

    @Test
    void oneStepSamplerReplaysTheReleasedRun() throws IOException {
        replay("onestep", true, (f, shape, noise) -> MultistepSampler.images(GRID).sample(f, shape,
                new double[] {GRID.sigmaMax()}, noise));
    }

    @Test
    void edmSamplerReplaysTheReleasedRun() throws IOException {
        replay("heun_18", false, (f, shape, noise) -> EdmSampler.images(GRID, 18).sample(f, shape, noise));
    }

    @Test
    void edmSamplerWithChurnReplaysTheReleasedRun() throws IOException {
        JsonNode run = fixture("heun_18_churn");
        EdmSampler sampler = EdmSampler.images(GRID, 18).withChurn(run.get("s_churn").asDouble(),
                run.get("s_tmin").asDouble(), run.get("s_tmax").asDouble(), run.get("s_noise").asDouble());
        replay("heun_18_churn", false, (f, shape, noise) -> sampler.sample(f, shape, noise));
    }

    @Test
    void aRecordingThatRunsOutOrHasTheWrongShapeIsRefused() throws IOException {
        JsonNode run = fixture("multistep_ts_0_22_39");
        List<Tensor> two = new ArrayList<>();
        for (int i = 0; i < 2; i++) {
            JsonNode d = run.get("draws").get(i);
            two.add(Tensor.wrap(floats(d.get("values")), ints(d.get("shape"))));
        }
        Denoiser model = new Preconditioned(new AnalyticNet(), Preconditioning.consistency(0.5, GRID.sigmaMin()))
                .denoiser();
        IllegalStateException out = assertThrows(IllegalStateException.class, () -> MultistepSampler.images(GRID)
                .sampleAtIndices(model, new int[] {2, 3, 4, 4}, new int[] {0, 22, 39}, 40, NoiseSource.recorded(two)));
        assertTrue(out.getMessage().contains("draw 3 of shape [2, 3, 4, 4] requested, but the recording holds only 2"),
                out.getMessage());
        IllegalArgumentException shape = assertThrows(IllegalArgumentException.class, () -> MultistepSampler
                .images(GRID).sampleAtIndices(model, new int[] {1, 3, 4, 4}, new int[] {0, 22, 39}, 40,
                        NoiseSource.recorded(two)));
        assertTrue(shape.getMessage().contains("draw 1 of 2 was requested with shape [1, 3, 4, 4] but was recorded "
                + "with shape [2, 3, 4, 4]"), shape.getMessage());
    }
}
