package dev.cm4j.consistency.train;

import dev.cm4j.autodiff.Var;
import dev.cm4j.tensor.Tensor;
import java.util.Map;

/** Shared helpers of the training tests. */
final class TrainingTestSupport {
    private TrainingTestSupport() {
    }

    /** Deep copies of a module's parameters by name. */
    static Map<String, Tensor> snapshot(Map<String, Var> params) {
        Map<String, Tensor> out = new java.util.LinkedHashMap<>();
        params.forEach((k, v) -> out.put(k, v.value().copy()));
        return out;
    }

    /** Largest absolute difference between two sets of tensors with the same names. */
    static float maxDiff(Map<String, Tensor> a, Map<String, Tensor> b) {
        float m = 0;
        for (Map.Entry<String, Tensor> e : a.entrySet()) {
            Tensor x = e.getValue();
            Tensor y = b.get(e.getKey());
            for (int i = 0; i < x.size(); i++) {
                m = Math.max(m, Math.abs(x.data()[x.offset() + i] - y.data()[y.offset() + i]));
            }
        }
        return m;
    }

    /** The tensors of live parameters by name (not copied). */
    static Map<String, Tensor> values(Map<String, Var> params) {
        Map<String, Tensor> out = new java.util.LinkedHashMap<>();
        params.forEach((k, v) -> out.put(k, v.value()));
        return out;
    }
}
