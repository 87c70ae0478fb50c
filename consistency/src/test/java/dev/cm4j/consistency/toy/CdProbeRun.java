package dev.cm4j.consistency.toy;

import dev.cm4j.consistency.data.Toy2d;
import dev.cm4j.consistency.metrics.SlicedWasserstein;
import dev.cm4j.consistency.model.Preconditioned;
import dev.cm4j.consistency.train.ConsistencyDistillation;
import dev.cm4j.consistency.train.EdmTeacherTrainer;
import dev.cm4j.consistency.train.OptimConfig;
import java.util.Locale;

/**
 * The probe behind docs/RESULTS.md "CD at the demo's budget: a longer, decayed run": trains the teacher of the demo's
 * budget once ({@link RobustnessRun#pipeline}, width 128 or {@code -Dprobe.width}), prints its SW2 with Heun on the demo's 64 points and on
 * 18, 40, 80 and 160, then distils CD in each given setting from it and prints the one-step SW2 as a multiple of the
 * teacher's (20,000 samples, evaluation seed seed + 100, as {@link RobustnessRun}).
 *
 * <pre>
 * java ... dev.cm4j.consistency.toy.CdProbeRun DATA SEED SETTING...
 * SETTING: comma-separated key=value of steps, batch, n (grid points), mu, lr, ema (evaluation EMA rate) and decay
 *          (the learning rate's cosine decay to this fraction at the last step; 1 = constant); the defaults are
 *          ToyPipeline's CD (the EMA's rate from ToyPipeline.cdEvalEma(steps)); "-" alone is the defaults
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
        ToyPipeline p = RobustnessRun.pipeline("demo", data, seed, Integer.getInteger("probe.width", 128));
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
            ConsistencyDistillation cd = distillation(p, teacherEma, args[i]);
            cd.train();
            double w = sw2.distance(eval.reference(),
                    eval.consistency(cd.emaModel().denoiser(), ToyPipeline.GRID.sigmaMax()).samples());
            System.out.printf(Locale.ROOT, "  %-44s CD 1 step %.5f = %.3fx the teacher (%.0f s)%n", args[i], w,
                    w / teacherSw2, (System.nanoTime() - t0) / 1e9);
        }
    }

    /** CD from the teacher with {@code setting} applied over ToyPipeline's CD. */
    static ConsistencyDistillation distillation(ToyPipeline p, Preconditioned teacherEma, String setting) {
        long steps = p.cdSteps();
        int batch = p.batch();
        int n = ConsistencyDistillation.Config.toy2d().n();
        double mu = ConsistencyDistillation.Config.toy2d().mu();
        double lr = ToyPipeline.CD_LR;
        double ema = -1;
        double decay = ToyPipeline.CD_FINAL_LR_FRACTION;
        if (!setting.equals("-")) {
            for (String kv : setting.split(",")) {
                String[] e = kv.split("=", 2);
                if (e.length != 2) {
                    throw new IllegalArgumentException("CdProbeRun: a setting is key=value, got '" + kv + "'");
                }
                switch (e[0]) {
                    case "steps" -> steps = Long.parseLong(e[1]);
                    case "batch" -> batch = Integer.parseInt(e[1]);
                    case "n" -> n = Integer.parseInt(e[1]);
                    case "mu" -> mu = Double.parseDouble(e[1]);
                    case "lr" -> lr = Double.parseDouble(e[1]);
                    case "ema" -> ema = Double.parseDouble(e[1]);
                    case "decay" -> decay = Double.parseDouble(e[1]);
                    default -> throw new IllegalArgumentException("CdProbeRun: unknown key '" + e[0]
                            + "' (steps, batch, n, mu, lr, ema, decay)");
                }
            }
        }
        double emaRate = ema < 0 ? ToyPipeline.cdEvalEma(steps) : ema;
        OptimConfig optim = OptimConfig.adam(steps, batch, lr).withEvalEma(emaRate);
        if (decay < 1) {
            optim = optim.withCosineDecay(decay);
        }
        return new ConsistencyDistillation(Preconditioned.fromTeacher(teacherEma, p.consistency()),
                teacherEma.denoiser(), p.data()::sample, ConsistencyDistillation.Config.toy2d().withN(n)
                .withMu(mu).withGrid(ToyPipeline.GRID), optim, p.seed() + 2);
    }
}
