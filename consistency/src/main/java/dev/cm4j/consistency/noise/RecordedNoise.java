package dev.cm4j.consistency.noise;

import dev.cm4j.tensor.Tensor;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/** A {@link NoiseSource} that hands out a recorded sequence of draws, each checked against the shape requested. */
public final class RecordedNoise implements NoiseSource {
    private final List<Tensor> draws;
    private int next;

    RecordedNoise(List<Tensor> draws) {
        if (draws == null) {
            throw new IllegalArgumentException("NoiseSource.recorded: the list of draws is null");
        }
        this.draws = new ArrayList<>(draws.size());
        for (int i = 0; i < draws.size(); i++) {
            if (draws.get(i) == null) {
                throw new IllegalArgumentException("NoiseSource.recorded: draw " + i + " is null");
            }
            this.draws.add(draws.get(i).copy());
        }
    }

    @Override
    public Tensor normal(int... shape) {
        if (next >= draws.size()) {
            throw new IllegalStateException("RecordedNoise: draw " + (next + 1) + " of shape "
                    + Arrays.toString(shape) + " requested, but the recording holds only " + draws.size()
                    + " draws");
        }
        Tensor d = draws.get(next);
        if (!Arrays.equals(d.shape(), shape)) {
            throw new IllegalArgumentException("RecordedNoise: draw " + (next + 1) + " of " + draws.size()
                    + " was requested with shape " + Arrays.toString(shape) + " but was recorded with shape "
                    + Arrays.toString(d.shape()));
        }
        next++;
        return d.copy();
    }

    @Override
    public long draws() {
        return next;
    }

    /** Recorded draws not yet handed out; a replay that matches its recording ends at 0. */
    public int remaining() {
        return draws.size() - next;
    }
}
