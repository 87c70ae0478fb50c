package dev.cm4j.benchmarks;

import java.util.Arrays;

/**
 * The autodiff overhead of {@link MlpStepBenchmark} measured as a paired comparison in one JVM: rounds of
 * {@code steps} autodiff steps then {@code steps} hand-written steps, alternating, so that both paths see the same
 * JIT state, heap and machine load. Separate JMH forks of this step differ by up to 1.5x from one JVM to the next
 * (for both paths alike), more than the 15% the overhead target allows, which is why the ratio is taken per round.
 *
 * <p>Run: {@code java --add-modules jdk.incubator.vector -cp benchmarks/target/benchmarks.jar
 * dev.cm4j.benchmarks.MlpOverhead [rounds] [steps]}. Prints the median ms/step of each path and the median and
 * range of the per-round ratio autodiff / raw kernels.
 */
public final class MlpOverhead {
    private MlpOverhead() {
    }

    public static void main(String[] args) {
        int rounds = args.length > 0 ? Integer.parseInt(args[0]) : 30;
        int steps = args.length > 1 ? Integer.parseInt(args[1]) : 20;
        MlpStepBenchmark b = new MlpStepBenchmark();
        b.setUp();
        float sink = 0;
        for (int i = 0; i < 300; i++) {          // warm-up: both paths compiled before timing
            sink += b.autodiff() + b.rawKernels();
        }
        double[] ad = new double[rounds];
        double[] raw = new double[rounds];
        double[] ratio = new double[rounds];
        for (int r = 0; r < rounds; r++) {
            long t0 = System.nanoTime();
            for (int i = 0; i < steps; i++) {
                sink += b.autodiff();
            }
            long t1 = System.nanoTime();
            for (int i = 0; i < steps; i++) {
                sink += b.rawKernels();
            }
            long t2 = System.nanoTime();
            ad[r] = (t1 - t0) / 1e6 / steps;
            raw[r] = (t2 - t1) / 1e6 / steps;
            ratio[r] = ad[r] / raw[r];
        }
        System.out.printf("rounds %d x %d steps: autodiff %.3f ms/step, raw kernels %.3f ms/step (medians)%n",
                rounds, steps, median(ad), median(raw));
        double[] sorted = ratio.clone();
        Arrays.sort(sorted);
        System.out.printf("autodiff / raw per round: median %.3f, min %.3f, max %.3f (sink %s)%n",
                median(ratio), sorted[0], sorted[rounds - 1], Float.isFinite(sink) ? "finite" : "non-finite");
    }

    private static double median(double[] v) {
        double[] s = v.clone();
        Arrays.sort(s);
        return s.length % 2 == 1 ? s[s.length / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
    }
}
