package dev.cm4j.models;

import dev.cm4j.autodiff.Losses;
import dev.cm4j.autodiff.Var;
import dev.cm4j.autodiff.optim.Adam;
import dev.cm4j.models.unet.AttentionBlock;
import dev.cm4j.models.unet.Downsample;
import dev.cm4j.models.unet.Upsample;
import dev.cm4j.tensor.Rng;
import dev.cm4j.tensor.Tensor;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * A small convolutional network with every image layer (conv, group norm, SiLU, attention block, average pooling,
 * strided and upsampling convolutions) overfits a fixed batch: the loss falls at least 100-fold.
 */
class ConvNetLearningTest {

    static final class SmallNet extends Module implements Layer {
        final Sequential body;
        final Linear head;

        SmallNet(Rng rng) {
            body = registerModule("body", new Sequential(
                    Conv2d.same3x3(3, 16, rng), new GroupNorm(4, 16), new SiLU(),
                    new AttentionBlock(16, 2, 4, rng),
                    new Downsample(16, false, 16, null),
                    new Downsample(16, true, 16, rng), new SiLU(),
                    new Upsample(16, true, 8, rng), new GroupNorm(4, 8), new SiLU()));
            head = registerModule("head", new Linear(8 * 4 * 4, 5, rng));
        }

        @Override
        public Var forward(Var x) {
            Var h = body.forward(x);
            return head.forward(h.reshape(h.dim(0), -1));
        }
    }

    @Test
    void convNetOverfitsAFixedBatch() {
        Rng rng = new Rng(11);
        SmallNet net = new SmallNet(rng);
        Var x = Var.constant(rng.normal(8, 3, 8, 8));
        Var y = Var.constant(rng.normal(8, 5));
        Adam opt = new Adam(net.namedParameters(), 3e-3);
        float first = 0, last = 0;
        for (int step = 0; step < 60; step++) {
            opt.zeroGrad();
            Var loss = Losses.msePerSample(net.forward(x), y).mean();
            loss.backward();
            opt.step();
            if (step == 0) {
                first = loss.item();
            }
            last = loss.item();
        }
        assertTrue(last * 100 <= first, "loss " + first + " -> " + last + " (needs a 100x fall)");
        Tensor attnProj = net.stateDict().get("body.3.proj_out.weight");
        assertTrue(attnProj.abs().sum().item() > 0, "the zero-initialised attention projection must have learned");
    }
}
