package dev.cm4j.consistency.toy;

import dev.cm4j.consistency.data.Toy2d;
import dev.cm4j.consistency.model.Preconditioned;
import dev.cm4j.consistency.model.Preconditioning;
import dev.cm4j.consistency.model.ToyMlpNet;
import dev.cm4j.consistency.train.ConsistencyDistillation;
import dev.cm4j.consistency.train.EdmTeacherTrainer;
import dev.cm4j.consistency.train.OptimConfig;
import dev.cm4j.models.ToyMlp;
import dev.cm4j.tensor.Rng;
import java.util.HashMap;
import java.util.Locale;
import java.util.Map;

/**
 * The probe behind the teacher measurements of docs/RESULTS.md#cm4j-demo--2-d-checkerboard-std-05-per-coordinate:
 * trains an EDM teacher in each given setting (the demo's unless a key says otherwise), prints its SW1 with the Heun
 * sampler on each grid size of {@code heun}, beside the floor, and then distils it with each N of {@code cd} (the
 * demo's CD otherwise) and prints the student's SW1 in one and two steps. Every score uses the demo's evaluation
 * (20,000 samples, evaluation seed = seed + 100).
 *
 * <pre>
 * java ... dev.cm4j.consistency.toy.TeacherProbeRun DATA SEED SETTING...
 * SETTING: comma-separated key=value of width, depth, emb, ns, steps, batch, lr, warmup, decay (final lr fraction),
 *          ema, pmean, pstd, heun (grid sizes, e.g. 18/40/64), cd (CD's N, e.g. 18/40), cdsteps, cdlr, cdema,
 *          cdmu
 * </pre>
 */
public final class TeacherProbeRun {
    private TeacherProbeRun() {
    }

    public static void main(String[] args) {
        Toy2d data = Toy2d.valueOf(args[0].toUpperCase(Locale.ROOT));
        long seed = Long.parseLong(args[1]);
        ToyEvaluation eval = new ToyEvaluation(data, 20_000, seed + 100);
        System.out.printf(Locale.ROOT, "%s seed %d floor %.5f%n", data, seed, eval.floor().sw());
        for (int i = 2; i < args.length; i++) {
            Map<String, String> o = new HashMap<>();
            for (String kv : args[i].split(",")) {
                if (!kv.isEmpty()) {
                    String[] parts = kv.split("=", 2);
                    o.put(parts[0], parts[1]);
                }
            }
            ToyMlp.Config net = new ToyMlp.Config(2, Integer.parseInt(o.getOrDefault("width", "128")),
                    Integer.parseInt(o.getOrDefault("depth", String.valueOf(ToyPipeline.DEPTH))),
                    Integer.parseInt(o.getOrDefault("emb", "32")),
                    Double.parseDouble(o.getOrDefault("ns", "10")), 0f);
            int steps = Integer.parseInt(o.getOrDefault("steps", "3000"));
            OptimConfig optim = OptimConfig.adam(steps, Integer.parseInt(o.getOrDefault("batch", "512")),
                            Double.parseDouble(o.getOrDefault("lr", "1e-3")))
                    .withWarmup(Integer.parseInt(o.getOrDefault("warmup", "100")))
                    .withEvalEma(Double.parseDouble(o.getOrDefault("ema", "0.995")))
                    .withCosineDecay(Double.parseDouble(o.getOrDefault("decay", "1")));
            EdmTeacherTrainer.Config cfg = EdmTeacherTrainer.Config.edm()
                    .withPMean(Double.parseDouble(o.getOrDefault("pmean", "-1.2")))
                    .withPStd(Double.parseDouble(o.getOrDefault("pstd", "1.2")));
            long t0 = System.nanoTime();
            EdmTeacherTrainer t = new EdmTeacherTrainer(
                    new Preconditioned(ToyMlpNet.create(net, new Rng(seed).fork(1)), Preconditioning.edm(0.5)),
                    data::sample, cfg, optim, seed + 1);
            t.train();
            double secs = (System.nanoTime() - t0) / 1e9;
            Preconditioned ema = t.emaModel();
            StringBuilder sb = new StringBuilder();
            for (String h : o.getOrDefault("heun", "18").split("/")) {
                int n = Integer.parseInt(h);
                sb.append(String.format(Locale.ROOT, " heun%d %.5f", n, eval.edm(ema.denoiser(), n).sw()));
            }
            System.out.printf(Locale.ROOT, "  %-60s %6.1f s%s%n", args[i], secs, sb);
            for (String cdN : o.getOrDefault("cd", "").split("/")) {
                if (cdN.isEmpty()) {
                    continue;
                }
                ToyPipeline p = ToyPipeline.defaults(data, seed);
                int cdSteps = Integer.parseInt(o.getOrDefault("cdsteps", "1500"));
                long c0 = System.nanoTime();
                ConsistencyDistillation cd = new ConsistencyDistillation(
                        Preconditioned.fromTeacher(ema, p.consistency()), ema.denoiser(), data::sample,
                        ConsistencyDistillation.Config.toy2d().withGrid(ToyPipeline.GRID).withN(Integer.parseInt(cdN))
                                .withMu(Double.parseDouble(o.getOrDefault("cdmu", "0.95"))),
                        OptimConfig.adam(cdSteps, p.batch(), Double.parseDouble(o.getOrDefault("cdlr", "1e-3")))
                                .withEvalEma(Double.parseDouble(o.getOrDefault("cdema", "0.995"))), seed + 2);
                cd.train();
                var f = cd.emaModel().denoiser();
                double one = eval.consistency(f, ToyPipeline.GRID.sigmaMax()).sw();
                double mid = eval.bestMiddleSigma(f);
                double two = eval.consistency(f, ToyPipeline.GRID.sigmaMax(), mid).sw();
                System.out.printf(Locale.ROOT, "    CD N=%s %d steps %.1f s: 1 step %.5f, 2 steps (%.3f) %.5f%n", cdN,
                        cdSteps, (System.nanoTime() - c0) / 1e9, one, mid, two);
            }
        }
    }
}
