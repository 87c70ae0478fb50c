package dev.cm4j.consistency.toy;

import dev.cm4j.consistency.data.Toy2d;
import dev.cm4j.consistency.metrics.SlicedWasserstein;
import dev.cm4j.consistency.model.Denoiser;
import dev.cm4j.consistency.model.Preconditioned;
import dev.cm4j.consistency.schedule.EctSchedule;
import dev.cm4j.consistency.train.EasyConsistencyTuning;
import dev.cm4j.consistency.train.EdmTeacherTrainer;
import dev.cm4j.consistency.train.ImprovedConsistencyTraining;
import dev.cm4j.consistency.train.OptimConfig;
import java.util.Arrays;
import java.util.HashMap;
import java.util.Locale;
import java.util.Map;

/**
 * The measurement behind the ECT rows of docs/RESULTS.md: trains the demo's teacher for one seed, then ECT in each
 * given setting (and iCT with the demo's settings when asked), and prints SW1 in one and two steps beside the
 * teacher's, scored as the demo scores (20,000 samples, evaluation seed = seed + 100), and SW2 (256 directions) as
 * {@link RobustnessRun} scores.
 *
 * <pre>
 * java ... dev.cm4j.consistency.toy.EctToyRun DATA SEED WIDTH TEACHER_STEPS [ict] SETTING...
 * SETTING: comma-separated key=value of steps, q, stages, k, b, lr, c, w (gap|edm), ema, batch, pstd, pmean,
 *          decay (the cosine decay's final fraction of lr), beta2, target (sample: the paper's; stf: the stable
 *          target field, StableTarget) and refs (extra reference samples for stf);
 *          "default" for ToyPipeline.easyTuning with ICT_STEPS/4 steps
 * </pre>
 */
public final class EctToyRun {
    private static final SlicedWasserstein SW2 = new SlicedWasserstein(256, 2, 0);

    private EctToyRun() {
    }

    public static void main(String[] args) {
        Toy2d data = Toy2d.valueOf(args[0].toUpperCase(Locale.ROOT));
        long seed = Long.parseLong(args[1]);
        int width = Integer.parseInt(args[2]);
        int teacherSteps = Integer.parseInt(args[3]);
        ToyPipeline d = ToyPipeline.defaults(data, seed);
        ToyPipeline p = new ToyPipeline(data, seed, teacherSteps, d.cdSteps(), d.ictSteps(), d.batch(), d.ictBatch(),
                width, d.noiseScale());
        ToyEvaluation eval = new ToyEvaluation(data, 20_000, seed + 100);
        long t0 = System.nanoTime();
        EdmTeacherTrainer teacher = p.teacher();
        teacher.train();
        double teacherSeconds = (System.nanoTime() - t0) / 1e9;
        Preconditioned teacherEma = teacher.emaModel();
        double floor = eval.floor().sw();
        ToyEvaluation.Score teacherScore = eval.edm(teacherEma.denoiser());
        double teacherSw = teacherScore.sw();
        double teacherSw2 = SW2.distance(eval.reference(), teacherScore.samples());
        System.out.printf(Locale.ROOT, "%s seed %d width %d: floor %.5f, teacher %d steps %.1f s, SW1 %.5f, SW2 %.5f%n",
                data, seed, width, floor, teacherSteps, teacherSeconds, teacherSw, teacherSw2);
        for (String setting : Arrays.copyOfRange(args, 4, args.length)) {
            if (setting.equals("ict")) {
                t0 = System.nanoTime();
                ImprovedConsistencyTraining ict = p.improvedTraining();
                ict.train();
                report("ict " + p.ictSteps() + " steps batch " + p.ictBatch(), ict.emaModel().denoiser(), eval,
                        teacherSw, teacherSw2, (System.nanoTime() - t0) / 1e9);
                continue;
            }
            t0 = System.nanoTime();
            EasyConsistencyTuning ect = setting.equals("default") ? p.easyTuning(teacherEma, p.ictSteps() / 4)
                    : custom(p, teacherEma, setting);
            ect.train();
            report("ect " + setting, ect.emaModel().denoiser(), eval, teacherSw, teacherSw2, (System.nanoTime() - t0) / 1e9);
        }
    }

    private static EasyConsistencyTuning custom(ToyPipeline p, Preconditioned teacherEma, String setting) {
        Map<String, String> o = new HashMap<>();
        for (String kv : setting.split(",")) {
            String[] parts = kv.split("=", 2);
            o.put(parts[0], parts[1]);
        }
        int steps = Integer.parseInt(o.getOrDefault("steps", Integer.toString(p.ictSteps() / 4)));
        int stages = Integer.parseInt(o.getOrDefault("stages", "6"));
        EctSchedule s = EctSchedule.toy2d(steps)
                .withStageLength(Math.max(1, Math.ceilDiv(steps, stages)))
                .withQ(Double.parseDouble(o.getOrDefault("q", "2")))
                .withK(Double.parseDouble(o.getOrDefault("k", "8")))
                .withB(Double.parseDouble(o.getOrDefault("b", "1")))
                .withPMean(Double.parseDouble(o.getOrDefault("pmean", "-1.1")))
                .withPStd(Double.parseDouble(o.getOrDefault("pstd", "2.0")));
        EasyConsistencyTuning.Weighting w = o.getOrDefault("w", "gap").equals("edm")
                ? EasyConsistencyTuning.Weighting.EDM : EasyConsistencyTuning.Weighting.INVERSE_GAP;
        var config = new EasyConsistencyTuning.Config(s, Float.parseFloat(o.getOrDefault("c", "0")), w)
                .withTarget(o.getOrDefault("target", "sample").equals("stf")
                        ? dev.cm4j.consistency.train.ImprovedConsistencyTraining.Target.BATCH_POSTERIOR
                        : dev.cm4j.consistency.train.ImprovedConsistencyTraining.Target.SAMPLE,
                        Integer.parseInt(o.getOrDefault("refs", "0")));
        var optim = OptimConfig.adam(steps, Integer.parseInt(o.getOrDefault("batch", Integer.toString(p.batch()))),
                Double.parseDouble(o.getOrDefault("lr", "1e-3")))
                .withEvalEma(Double.parseDouble(o.getOrDefault("ema", "0.995")));
        if (o.containsKey("decay")) {
            optim = optim.withCosineDecay(Double.parseDouble(o.get("decay")));
        }
        if (o.containsKey("beta2")) {
            optim = optim.withBetas(0.9, Double.parseDouble(o.get("beta2")));
        }
        return new EasyConsistencyTuning(Preconditioned.fromTeacher(teacherEma, teacherEma.preconditioning()),
                p.data()::sample, config, optim, p.seed() + 5);
    }

    private static void report(String name, Denoiser f, ToyEvaluation eval, double teacherSw, double teacherSw2,
                               double seconds) {
        double sigmaMax = ToyPipeline.GRID.sigmaMax();
        ToyEvaluation.Score one = eval.consistency(f, sigmaMax);
        double mid = eval.bestMiddleSigma(f);
        ToyEvaluation.Score two = eval.consistency(f, sigmaMax, mid);
        double one2 = SW2.distance(eval.reference(), one.samples());
        double two2 = SW2.distance(eval.reference(), two.samples());
        System.out.printf(Locale.ROOT, "  %s: %.1f s, 1 step SW1 %.5f (%.3fx) SW2 %.5f (%.3fx), 2 steps (mid %.3f) "
                + "SW1 %.5f (%.3fx) SW2 %.5f (%.3fx)%n", name, seconds, one.sw(), one.sw() / teacherSw, one2,
                one2 / teacherSw2, mid, two.sw(), two.sw() / teacherSw, two2, two2 / teacherSw2);
    }
}
