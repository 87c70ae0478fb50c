package dev.cm4j.tornado;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.Map;

import dev.cm4j.autodiff.Losses;
import dev.cm4j.autodiff.Var;
import dev.cm4j.autodiff.optim.Adam;
import dev.cm4j.models.Conv2d;
import dev.cm4j.models.GroupNorm;
import dev.cm4j.models.Sequential;
import dev.cm4j.models.SiLU;
import dev.cm4j.models.unet.AttentionBlock;
import dev.cm4j.tensor.Rng;
import dev.cm4j.tensor.Tensor;
import dev.cm4j.tensor.backend.Backend;
import dev.cm4j.tensor.backend.Backends;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * One Adam training step of a small network of convolutions, group norm and an attention block, on the CPU backend
 * and on the TornadoVM backend (both kernel families): the losses before and after the step and every parameter's
 * gradient agree to 1e-4.
 */
class TrainingStepDeviceTest {

    /** Loss before the step, loss after it, and the gradients of the step by parameter name. */
    private record Step(float loss, float lossAfter, Map<String, float[]> grads) {
    }

    @AfterEach
    void restoreCpu() {
        SwitchBackendProvider.target = Backends.cpu();
    }

    @Test
    void tornadoStepMatchesCpuStep() {
        assertEquals("switch", Backends.current().name(), "the test JVM must run with -Dcm4j.backend=switch");
        Step cpu = step(Backends.cpu());
        for (boolean tiled : new boolean[] {true, false}) {
            try (TornadoBackend tornado = TornadoBackend.open(tiled, 0)) {
                Step dev = step(tornado);
                String family = tiled ? "tiled" : "parallel";
                DeviceCheck.assertClose("training loss " + family, new float[] {cpu.loss()}, new float[] {dev.loss()});
                DeviceCheck.assertClose("training loss after the step " + family, new float[] {cpu.lossAfter()},
                        new float[] {dev.lossAfter()});
                for (Map.Entry<String, float[]> g : cpu.grads().entrySet()) {
                    DeviceCheck.assertClose("grad " + g.getKey() + " " + family, g.getValue(),
                            dev.grads().get(g.getKey()));
                }
                System.out.println(family + ": " + tornado.planCount() + " execution plans");
            }
        }
    }

    /** Builds the network from fixed seeds and runs forward, backward, an Adam step and a second forward on {@code b}. */
    private static Step step(Backend b) {
        SwitchBackendProvider.target = b;
        Rng init = new Rng(41);
        Sequential net = new Sequential(
                Conv2d.same3x3(3, 16, init),
                new GroupNorm(4, 16),
                new SiLU(),
                new AttentionBlock(16, 2, 4, init),
                Conv2d.same3x3(16, 3, init));
        // every parameter random, so the zero-initialised attention projection carries signal in the forward pass too
        Rng fill = new Rng(42);
        for (Var p : net.parameters()) {
            Tensor v = p.value();
            fill.fillNormal(v.data(), v.offset(), v.size(), 0f, 0.3f);
        }
        Rng data = new Rng(43);
        Var x = Var.constant(data.normal(2, 3, 8, 8));
        Var target = Var.constant(data.normal(2, 3, 8, 8));
        Adam adam = new Adam(net.namedParameters(), 1e-2);

        Var loss = Losses.msePerSample(net.forward(x), target).mean();
        loss.backward();
        Map<String, float[]> grads = new java.util.TreeMap<>();
        for (Map.Entry<String, Var> p : net.namedParameters().entrySet()) {
            Tensor g = p.getValue().grad();
            float[] copy = new float[g.size()];
            System.arraycopy(g.data(), g.offset(), copy, 0, copy.length);
            grads.put(p.getKey(), copy);
        }
        adam.step();
        adam.zeroGrad();
        float after = Losses.msePerSample(net.forward(x), target).mean().item();
        return new Step(loss.item(), after, grads);
    }
}
