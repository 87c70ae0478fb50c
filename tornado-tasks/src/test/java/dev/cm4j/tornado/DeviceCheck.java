package dev.cm4j.tornado;

import static org.junit.jupiter.api.Assertions.fail;

import dev.cm4j.tensor.Rng;

/** Comparisons of device results with CPU results: the relative error is max |got - want| / max |want|. */
final class DeviceCheck {
    /** The bound the device tests hold every offloaded fp32 op to. */
    static final double REL_TOL = 1e-4;

    private DeviceCheck() {
    }

    /** Fails unless {@code got} matches {@code want} to {@link #REL_TOL}; prints the errors either way. */
    static double assertClose(String what, float[] want, float[] got) {
        return assertClose(what, want, 0, got, 0, want.length);
    }

    static double assertClose(String what, float[] want, int wantOff, float[] got, int gotOff, int n) {
        double scale = 0;
        double worst = 0;
        int at = 0;
        for (int i = 0; i < n; i++) {
            double w = want[wantOff + i];
            double g = got[gotOff + i];
            scale = Math.max(scale, Math.abs(w));
            double diff = Math.abs(g - w);
            if (!(diff <= worst)) {         // also catches NaN
                worst = diff;
                at = i;
            }
        }
        double rel = scale == 0 ? worst : worst / scale;
        String line = String.format("%s: max diff %.3g at %d (want %.6g, got %.6g), max |want| %.3g, relative %.3g",
                what, worst, at, want[wantOff + at], got[gotOff + at], scale, rel);
        if (!(rel <= REL_TOL)) {
            fail(line + " > " + REL_TOL);
        }
        System.out.println("OK " + line);
        return rel;
    }

    static float[] normal(Rng rng, int n) {
        float[] x = new float[n];
        rng.fillNormal(x, 0, n);
        return x;
    }
}
