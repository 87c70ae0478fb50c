package dev.cm4j.models;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.cm4j.autodiff.Losses;
import dev.cm4j.autodiff.Var;
import dev.cm4j.autodiff.optim.Adam;
import dev.cm4j.models.unet.UNet;
import dev.cm4j.tensor.BufferArena;
import dev.cm4j.tensor.BufferPool;
import dev.cm4j.tensor.Rng;
import dev.cm4j.tensor.Tensor;
import java.util.function.Function;
import org.junit.jupiter.api.Test;

/**
 * Training steps with every step inside a {@link BufferArena} (activations and gradients lent by a {@link BufferPool}
 * and given back during the backward pass and at the step's end) against the same steps without one: the losses and
 * every weight after several Adam steps must be the same bits, with 1 and 2 threads (each count in its own JVM, since
 * the pool size is fixed per JVM).
 */
class PooledTrainingTest {
    private static final int STEPS = 3;

    /** Digests of the losses and weights of STEPS Adam steps of both networks; pooled or not. */
    public static final class Digests {
        public static void main(String[] args) {
            System.out.print(run(true) + run(false));
        }

        static String run(boolean pooled) {
            StringBuilder sb = new StringBuilder();
            Rng rng = new Rng(11);
            UNet unet = new UNet(UNet.Config.small28(), rng);
            Var x = Var.constant(rng.normal(3, 1, 28, 28));
            Var c = Var.constant(rng.uniform(-2f, 2f, 3));
            Var target = Var.constant(rng.normal(3, 1, 28, 28));
            sb.append("unet ").append(train(unet, pooled, n -> unet.forward(x, c, null), target));
            ToyMlp mlp = new ToyMlp(ToyMlp.Config.small2d(), rng);
            Var p = Var.constant(rng.normal(64, 2));
            Var s = Var.constant(rng.uniform(-1f, 1f, 64));
            Var t2 = Var.constant(rng.normal(64, 2));
            sb.append("mlp ").append(train(mlp, pooled, n -> mlp.forward(p, s), t2));
            return sb.toString();
        }

        private static String train(Module net, boolean pooled, Function<Integer, Var> forward, Var target) {
            Adam adam = new Adam(net.namedParameters(), 1e-3);
            BufferPool pool = new BufferPool(pooled);
            StringBuilder sb = new StringBuilder();
            long[] allocated = new long[STEPS];
            for (int step = 0; step < STEPS; step++) {
                try (BufferArena arena = pool.open()) {
                    adam.zeroGrad();
                    Var loss = Losses.msePerSample(forward.apply(step), target).mean();
                    loss.backward();
                    adam.step();
                    sb.append(Integer.toHexString(Float.floatToRawIntBits(loss.item()))).append(' ');
                    adam.zeroGrad();
                }
                allocated[step] = pool.counts()[1];
            }
            if (pooled && allocated[STEPS - 1] != allocated[1]) {
                throw new AssertionError("the pool allocated new arrays after the second step: " + pool);
            }
            long h = 17;
            for (Var v : net.namedParameters().values()) {
                for (float f : v.value().toArray()) {
                    h = h * 1_000_003L + Float.floatToRawIntBits(f);
                }
            }
            return sb.append(Long.toHexString(h)).append('\n').toString();
        }
    }

    @Test
    void pooledStepsGiveTheSameBitsAsUnpooledWithOneAndTwoThreads() throws Exception {
        String plain = Digests.run(false);
        assertEquals(plain, Digests.run(true), "pooled vs not, this JVM");
        assertEquals(2, plain.lines().count());
        String both = plain + plain;
        assertEquals(both, ChildJvm.run(Digests.class, 1), "1 thread, pooled and not");
        assertEquals(both, ChildJvm.run(Digests.class, 2), "2 threads, pooled and not");
    }

    @Test
    void anIntermediateValueReadAfterBackwardIsReportedNotReused() {
        Rng rng = new Rng(2);
        ToyMlp mlp = new ToyMlp(ToyMlp.Config.small2d(), rng);
        Var p = Var.constant(rng.normal(8, 2));
        Var s = Var.constant(rng.uniform(-1f, 1f, 8));
        BufferPool pool = new BufferPool(true);
        Tensor loss;
        try (BufferArena arena = pool.open()) {
            Var out = mlp.forward(p, s);
            Var l = out.square().mean();
            l.backward();
            // the network's output was consumed by the backward pass and given back: reading it is an error
            IllegalStateException e = assertThrows(IllegalStateException.class, () -> out.value().toArray());
            assertTrue(e.getMessage().contains("backward pass consumed it"), e.getMessage());
            // the loss (the root) stays readable until the arena closes, and a kept tensor after it
            loss = BufferArena.keep(l.value());
        }
        assertTrue(Float.isFinite(loss.item()));
        // the weight gradients (matrix products) were lent too, and went back with the arena: zeroGrad inside it
        long given = mlp.namedParameters().values().stream().filter(v -> {
            try {
                v.grad().toArray();
                return false;
            } catch (IllegalStateException e) {
                return true;
            }
        }).count();
        assertTrue(given > 0, "no parameter gradient was lent");
    }
}
