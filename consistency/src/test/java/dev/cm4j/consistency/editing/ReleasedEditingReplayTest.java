package dev.cm4j.consistency.editing;

import static dev.cm4j.consistency.ReleasedFixtures.floats;
import static dev.cm4j.consistency.ReleasedFixtures.ints;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import dev.cm4j.consistency.ReleasedFixtures;
import dev.cm4j.consistency.KarrasSchedule;
import dev.cm4j.consistency.model.Denoiser;
import dev.cm4j.consistency.noise.NoiseSource;
import dev.cm4j.consistency.noise.RecordedNoise;
import dev.cm4j.tensor.Tensor;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * Replays runs of the released {@code iterative_colorization} and {@code iterative_superres} (fixtures described in
 * {@code src/test/resources/dev/cm4j/consistency/editing/released/README.md}): the same start x_T, the same recorded
 * draws and the same analytic distiller; every distiller input, the reference and the result must match. This checks
 * the order of clamp, replacement and noise, the noise scales, the bases (EJML's QR against numpy's) and the patch
 * layout against the released code, step by step.
 */
class ReleasedEditingReplayTest {
    private static final KarrasSchedule GRID = KarrasSchedule.DEFAULT;
    /** float32 on both sides, operations in other orders (einsum vs loops, QR from other libraries). */
    private static final double TOL = 3e-5;

    private static JsonNode fixture(String name) throws IOException {
        return ReleasedFixtures.read(ReleasedEditingReplayTest.class, name);
    }


    private static double maxDiff(float[] expected, float[] actual, String what) {
        assertEquals(expected.length, actual.length, what + ": length");
        double worst = 0;
        for (int i = 0; i < expected.length; i++) {
            worst = Math.max(worst, Math.abs(expected[i] - actual[i]));
        }
        assertTrue(worst < TOL, what + ": max |released - cm4j| = " + worst);
        return worst;
    }

    private static void replay(String name, Edit edit) throws IOException {
        JsonNode run = fixture(name);
        int[] shape = ints(run.get("shape"));
        int[] ts = ints(run.get("ts"));
        int steps = run.get("steps").asInt();
        Tensor images = Tensor.wrap(floats(run.get("images")), shape);
        List<Tensor> draws = new ArrayList<>();
        for (JsonNode d : run.get("draws")) {
            draws.add(Tensor.wrap(floats(d.get("values")), ints(d.get("shape"))));
        }
        Tensor start = draws.get(0).mul(80f);
        RecordedNoise noise = NoiseSource.recorded(draws.subList(1, draws.size()));

        List<float[]> inputs = new ArrayList<>();
        List<Float> times = new ArrayList<>();
        Denoiser distiller = (x, sigma, labels) -> {
            inputs.add(x.toArray());
            times.add(sigma[0]);
            int per = x.size() / x.dim(0);
            float[] out = new float[x.size()];
            for (int i = 0; i < out.length; i++) {
                double v = x.data()[x.offset() + i];
                out[i] = (float) (1.5 * Math.tanh(v / (1 + sigma[i / per]) + 0.2 * Math.sin(3 * v)));
            }
            return Tensor.wrap(out, x.shape());
        };
        ZeroShotEditor editor = ZeroShotEditor.images(GRID);
        Tensor ref = edit.reference(images);
        double worst = maxDiff(floats(run.get("reference")), ref.toArray(), name + " reference");
        double[] tau = editor.indicesToSigmas(ts, steps);
        double tEnd = GRID.clip(GRID.sigma(ts[ts.length - 1], steps));
        Tensor result = editor.run(distiller, edit, ref, start, tau, tEnd, noise, ZeroShotEditor.StepListener.NONE);

        JsonNode calls = run.get("calls");
        assertEquals(calls.size(), inputs.size(), name + ": distiller calls");
        for (int k = 0; k < calls.size(); k++) {
            assertEquals(calls.get(k).get("t").get(0).asDouble(), times.get(k), 1e-6 * times.get(k), name + " t " + k);
            worst = Math.max(worst, maxDiff(floats(calls.get(k).get("x")), inputs.get(k), name + " call " + k + " x"));
        }
        assertEquals(0, noise.remaining(), name + ": every recorded draw is used");
        worst = Math.max(worst, maxDiff(floats(run.get("result")), result.toArray(), name + " result"));
        System.out.printf("%s: max |released - cm4j| over reference, distiller inputs and result = %.2e%n", name,
                worst);
    }

    @Test
    void colorizationReplaysTheReleasedRun() throws IOException {
        replay("colorization_ts_0_20_39", Edit.colorization(4, 4));
    }

    @Test
    void superResolutionReplaysTheReleasedRun() throws IOException {
        replay("superres_ts_0_10_25_39", Edit.superResolution(3, 16, 16, 8));
    }
}
