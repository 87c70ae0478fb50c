package dev.cm4j.consistency.toy;

import dev.cm4j.consistency.data.Toy2d;
import dev.cm4j.consistency.metrics.SlicedWasserstein;
import dev.cm4j.consistency.model.Denoiser;
import dev.cm4j.consistency.model.Preconditioned;
import dev.cm4j.consistency.model.ToyMlpNet;
import dev.cm4j.consistency.schedule.IctSchedule;
import dev.cm4j.consistency.train.EdmTeacherTrainer;
import dev.cm4j.consistency.train.ImprovedConsistencyTraining;
import dev.cm4j.consistency.train.OptimConfig;
import dev.cm4j.consistency.PerSample;
import dev.cm4j.tensor.Rng;
import dev.cm4j.tensor.Tensor;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * The probe behind the iCT width section of docs/RESULTS.md: trains the pipeline's teacher once, then iCT in each
 * given setting, and prints SW1 in one and two steps, the mean loss of each curriculum stage, and the per-sigma error:
 * SW1 of {@code f(x + sigma z, sigma)} against the reference draw, for x a fresh draw of the data (the teacher's
 * denoiser {@code D(x + sigma z, sigma)} beside it: a consistency function should stay near the data at every sigma,
 * a denoiser collapses towards the mean as sigma grows).
 *
 * <pre>
 * java ... dev.cm4j.consistency.toy.IctProbeRun DATA SEED TEACHER_WIDTH TEACHER_STEPS SETTING...
 * SETTING: comma-separated key=value of width, steps, batch, lr, decay (the learning rate's cosine decay to this
 *          fraction at the last step; 1 = constant; default the demo's ToyPipeline.ICT_FINAL_LR_FRACTION), beta2,
 *          pstd, pmean, s0, s1, c, ema, trace, clip (the global gradient norm bound, 0 = none),
 *          target (sample: the paper's pair; stf: the batch's estimate of E[x0 | x_t], StableTarget) and refs (extra
 *          reference samples for stf)
 * </pre>
 */
public final class IctProbeRun {
    private static final double[] SIGMAS = {0.05, 0.2, 0.6, 1.5, 5, 20, 80};

    private IctProbeRun() {
    }

    public static void main(String[] args) {
        Toy2d data = Toy2d.valueOf(args[0].toUpperCase(Locale.ROOT));
        long seed = Long.parseLong(args[1]);
        int teacherWidth = Integer.parseInt(args[2]);
        int teacherSteps = Integer.parseInt(args[3]);
        ToyPipeline d = ToyPipeline.defaults(data, seed);
        ToyPipeline tp = new ToyPipeline(data, seed, teacherSteps, 1, 1, d.batch(), d.ictBatch(), teacherWidth,
                d.noiseScale());
        ToyEvaluation eval = new ToyEvaluation(data, Integer.getInteger("probe.n", 20_000), seed + 100);
        EdmTeacherTrainer teacher = tp.teacher();
        teacher.train();
        Preconditioned teacherEma = teacher.emaModel();
        ToyEvaluation.Score teacherScore = eval.edm(teacherEma.denoiser());
        double teacherSw = teacherScore.sw();
        Tensor teacherSamples = teacherScore.samples();
        System.out.printf(Locale.ROOT, "%s seed %d: teacher width %d, %d steps, SW1 %.5f; floor %.5f%n", data, seed,
                teacherWidth, teacherSteps, teacherSw, eval.floor().sw());
        System.out.println("  teacher D per sigma: " + perSigma(teacherEma.denoiser(), data, eval, seed));
        for (int i = 4; i < args.length; i++) {
            Map<String, String> o = new HashMap<>();
            for (String kv : args[i].split(",")) {
                String[] parts = kv.split("=", 2);
                o.put(parts[0], parts[1]);
            }
            int width = Integer.parseInt(o.getOrDefault("width", "128"));
            int steps = Integer.parseInt(o.getOrDefault("steps", "6000"));
            ToyPipeline p = new ToyPipeline(data, seed, 1, 1, steps, d.batch(),
                    Integer.parseInt(o.getOrDefault("batch", "2048")), width, d.noiseScale());
            IctSchedule s = IctSchedule.toy2d(steps)
                    .withS0(Integer.parseInt(o.getOrDefault("s0", "10")))
                    .withS1(Integer.parseInt(o.getOrDefault("s1", "640")))
                    .withPStd(Double.parseDouble(o.getOrDefault("pstd", "4.0")))
                    .withPMean(Double.parseDouble(o.getOrDefault("pmean", "-1.1")));
            ImprovedConsistencyTraining ict = new ImprovedConsistencyTraining(
                    new Preconditioned(ToyMlpNet.create(p.network(), new Rng(seed).fork(3)), p.consistency()),
                    data::sample, new ImprovedConsistencyTraining.Config(s.withGrid(ToyPipeline.GRID),
                    o.containsKey("c") ? Float.parseFloat(o.get("c")) : ToyPipeline.ICT_HUBER_C,
                    o.getOrDefault("target", "sample").equals("stf")
                            ? ImprovedConsistencyTraining.Target.BATCH_POSTERIOR
                            : ImprovedConsistencyTraining.Target.SAMPLE,
                    Integer.parseInt(o.getOrDefault("refs", "0"))),
                    OptimConfig.adam(steps, p.ictBatch(), Double.parseDouble(o.getOrDefault("lr", "2e-3")))
                            .withBetas(0.9, Double.parseDouble(o.getOrDefault("beta2", "0.995")))
                            .withEvalEma(Double.parseDouble(o.getOrDefault("ema", "0.995")))
                            .withCosineDecay(Double.parseDouble(o.getOrDefault("decay",
                                    Double.toString(ToyPipeline.ICT_FINAL_LR_FRACTION))))
                            .withMaxGradNorm(Double.parseDouble(o.getOrDefault("clip", "0"))), seed + 3);
            int trace = Integer.parseInt(o.getOrDefault("trace", "0"));
            if (trace > 0) {
                // one-step SW1 of the EMA and of the raw weights every `trace` steps, on 5000 samples of their own
                ToyEvaluation small = new ToyEvaluation(data, 5000, seed + 200);
                StringBuilder line = new StringBuilder();
                ict.listener(new dev.cm4j.consistency.train.TrainingListener() {
                    @Override
                    public void onStep(String phase, long step, long total, double loss) {
                        if (step % trace == 0) {
                            Preconditioned raw = ict.model().copy();
                            raw.net().module().eval();
                            List<Double> norms = ict.gradNorms();
                            double maxNorm = norms.subList(Math.max(0, norms.size() - trace), norms.size()).stream()
                                    .mapToDouble(Double::doubleValue).max().orElse(0);
                            line.append(String.format(Locale.ROOT, "%d: N=%d ema %.4f raw %.4f max |g| %.3g; ", step,
                                    s.n(step - 1), small.consistency(ict.emaModel().denoiser(), 80).sw(),
                                    small.consistency(raw.denoiser(), 80).sw(), maxNorm));
                        }
                        if (step == total) {
                            System.out.println("    trace (one step, 5000 samples): " + line);
                        }
                    }
                });
            }
            long t0 = System.nanoTime();
            ict.train();
            double seconds = (System.nanoTime() - t0) / 1e9;
            Denoiser f = ict.emaModel().denoiser();
            ToyEvaluation.Score oneScore = eval.consistency(f, ToyPipeline.GRID.sigmaMax());
            double one = oneScore.sw();
            double mid = eval.bestMiddleSigma(f);
            ToyEvaluation.Score twoScore = eval.consistency(f, ToyPipeline.GRID.sigmaMax(), mid);
            double two = twoScore.sw();
            System.out.printf(Locale.ROOT, "  ict %s: %.1f s, 1 step %.5f (%.3fx), 2 steps (mid %.3f) %.5f (%.3fx)%n",
                    args[i], seconds, one, one / teacherSw, mid, two, two / teacherSw);
            System.out.println("    loss per stage: " + stageLosses(ict.losses(), s));
            System.out.println("    gradient norm per stage (mean / max): " + stageNorms(ict.gradNorms(), s)
                    + "clipped steps " + ict.clippedSteps());
            System.out.println("    SW2 and outliers: teacher " + sw2(teacherSamples, eval) + "; 1 step "
                    + sw2(oneScore.samples(), eval) + "; 2 steps " + sw2(twoScore.samples(), eval) + "; data "
                    + sw2(eval.reference(), eval));
            System.out.println("    EMA f per sigma: " + perSigma(f, data, eval, seed));
            Preconditioned raw = ict.model().copy();
            raw.net().module().eval();
            System.out.printf(Locale.ROOT, "    raw weights: 1 step %.5f; f per sigma: %s%n",
                    eval.consistency(raw.denoiser(), ToyPipeline.GRID.sigmaMax()).sw(),
                    perSigma(raw.denoiser(), data, eval, seed));
        }
    }

    /** SW2 against the reference, the largest norm of a sample and the share of samples with norm above 2.5. */
    private static String sw2(Tensor samples, ToyEvaluation eval) {
        double max = 0;
        int far = 0;
        int n = samples.dim(0);
        for (int i = 0; i < n; i++) {
            double norm = Math.hypot(samples.data()[samples.offset() + 2 * i], samples.data()[samples.offset() + 2 * i + 1]);
            max = Math.max(max, norm);
            far += norm > 2.5 ? 1 : 0;
        }
        return String.format(Locale.ROOT, "SW2 %.5f max |x| %.2f, %.3f%% beyond 2.5",
                new SlicedWasserstein(256, 2, 0).distance(eval.reference(), samples), max, 100.0 * far / n);
    }

    /** Mean loss over each stage of the curriculum (N(k) constant) and over its last fifth, as "N: mean". */
    private static String stageLosses(List<Double> losses, IctSchedule s) {
        return perStage(losses, s, (stage, out) -> {
            List<Double> tail = stage.subList(stage.size() - Math.max(1, stage.size() / 5), stage.size());
            out.append(String.format(Locale.ROOT, "mean %.4g last-fifth %.4g", mean(stage), mean(tail)));
        });
    }

    /** Mean and largest gradient norm over each stage of the curriculum, as "N: mean / max". */
    private static String stageNorms(List<Double> norms, IctSchedule s) {
        return perStage(norms, s, (stage, out) -> out.append(String.format(Locale.ROOT, "%.3g / %.3g", mean(stage),
                stage.stream().mapToDouble(Double::doubleValue).max().orElse(0))));
    }

    /** "N=n [first-last] summary; " for each stage of the curriculum (the steps with one N(k)). */
    private static String perStage(List<Double> values, IctSchedule s,
                                   java.util.function.BiConsumer<List<Double>, StringBuilder> summary) {
        StringBuilder out = new StringBuilder();
        int k = 0;
        while (k < values.size()) {
            int n = s.n(k);
            int start = k;
            while (k < values.size() && s.n(k) == n) {
                k++;
            }
            out.append(String.format(Locale.ROOT, "N=%d [%d-%d] ", n, start, k - 1));
            summary.accept(values.subList(start, k), out);
            out.append("; ");
        }
        return out.toString();
    }

    private static double mean(List<Double> v) {
        return v.stream().mapToDouble(Double::doubleValue).average().orElse(Double.NaN);
    }

    /** SW1 of f(x + sigma z, sigma) against the reference for x a fresh draw, at each probe sigma. */
    private static String perSigma(Denoiser f, Toy2d data, ToyEvaluation eval, long seed) {
        SlicedWasserstein sw = SlicedWasserstein.sw1();
        Rng r = new Rng(seed + 7);
        Tensor x = data.sample(eval.reference().dim(0), r.fork(1));
        Tensor z = r.fork(2).normal(x.dim(0), 2);
        StringBuilder out = new StringBuilder();
        for (double sigma : SIGMAS) {
            float[] s = PerSample.fill(x.dim(0), sigma);
            Tensor noisy = PerSample.combine("probe", x, PerSample.fill(x.dim(0), 1), z, s);
            out.append(String.format(Locale.ROOT, "%.2g:%.4f ", sigma,
                    sw.distance(eval.reference(), f.denoise(noisy, s))));
        }
        return out.toString();
    }
}
