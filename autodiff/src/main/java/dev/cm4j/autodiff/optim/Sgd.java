package dev.cm4j.autodiff.optim;

import dev.cm4j.autodiff.Var;
import dev.cm4j.tensor.Tensor;

import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Stochastic gradient descent with momentum, PyTorch's {@code torch.optim.SGD} rule: d = g + wd p; on the first step
 * b = d, later b = mu b + (1 - dampening) d; the step uses d + mu b (Nesterov) or b; p -= lr d.
 */
public final class Sgd extends Optimizer {
    private final float momentum;
    private final float dampening;
    private final float weightDecay;
    private final boolean nesterov;

    /** Plain SGD: no momentum, no weight decay. */
    public Sgd(Map<String, Var> params, double lr) {
        this(params, lr, 0, 0, 0, false);
    }

    /** SGD with momentum (and dampening, Nesterov) and L2 weight decay, PyTorch's parameters. */
    public Sgd(Map<String, Var> params, double lr, double momentum, double dampening, double weightDecay,
               boolean nesterov) {
        super(params, lr, "momentum_buffer");
        if (momentum < 0 || weightDecay < 0 || (nesterov && (momentum <= 0 || dampening != 0))) {
            throw new IllegalArgumentException("Sgd: momentum " + momentum + ", dampening " + dampening
                    + ", weight decay " + weightDecay + ", nesterov " + nesterov + " is not a valid setting");
        }
        this.momentum = (float) momentum;
        this.dampening = (float) dampening;
        this.weightDecay = (float) weightDecay;
        this.nesterov = nesterov;
    }

    @Override
    public Map<String, Double> settings() {
        Map<String, Double> s = new LinkedHashMap<>();
        s.put("momentum", (double) momentum);
        s.put("dampening", (double) dampening);
        s.put("weight_decay", (double) weightDecay);
        s.put("nesterov", nesterov ? 1.0 : 0.0);
        return s;
    }

    @Override
    protected Update prepare(long t, double lr) {
        float rate = (float) lr;
        boolean first = t == 1;
        return (pd, po, gd, go, s, i0, i1) -> {
            Tensor buf = s[0];
            float[] b = buf.data();
            int bo = buf.offset();
            for (int i = i0; i < i1; i++) {
                float p = pd[po + i];
                float d = gd[go + i] + weightDecay * p;
                if (momentum != 0f) {
                    float m = first ? d : momentum * b[bo + i] + (1f - dampening) * d;
                    b[bo + i] = m;
                    d = nesterov ? d + momentum * m : m;
                }
                pd[po + i] = p - rate * d;
            }
        };
    }
}
