package dev.cm4j.cli;

import dev.cm4j.consistency.toy.ToyEvaluation;
import java.util.List;

/** The demo's result table in Markdown. */
final class ResultTable {
    /**
     * One method's scores.
     *
     * @param method what sampled
     * @param nfe network evaluations per sample batch
     * @param score sliced Wasserstein-1 and energy distance to the reference draw, and the sampling time
     */
    record Row(String method, int nfe, ToyEvaluation.Score score) {
    }

    private ResultTable() {
    }

    /**
     * A Markdown table with two ratio columns, each SW1 divided by {@code floorSw} (the metric's floor: two draws of
     * the data) and by {@code teacherSw}, so every ratio names its scale.
     */
    static String markdown(List<Row> rows, double floorSw, double teacherSw) {
        StringBuilder sb = new StringBuilder();
        sb.append(String.format("| %-38s | %4s | %9s | %8s | %10s | %8s | %10s |%n", "method", "NFE", "SW1", "/ floor",
                "/ teacher", "energy", "time (ms)"));
        sb.append(String.format("|%s|%s|%s|%s|%s|%s|%s|%n", "-".repeat(40), "-".repeat(5) + ":",
                "-".repeat(10) + ":", "-".repeat(9) + ":", "-".repeat(11) + ":", "-".repeat(9) + ":",
                "-".repeat(11) + ":"));
        for (Row r : rows) {
            ToyEvaluation.Score s = r.score();
            sb.append(String.format("| %-38s | %4d | %9.5f | %7.3fx | %9.3fx | %8.4f | %10.1f |%n", r.method(),
                    r.nfe(), s.sw(), s.sw() / floorSw, s.sw() / teacherSw, s.energy(), s.millis()));
        }
        return sb.toString();
    }
}
