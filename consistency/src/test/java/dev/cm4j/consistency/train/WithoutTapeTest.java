package dev.cm4j.consistency.train;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.cm4j.autodiff.NoGrad;
import dev.cm4j.tensor.BufferArena;
import dev.cm4j.tensor.BufferPool;
import dev.cm4j.tensor.Tensor;
import org.junit.jupiter.api.Test;

/** {@link Trainer#withoutTape}: a target or teacher pass gives its activations back when it returns. */
class WithoutTapeTest {
    @Test
    void theActivationsGoBackAndTheResultOutlivesTheStep() {
        BufferPool pool = new BufferPool();
        Tensor result;
        try (BufferArena step = pool.open()) {
            result = Trainer.withoutTape(() -> {
                assertTrue(NoGrad.active(), "the pass runs without a tape");
                Tensor activation = Tensor.output(1000).fill(2f);
                return Tensor.output(10).fill(activation.get(999) + 1f);
            });
            assertFalse(NoGrad.active());
            // the 1000-float activation is back in the pool before the step's online pass borrows; the result is not
            assertEquals(4000, pool.freeBytes());
            assertFalse(BufferArena.isLent(result));
        }
        assertEquals(3f, result.get(9), "the result is the caller's after the step's arena closed");
    }

    @Test
    void outsideAnArenaThePassSimplyRuns() {
        Tensor result = Trainer.withoutTape(() -> Tensor.output(4).fill(1f));
        assertEquals(1f, result.get(3));
        assertFalse(NoGrad.active());
    }
}
