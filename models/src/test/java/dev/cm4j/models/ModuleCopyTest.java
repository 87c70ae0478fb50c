package dev.cm4j.models;

import dev.cm4j.autodiff.Var;
import dev.cm4j.tensor.Rng;
import dev.cm4j.tensor.Tensor;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotSame;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Module.copy(): the copy continues bit for bit as the original would, and the two are independent. */
class ModuleCopyTest {
    private static final ToyMlp.Config CONFIG = new ToyMlp.Config(2, 32, 3, 16, 10, 0.3f);

    /** Random non-zero weights everywhere, so every layer shows in the output (a fresh MLP outputs 0). */
    private static void randomise(Module m, Rng rng) {
        m.stateDict().forEach((k, v) -> v.copyFrom(rng.normal(v.shape()).mul(0.5f)));
    }

    private static Tensor run(ToyMlp mlp, long seed) {
        Rng r = new Rng(seed);
        return mlp.forward(Var.constant(r.normal(8, 2)), Var.constant(r.normal(8))).value();
    }

    @Test
    void toyMlpCopyContinuesWithTheSameDropoutMasksBitForBit() {
        ToyMlp mlp = new ToyMlp(CONFIG, new Rng(11, 5));
        randomise(mlp, new Rng(12));
        run(mlp, 1); // move the dropout generators off position 0
        ToyMlp copy = mlp.copy();
        assertEquals(mlp.rngPositions(), copy.rngPositions());
        for (long call = 2; call < 5; call++) {
            Tensor a = run(mlp, call);
            Tensor b = run(copy, call);
            assertEquals(0f, a.maxAbsDiff(b), "call " + call + " in train mode (dropout active)");
        }
        mlp.rngs().forEach((path, r) -> {
            Rng c = copy.rngs().get(path);
            assertNotSame(r, c, path + ": the copy has a generator of its own");
            assertEquals(r.seed(), c.seed(), path);
            assertEquals(r.stream(), c.stream(), path);
        });
        assertEquals(CONFIG, copy.config());
    }

    @Test
    void copyIsIndependentOfTheOriginal() {
        ToyMlp mlp = new ToyMlp(CONFIG, new Rng(3));
        randomise(mlp, new Rng(4));
        mlp.eval();
        ToyMlp copy = mlp.copy();
        Tensor before = run(mlp, 7);
        assertEquals(0f, before.maxAbsDiff(run(copy, 7)), "eval mode, same weights");
        copy.stateDict().forEach((k, v) -> v.copyFrom(v.mul(2f)));
        assertEquals(0f, before.maxAbsDiff(run(mlp, 7)), "the original is unchanged by a change of the copy");
        copy.train(true);
        run(copy, 8);
        assertFalse(mlp.isTraining(), "modes are per instance");
        mlp.rngPositions().values().forEach(p -> assertEquals(0L, p, "the original's generators did not move"));
    }

    @Test
    void copyKeepsModesPerModuleAndFrozenParameters() {
        ToyMlp mlp = new ToyMlp(CONFIG, new Rng(3));
        ((Module) mlp.net().get(2)).eval(); // the dropout after the first hidden layer
        mlp.namedParameters().get("net.0.weight").setRequiresGrad(false);
        ToyMlp copy = mlp.copy();
        mlp.namedModules().forEach((path, m) -> assertEquals(m.isTraining(), copy.namedModules().get(path)
                .isTraining(), path));
        mlp.namedParameters().forEach((name, p) -> assertEquals(p.requiresGrad(), copy.namedParameters().get(name)
                .requiresGrad(), name));
        assertFalse(copy.namedModules().get("net.2").isTraining());
        assertFalse(copy.namedParameters().get("net.0.weight").requiresGrad());
    }

    @Test
    void layersAndContainersCopy() {
        Rng rng = new Rng(9);
        Sequential s = new Sequential(new Linear(3, 4, rng), new SiLU(), new Dropout(0.5f, new Rng(2, 7)),
                new Conv2d(1, 2, 3, 2, 1, false, Init.Scheme.PYTORCH, rng));
        Sequential c = s.copy();
        assertEquals(s.stateDict().keySet(), c.stateDict().keySet());
        s.stateDict().forEach((k, v) -> assertEquals(0f, v.maxAbsDiff(c.stateDict().get(k)), k));
        assertSame(Dropout.class, c.get(2).getClass());
        assertEquals(0.5f, ((Dropout) c.get(2)).p());
        Embedding e = new Embedding(5, 3, rng);
        assertEquals(0f, e.weight().value().maxAbsDiff(e.copy().weight().value()));
        GaussianFourierProjection g = new GaussianFourierProjection(4, 16f, rng);
        assertEquals(0f, g.stateDict().get("W").maxAbsDiff(g.copy().stateDict().get("W")));
        GroupNorm n = new GroupNorm(2, 4, 1e-6f);
        assertEquals(n.stateDict().keySet(), n.copy().stateDict().keySet());
        ModuleList<Linear> list = new ModuleList<>();
        list.add(new Linear(2, 2, rng));
        assertEquals(0f, list.get(0).weight().value().maxAbsDiff(list.copy().get(0).weight().value()));
    }

    @Test
    void aModuleWithoutBlankRefusesToCopy() {
        Module m = new Module() { };
        UnsupportedOperationException e = assertThrows(UnsupportedOperationException.class, m::copy);
        assertTrue(e.getMessage().contains("cannot be copied"), e.getMessage());
    }
}
