package dev.cm4j.tornado;

import uk.ac.manchester.tornado.api.KernelContext;
import uk.ac.manchester.tornado.api.WorkerGrid;
import uk.ac.manchester.tornado.api.WorkerGrid2D;
import uk.ac.manchester.tornado.api.annotations.Parallel;
import uk.ac.manchester.tornado.api.math.TornadoMath;

/**
 * Flash-style attention forward (Dao et al., "FlashAttention", 2022; the loop order of FlashAttention-2): the T x T
 * score matrix is never stored. A work-group of {@link #BQ} work-items owns BQ query rows of one (batch, head) item;
 * it walks the keys in tiles of {@link #BK}, staging each tile of k and v (headDim x BK) in local memory, and every
 * work-item keeps its row's running maximum m, running sum l and unnormalised output o in private memory (the online
 * softmax of Milakov and Gimelshein, 2018): per tile, m' = max(m, max_s score_s), then o and l are rescaled by
 * exp(m - m') and the tile's exp(score_s - m') are added. It writes out (B, C, T) and the row log-sum-exp
 * lse = m + log l, from which {@link #probs} rebuilds softmax rows when the backward pass needs them.
 *
 * <p>Layouts as in {@link AttentionShells}. Head dimensions up to {@link #MAX_D} (private arrays have a fixed size).
 * On the plain JVM a {@link KernelContext} kernel runs only work-item 0; {@link #reference} is the JVM twin.
 */
public final class FlashAttention {
    /** Query rows per work-group. */
    public static final int BQ = 16;
    /** Keys per tile staged in local memory. */
    public static final int BK = 16;
    /** Largest head dimension the private accumulators hold. */
    public static final int MAX_D = 128;

    private FlashAttention() {
    }

    // qkv (B,3C,T) -> out (B,C,T), lse (B*heads,T); work-group (query tile, bh)
    public static void forward(KernelContext ctx, float[] qkv, float[] out, float[] lse,
                               int heads, int d, int tokens, float scale) {
        int lid = ctx.localIdx;
        int t = ctx.groupIdx * BQ + lid;
        int bh = ctx.groupIdy;
        int b = bh / heads;
        int h = bh - b * heads;
        int c = heads * d;
        int q0 = (b * 3 * c + h * d) * tokens;
        int k0 = q0 + c * tokens;
        int v0 = q0 + 2 * c * tokens;
        float[] kTile = ctx.allocateFloatLocalArray(MAX_D * BK);
        float[] vTile = ctx.allocateFloatLocalArray(MAX_D * BK);
        float[] q = new float[MAX_D];
        float[] o = new float[MAX_D];
        float[] score = new float[BK];
        boolean live = t < tokens;
        for (int ch = 0; ch < d; ch++) {
            q[ch] = live ? qkv[q0 + ch * tokens + t] * scale : 0f;
            o[ch] = 0f;
        }
        // no infinities: OpenCL's -cl-fast-relaxed-math (TornadoVM's default) assumes finite values, so the first
        // tile sets m instead of rescaling from m = -inf
        float m = 0f;
        float l = 0f;
        for (int s0 = 0; s0 < tokens; s0 += BK) {
            // the group stages k[:, s0 .. s0+BK) and v[:, s0 .. s0+BK) as (d, BK) tiles; zeros past the last key
            for (int e = lid; e < d * BK; e += BQ) {
                int ch = e / BK;
                int s = s0 + e - ch * BK;
                kTile[e] = s < tokens ? qkv[k0 + ch * tokens + s] : 0f;
                vTile[e] = s < tokens ? qkv[v0 + ch * tokens + s] : 0f;
            }
            ctx.localBarrier();
            int len = Math.min(BK, tokens - s0);
            float tileMax = -Float.MAX_VALUE;
            for (int s = 0; s < len; s++) {
                float acc = 0f;
                for (int ch = 0; ch < d; ch++) {
                    acc += q[ch] * kTile[ch * BK + s];
                }
                score[s] = acc;
                tileMax = Math.max(tileMax, acc);
            }
            if (s0 > 0) {
                tileMax = Math.max(tileMax, m);
            }
            float rescale = s0 == 0 ? 0f : TornadoMath.exp(m - tileMax);
            l *= rescale;
            for (int ch = 0; ch < d; ch++) {
                o[ch] *= rescale;
            }
            for (int s = 0; s < len; s++) {
                float p = TornadoMath.exp(score[s] - tileMax);
                l += p;
                for (int ch = 0; ch < d; ch++) {
                    o[ch] += p * vTile[ch * BK + s];
                }
            }
            m = tileMax;
            ctx.localBarrier();             // the tiles are overwritten by the next step
        }
        if (live) {
            float inv = 1f / l;
            int o0 = (b * c + h * d) * tokens;
            for (int ch = 0; ch < d; ch++) {
                out[o0 + ch * tokens + t] = o[ch] * inv;
            }
            lse[bh * tokens + t] = m + TornadoMath.log(l);
        }
    }

    /** The launch geometry of {@link #forward}: query rows along x in groups of BQ, (batch, head) items along y. */
    public static WorkerGrid grid(int batch, int heads, int tokens) {
        WorkerGrid2D grid = new WorkerGrid2D(TiledGemm.roundUp(tokens, BQ), batch * heads);
        grid.setLocalWork(BQ, 1, 1);
        return grid;
    }

    // qkv (B,3C,T), lse (B*heads,T) -> probs (B*heads,T,T) = exp(scale q_t . k_s - lse_t); one work-item per row
    public static void probs(float[] qkv, float[] lse, float[] probs, int batch, int heads, int d, int tokens,
                             float scale) {
        for (@Parallel int bh = 0; bh < batch * heads; bh++) {
            for (@Parallel int t = 0; t < tokens; t++) {
                int q0 = AttentionShells.qOffset(bh, heads, d, tokens);
                int k0 = q0 + heads * d * tokens;
                float rowLse = lse[bh * tokens + t];
                int row = (bh * tokens + t) * tokens;
                for (int s = 0; s < tokens; s++) {
                    float acc = 0f;
                    for (int ch = 0; ch < d; ch++) {
                        acc += qkv[q0 + ch * tokens + t] * scale * qkv[k0 + ch * tokens + s];
                    }
                    probs[row + s] = TornadoMath.exp(acc - rowLse);
                }
            }
        }
    }

    // the JVM twin of forward: the same tiles and online-softmax updates, one query row at a time
    public static void reference(float[] qkv, float[] out, float[] lse, int batch, int heads, int d, int tokens,
                                 float scale) {
        int c = heads * d;
        float[] q = new float[d];
        float[] o = new float[d];
        float[] score = new float[BK];
        for (int bh = 0; bh < batch * heads; bh++) {
            int b = bh / heads;
            int h = bh % heads;
            int q0 = (b * 3 * c + h * d) * tokens;
            int k0 = q0 + c * tokens;
            int v0 = q0 + 2 * c * tokens;
            for (int t = 0; t < tokens; t++) {
                for (int ch = 0; ch < d; ch++) {
                    q[ch] = qkv[q0 + ch * tokens + t] * scale;
                    o[ch] = 0f;
                }
                float m = 0f;
                float l = 0f;
                for (int s0 = 0; s0 < tokens; s0 += BK) {
                    int len = Math.min(BK, tokens - s0);
                    float tileMax = -Float.MAX_VALUE;
                    for (int s = 0; s < len; s++) {
                        float acc = 0f;
                        for (int ch = 0; ch < d; ch++) {
                            acc += q[ch] * qkv[k0 + ch * tokens + s0 + s];
                        }
                        score[s] = acc;
                        tileMax = Math.max(tileMax, acc);
                    }
                    if (s0 > 0) {
                        tileMax = Math.max(tileMax, m);
                    }
                    float rescale = s0 == 0 ? 0f : (float) Math.exp(m - tileMax);
                    l *= rescale;
                    for (int ch = 0; ch < d; ch++) {
                        o[ch] *= rescale;
                    }
                    for (int s = 0; s < len; s++) {
                        float p = (float) Math.exp(score[s] - tileMax);
                        l += p;
                        for (int ch = 0; ch < d; ch++) {
                            o[ch] += p * qkv[v0 + ch * tokens + s0 + s];
                        }
                    }
                    m = tileMax;
                }
                int o0 = (b * c + h * d) * tokens;
                for (int ch = 0; ch < d; ch++) {
                    out[o0 + ch * tokens + t] = o[ch] / l;
                }
                lse[bh * tokens + t] = m + (float) Math.log(l);
            }
        }
    }
}
