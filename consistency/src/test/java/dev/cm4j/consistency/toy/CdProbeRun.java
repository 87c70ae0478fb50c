package dev.cm4j.consistency.toy;

import dev.cm4j.consistency.data.Toy2d;
import dev.cm4j.consistency.metrics.SlicedWasserstein;
import dev.cm4j.consistency.model.Preconditioned;
import dev.cm4j.consistency.noise.NoiseSource;
import dev.cm4j.consistency.sampling.EdmSampler;
import dev.cm4j.consistency.train.ConsistencyDistillation;
import dev.cm4j.consistency.train.Distance;
import dev.cm4j.consistency.train.EdmTeacherTrainer;
import dev.cm4j.consistency.train.OptimConfig;
import dev.cm4j.consistency.train.Trainer;
import dev.cm4j.tensor.Rng;
import dev.cm4j.tensor.Tensor;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import java.util.Set;

/**
 * The probe behind docs/RESULTS.md "CD at the demo's budget: a longer, decayed run" and "CD at the peer's budget":
 * trains the teacher of a budget once ({@link RobustnessRun#pipeline}: {@code -Dprobe.budget}, demo by default, and
 * width 128 or {@code -Dprobe.width}), prints its SW2 with Heun on the demo's 64 points and on 18, 40, 80 and 160, then
 * distils CD in each given setting from it and prints the one- and two-step SW2 as multiples of the teacher's (20,000
 * samples, evaluation seed seed + 100, the two-step middle time searched as {@link RobustnessRun} does).
 *
 * <pre>
 * java ... dev.cm4j.consistency.toy.CdProbeRun DATA SEED SETTING...
 * SETTING: comma-separated key=value of steps, batch, n (grid points), sub (teacher substeps per link), mu, lr,
 *          ema (evaluation EMA rate), decay (the learning rate's cosine decay to this fraction at the last step;
 *          1 = constant), dist (l2, l1, pseudo_huber) and c (the pseudo-Huber constant); the defaults are
 *          ToyPipeline's CD (the EMA's rate from ToyPipeline.cdEvalEma(steps)); "-" alone is the defaults
 * SETTING oracle=POINTS[,pairs=P][,steps=..,batch=..,lr=..,ema=..,decay=..]: instead of CD, the bound of
 *          {@link OneStepRegression}: the student regressed on P (default 200,000) pairs of noise and the teacher's
 *          Heun solution on POINTS grid points, with CD's optimizer settings
 * </pre>
 */
public final class CdProbeRun {
    private CdProbeRun() {
    }

    public static void main(String[] args) {
        if (args.length < 3) {
            throw new IllegalArgumentException("usage: CdProbeRun DATA SEED SETTING...");
        }
        Toy2d data = Toy2d.valueOf(args[0].toUpperCase(Locale.ROOT));
        long seed = Long.parseLong(args[1]);
        ToyPipeline p = RobustnessRun.pipeline(System.getProperty("probe.budget", "demo"), data, seed,
                Integer.getInteger("probe.width", 128));
        ToyEvaluation eval = new ToyEvaluation(data, 20_000, seed + 100);
        SlicedWasserstein sw2 = new SlicedWasserstein(256, 2, 0);
        EdmTeacherTrainer teacher = p.teacher();
        teacher.train();
        Preconditioned teacherEma = teacher.emaModel();
        double teacherSw2 = sw2.distance(eval.reference(), eval.edm(teacherEma.denoiser()).samples());
        System.out.printf(Locale.ROOT, "%s seed %d: teacher SW2 %.5f (Heun, %d points)%n", data, seed, teacherSw2,
                ToyEvaluation.TEACHER_GRID_POINTS);
        for (int points : new int[] {18, 40, 80, 160}) {
            double w = sw2.distance(eval.reference(), eval.edm(teacherEma.denoiser(), points).samples());
            System.out.printf(Locale.ROOT, "  teacher, Heun on %d points: %.5f = %.3fx%n", points, w, w / teacherSw2);
        }
        for (int i = 2; i < args.length; i++) {
            long t0 = System.nanoTime();
            Trainer cd = args[i].startsWith("oracle=") ? oracle(p, teacherEma, args[i])
                    : distillation(p, teacherEma, args[i]);
            cd.train();
            var f = cd.emaModel().denoiser();
            double sigmaMax = ToyPipeline.GRID.sigmaMax();
            double w = sw2.distance(eval.reference(), eval.consistency(f, sigmaMax).samples());
            double mid = eval.bestMiddleSigma(f);
            double w2 = sw2.distance(eval.reference(), eval.consistency(f, sigmaMax, mid).samples());
            System.out.printf(Locale.ROOT, "  %-44s CD 1 step %.5f = %.3fx the teacher, 2 steps %.5f = %.3fx "
                    + "(middle sigma %.4g) (%.0f s)%n", args[i], w, w / teacherSw2, w2, w2 / teacherSw2, mid,
                    (System.nanoTime() - t0) / 1e9);
        }
    }

    /**
     * A setting's key=value pairs ("-" alone: none), refusing a malformed pair or a key outside {@code known}.
     */
    private static Map<String, String> parse(String setting, Set<String> known) {
        Map<String, String> out = new LinkedHashMap<>();
        if (setting.equals("-")) {
            return out;
        }
        for (String kv : setting.split(",")) {
            String[] e = kv.split("=", 2);
            if (e.length != 2) {
                throw new IllegalArgumentException("CdProbeRun: a setting is key=value, got '" + kv + "'");
            }
            if (!known.contains(e[0])) {
                throw new IllegalArgumentException("CdProbeRun: unknown key '" + e[0] + "' in '" + setting
                        + "' (known: " + known + ")");
            }
            out.put(e[0], e[1]);
        }
        return out;
    }

    /** CD's optimizer over {@code p}'s, with the setting's steps, batch, lr, ema and decay. */
    private static OptimConfig optimizer(ToyPipeline p, Map<String, String> s) {
        long steps = Long.parseLong(s.getOrDefault("steps", Long.toString(p.cdSteps())));
        int batch = Integer.parseInt(s.getOrDefault("batch", Integer.toString(p.batch())));
        double lr = Double.parseDouble(s.getOrDefault("lr", Double.toString(ToyPipeline.CD_LR)));
        double ema = s.containsKey("ema") ? Double.parseDouble(s.get("ema")) : ToyPipeline.cdEvalEma(steps);
        double decay = Double.parseDouble(s.getOrDefault("decay",
                Double.toString(ToyPipeline.CD_FINAL_LR_FRACTION)));
        OptimConfig optim = OptimConfig.adam(steps, batch, lr).withEvalEma(ema);
        return decay < 1 ? optim.withCosineDecay(decay) : optim;
    }

    /** The one-step regression bound with {@code setting} (see the class comment). */
    static Trainer oracle(ToyPipeline p, Preconditioned teacherEma, String setting) {
        Map<String, String> s = parse(setting, Set.of("oracle", "pairs", "steps", "batch", "lr", "ema", "decay"));
        int points = Integer.parseInt(s.get("oracle"));
        int pairs = Integer.parseInt(s.getOrDefault("pairs", "200000"));
        Tensor z = new Rng(p.seed() + 7).normal(pairs, 2);
        Tensor ends = EdmSampler.heun(ToyPipeline.GRID, points).sample(teacherEma.denoiser(), z, (NoiseSource) null);
        return new OneStepRegression(Preconditioned.fromTeacher(teacherEma, p.consistency()), z, ends,
                ToyPipeline.GRID.sigmaMax(), optimizer(p, s), p.seed() + 2);
    }

    /** CD from the teacher with {@code setting} applied over ToyPipeline's CD. */
    static ConsistencyDistillation distillation(ToyPipeline p, Preconditioned teacherEma, String setting) {
        Map<String, String> s = parse(setting, Set.of("steps", "batch", "n", "sub", "mu", "lr", "ema", "decay", "dist",
                "c"));
        ConsistencyDistillation.Config base = ToyPipeline.cdConfig();
        ConsistencyDistillation.Config config = base
                .withN(Integer.parseInt(s.getOrDefault("n", Integer.toString(base.n()))))
                .withSubsteps(Integer.parseInt(s.getOrDefault("sub", Integer.toString(base.substeps()))))
                .withMu(Double.parseDouble(s.getOrDefault("mu", Double.toString(base.mu()))))
                .withDistance(s.containsKey("dist") ? Distance.valueOf(s.get("dist").toUpperCase(Locale.ROOT))
                        : base.distance(), Float.parseFloat(s.getOrDefault("c", Float.toString(base.huberC()))));
        return new ConsistencyDistillation(Preconditioned.fromTeacher(teacherEma, p.consistency()),
                teacherEma.denoiser(), p.data()::sample, config, optimizer(p, s), p.seed() + 2);
    }
}
