package dev.cm4j.tensor.backend;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;

import dev.cm4j.tensor.kernels.ConvolutionShape;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The selection rules of {@link Backends} with stand-in providers. */
class BackendsTest {

    /** A provider whose availability is fixed; its backend delegates to the CPU under another name. */
    private record FakeProvider(String name, boolean isAvailable) implements BackendProvider {
        @Override
        public Backend create() {
            return new Backend() {
                @Override
                public String name() {
                    return FakeProvider.this.name;
                }

                @Override
                public void conv2d(ConvolutionShape s, float[] x, int xOff, float[] w, int wOff, float[] bias,
                                   int biasOff, float[] y, int yOff) {
                    Backends.cpu().conv2d(s, x, xOff, w, wOff, bias, biasOff, y, yOff);
                }

                @Override
                public void conv2dBackwardData(ConvolutionShape s, float[] dy, int dyOff, float[] w, int wOff,
                                               float[] dx, int dxOff) {
                    Backends.cpu().conv2dBackwardData(s, dy, dyOff, w, wOff, dx, dxOff);
                }

                @Override
                public void conv2dBackwardWeight(ConvolutionShape s, float[] dy, int dyOff, float[] x, int xOff,
                                                 float[] dw, int dwOff) {
                    Backends.cpu().conv2dBackwardWeight(s, dy, dyOff, x, xOff, dw, dwOff);
                }

                @Override
                public void qkvAttention(int batch, int heads, int headDim, int tokens, float[] qkv, int qkvOff,
                                         float[] out, int outOff, float[] probs, int probsOff) {
                    Backends.cpu().qkvAttention(batch, heads, headDim, tokens, qkv, qkvOff, out, outOff, probs,
                            probsOff);
                }

                @Override
                public void qkvAttentionBackward(int batch, int heads, int headDim, int tokens, float[] dout,
                                                 int doutOff, float[] qkv, int qkvOff, float[] probs, int probsOff,
                                                 float[] dqkv, int dqkvOff) {
                    Backends.cpu().qkvAttentionBackward(batch, heads, headDim, tokens, dout, doutOff, qkv, qkvOff,
                            probs, probsOff, dqkv, dqkvOff);
                }

                @Override
                public void sgemm(boolean transA, boolean transB, int m, int n, int k, float alpha, float[] a,
                                  int aOff, int lda, float[] b, int bOff, int ldb, float beta, float[] c, int cOff,
                                  int ldc) {
                    Backends.cpu().sgemm(transA, transB, m, n, k, alpha, a, aOff, lda, b, bOff, ldb, beta, c, cOff,
                            ldc);
                }
            };
        }
    }

    @Test
    void cpuIsChosenWhenAsked() {
        assertSame(Backends.cpu(), Backends.select("cpu", List.of(new FakeProvider("tornado", true))));
        assertSame(Backends.cpu(), Backends.select(" CPU ", List.of()));
    }

    @Test
    void autoTakesAnAvailableAcceleratorElseCpu() {
        assertSame(Backends.cpu(), Backends.select("auto", List.of()));
        assertSame(Backends.cpu(), Backends.select("auto", List.of(new FakeProvider("tornado", false))));
        assertEquals("tornado", Backends.select("auto",
                List.of(new FakeProvider("other", false), new FakeProvider("tornado", true))).name());
    }

    @Test
    void aNamedBackendMustBePresentAndAvailable() {
        assertEquals("tornado", Backends.select("tornado", List.of(new FakeProvider("tornado", true))).name());
        IllegalArgumentException unavailable = assertThrows(IllegalArgumentException.class,
                () -> Backends.select("tornado", List.of(new FakeProvider("tornado", false))));
        assertEquals("Backends: cm4j.backend=tornado but the tornado runtime is not available on this machine; "
                + "use cm4j.backend=auto or cpu", unavailable.getMessage());
        IllegalArgumentException missing = assertThrows(IllegalArgumentException.class,
                () -> Backends.select("tornado", List.of()));
        assertEquals("Backends: cm4j.backend=tornado but no such backend is on the class path (known: cpu, auto)",
                missing.getMessage());
    }

    @Test
    void currentDefaultsToCpuWithoutProviders() {
        // no provider is registered in this module, so auto resolves to the CPU
        assertEquals("cpu", Backends.current().name());
    }
}
