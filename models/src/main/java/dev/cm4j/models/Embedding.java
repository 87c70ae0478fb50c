package dev.cm4j.models;

import dev.cm4j.autodiff.Var;
import dev.cm4j.tensor.Rng;
import dev.cm4j.tensor.Tensor;

/**
 * {@code torch.nn.Embedding}: a table {@code weight} (num, dim), initialised N(0, 1), whose rows are looked up by
 * index. The U-Net's class embedding ({@code label_emb}) is one.
 */
public final class Embedding extends Module {
    private final int num;
    private final int dim;
    private final Var weight;

    public Embedding(int num, int dim, Rng rng) {
        if (num <= 0 || dim <= 0) {
            throw new IllegalArgumentException("Embedding: " + num + " entries of size " + dim + " must be positive");
        }
        this.num = num;
        this.dim = dim;
        weight = registerParameter("weight", Init.standardNormal(rng, num, dim));
    }

    /** ids (B) -> (B, dim), row {@code ids[b]} of the table; every id must lie in [0, num). */
    public Var forward(int[] ids) {
        return lookup(weight, ids);
    }

    // weight (V, D), ids (B) -> y (B, D) = weight[ids]; dweight[v] = sum of g[b] over the b with ids[b] = v
    static Var lookup(Var weight, int[] ids) {
        int v = weight.dim(0), d = weight.dim(1);
        for (int b = 0; b < ids.length; b++) {
            if (ids[b] < 0 || ids[b] >= v) {
                throw new IllegalArgumentException("embedding: index " + ids[b] + " at position " + b
                        + " is outside [0, " + v + ")");
            }
        }
        int[] rows = ids.clone(); // the backward must see the ids of this call, not a caller's later edits
        Tensor w = weight.value();
        float[] wd = w.data(), y = new float[rows.length * d];
        for (int b = 0; b < rows.length; b++) {
            System.arraycopy(wd, w.offset() + rows[b] * d, y, b * d, d);
        }
        return Var.result("embedding", Tensor.wrap(y, new int[] {rows.length, d}), g -> {
            // scatter-add in batch order: repeated ids sum the same way for any thread count
            Tensor dw = Tensor.zeros(v, d);
            float[] gd = g.data(), dwd = dw.data();
            for (int b = 0; b < rows.length; b++) {
                int src = g.offset() + b * d, dst = rows[b] * d;
                for (int j = 0; j < d; j++) {
                    dwd[dst + j] += gd[src + j];
                }
            }
            weight.accumulateGrad(dw);
        }, weight);
    }

    @Override
    protected Embedding blank() {
        return new Embedding(num, dim, new Rng(0));
    }

    @Override
    public Embedding copy() {
        return (Embedding) super.copy();
    }

    public Var weight() {
        return weight;
    }

    public int num() {
        return num;
    }

    public int dim() {
        return dim;
    }
}
