package dev.cm4j.tensor.kernels;

/**
 * Plain double-precision references for the neural-network kernels, written straight from the definitions (no
 * shared code with the kernels under test). Backward references are checked against central finite differences of the
 * forward references in {@code NNReferenceTest}.
 */
public final class NNReference {
    private NNReference() {
    }

    public static double[] toDouble(float[] a) {
        double[] d = new double[a.length];
        for (int i = 0; i < a.length; i++) {
            d[i] = a[i];
        }
        return d;
    }

    // x (N,C,H,W), w (K,C,kh,kw), bias (K) or null -> y (N,K,Ho,Wo)
    public static double[] conv2d(ConvolutionShape s, double[] x, double[] w, double[] bias) {
        int oh = s.outH();
        int ow = s.outW();
        double[] y = new double[(int) s.outputSize()];
        for (int n = 0; n < s.n(); n++) {
            for (int k = 0; k < s.k(); k++) {
                for (int r = 0; r < oh; r++) {
                    for (int q = 0; q < ow; q++) {
                        double acc = bias == null ? 0 : bias[k];
                        for (int c = 0; c < s.c(); c++) {
                            for (int i = 0; i < s.kh(); i++) {
                                for (int j = 0; j < s.kw(); j++) {
                                    int ih = r * s.stride() - s.padding() + i;
                                    int iw = q * s.stride() - s.padding() + j;
                                    if (ih >= 0 && ih < s.h() && iw >= 0 && iw < s.w()) {
                                        acc += x[((n * s.c() + c) * s.h() + ih) * s.w() + iw]
                                                * w[((k * s.c() + c) * s.kh() + i) * s.kw() + j];
                                    }
                                }
                            }
                        }
                        y[((n * s.k() + k) * oh + r) * ow + q] = acc;
                    }
                }
            }
        }
        return y;
    }

    /** dx and dw of conv2d by scattering every output gradient back along the taps that produced it. */
    public static double[][] conv2dBackward(ConvolutionShape s, double[] dy, double[] x, double[] w) {
        int oh = s.outH();
        int ow = s.outW();
        double[] dx = new double[(int) s.inputSize()];
        double[] dw = new double[(int) s.weightSize()];
        for (int n = 0; n < s.n(); n++) {
            for (int k = 0; k < s.k(); k++) {
                for (int r = 0; r < oh; r++) {
                    for (int q = 0; q < ow; q++) {
                        double g = dy[((n * s.k() + k) * oh + r) * ow + q];
                        for (int c = 0; c < s.c(); c++) {
                            for (int i = 0; i < s.kh(); i++) {
                                for (int j = 0; j < s.kw(); j++) {
                                    int ih = r * s.stride() - s.padding() + i;
                                    int iw = q * s.stride() - s.padding() + j;
                                    if (ih >= 0 && ih < s.h() && iw >= 0 && iw < s.w()) {
                                        int xi = ((n * s.c() + c) * s.h() + ih) * s.w() + iw;
                                        int wi = ((k * s.c() + c) * s.kh() + i) * s.kw() + j;
                                        dx[xi] += g * w[wi];
                                        dw[wi] += g * x[xi];
                                    }
                                }
                            }
                        }
                    }
                }
            }
        }
        return new double[][] {dx, dw};
    }

    // x (rows,n) -> softmax rows
    public static double[] softmax(int rows, int n, double[] x) {
        double[] y = new double[rows * n];
        for (int r = 0; r < rows; r++) {
            double max = Double.NEGATIVE_INFINITY;
            for (int i = 0; i < n; i++) {
                max = Math.max(max, x[r * n + i]);
            }
            double sum = 0;
            for (int i = 0; i < n; i++) {
                sum += Math.exp(x[r * n + i] - max);
            }
            for (int i = 0; i < n; i++) {
                y[r * n + i] = Math.exp(x[r * n + i] - max) / sum;
            }
        }
        return y;
    }

    /** The vector-Jacobian product of softmax written as the full Jacobian: dx_i = sum_j dy_j y_j (delta_ij - y_i). */
    public static double[] softmaxBackward(int rows, int n, double[] dy, double[] y) {
        double[] dx = new double[rows * n];
        for (int r = 0; r < rows; r++) {
            for (int i = 0; i < n; i++) {
                double acc = 0;
                for (int j = 0; j < n; j++) {
                    double jac = y[r * n + j] * ((i == j ? 1 : 0) - y[r * n + i]);
                    acc += dy[r * n + j] * jac;
                }
                dx[r * n + i] = acc;
            }
        }
        return dx;
    }

    // x (N,C,S) -> y; returns {y, mean (N*G), rstd (N*G)}
    public static double[][] groupNorm(int n, int c, int s, int groups, double eps, double[] x, double[] gamma,
                                       double[] beta) {
        int cg = c / groups;
        double[] y = new double[n * c * s];
        double[] mean = new double[n * groups];
        double[] rstd = new double[n * groups];
        for (int b = 0; b < n; b++) {
            for (int g = 0; g < groups; g++) {
                int off = (b * c + g * cg) * s;
                int m = cg * s;
                double mu = 0;
                for (int i = 0; i < m; i++) {
                    mu += x[off + i];
                }
                mu /= m;
                double var = 0;
                for (int i = 0; i < m; i++) {
                    var += (x[off + i] - mu) * (x[off + i] - mu);
                }
                var /= m;
                double r = 1 / Math.sqrt(var + eps);
                mean[b * groups + g] = mu;
                rstd[b * groups + g] = r;
                for (int i = 0; i < m; i++) {
                    int ch = g * cg + i / s;
                    y[off + i] = (x[off + i] - mu) * r * gamma[ch] + beta[ch];
                }
            }
        }
        return new double[][] {y, mean, rstd};
    }

    /** Returns {dx, dgamma, dbeta}. */
    public static double[][] groupNormBackward(int n, int c, int s, int groups, double eps, double[] dy, double[] x,
                                               double[] gamma) {
        int cg = c / groups;
        double[] dx = new double[n * c * s];
        double[] dgamma = new double[c];
        double[] dbeta = new double[c];
        double[][] fwd = groupNorm(n, c, s, groups, eps, x, gamma, new double[c]);
        for (int b = 0; b < n; b++) {
            for (int g = 0; g < groups; g++) {
                int off = (b * c + g * cg) * s;
                int m = cg * s;
                double mu = fwd[1][b * groups + g];
                double r = fwd[2][b * groups + g];
                double sumG = 0;
                double sumGX = 0;
                for (int i = 0; i < m; i++) {
                    int ch = g * cg + i / s;
                    double xhat = (x[off + i] - mu) * r;
                    double gi = dy[off + i] * gamma[ch];
                    sumG += gi;
                    sumGX += gi * xhat;
                    dgamma[ch] += dy[off + i] * xhat;
                    dbeta[ch] += dy[off + i];
                }
                for (int i = 0; i < m; i++) {
                    int ch = g * cg + i / s;
                    double xhat = (x[off + i] - mu) * r;
                    dx[off + i] = r * (dy[off + i] * gamma[ch] - sumG / m - xhat * sumGX / m);
                }
            }
        }
        return new double[][] {dx, dgamma, dbeta};
    }

    // qkv (B,3C,T) with channels (three, heads, d) -> {out (B,C,T), probs (B*heads,T,T)}
    public static double[][] qkvAttention(int batch, int heads, int d, int t, double[] qkv) {
        int c = heads * d;
        double[] out = new double[batch * c * t];
        double[] probs = new double[batch * heads * t * t];
        double scale = 1 / Math.sqrt(d);
        for (int b = 0; b < batch; b++) {
            for (int h = 0; h < heads; h++) {
                int q = (b * 3 * c + h * d) * t;
                int k = q + c * t;
                int v = q + 2 * c * t;
                int p = (b * heads + h) * t * t;
                double[] scores = new double[t * t];
                for (int i = 0; i < t; i++) {
                    for (int j = 0; j < t; j++) {
                        double acc = 0;
                        for (int ch = 0; ch < d; ch++) {
                            acc += qkv[q + ch * t + i] * qkv[k + ch * t + j];
                        }
                        scores[i * t + j] = acc * scale;
                    }
                }
                double[] pr = softmax(t, t, scores);
                System.arraycopy(pr, 0, probs, p, t * t);
                for (int ch = 0; ch < d; ch++) {
                    for (int i = 0; i < t; i++) {
                        double acc = 0;
                        for (int j = 0; j < t; j++) {
                            acc += pr[i * t + j] * qkv[v + ch * t + j];
                        }
                        out[(b * c + h * d + ch) * t + i] = acc;
                    }
                }
            }
        }
        return new double[][] {out, probs};
    }

    /** dqkv of the attention core, by the chain rule through scores, softmax and the value product. */
    public static double[] qkvAttentionBackward(int batch, int heads, int d, int t, double[] dout, double[] qkv) {
        int c = heads * d;
        double[] probs = qkvAttention(batch, heads, d, t, qkv)[1];
        double[] dqkv = new double[qkv.length];
        double scale = 1 / Math.sqrt(d);
        for (int b = 0; b < batch; b++) {
            for (int h = 0; h < heads; h++) {
                int q = (b * 3 * c + h * d) * t;
                int k = q + c * t;
                int v = q + 2 * c * t;
                int o = (b * c + h * d) * t;
                int p = (b * heads + h) * t * t;
                double[] pr = java.util.Arrays.copyOfRange(probs, p, p + t * t);
                double[] dp = new double[t * t];
                for (int i = 0; i < t; i++) {
                    for (int j = 0; j < t; j++) {
                        for (int ch = 0; ch < d; ch++) {
                            dp[i * t + j] += dout[o + ch * t + i] * qkv[v + ch * t + j];
                            dqkv[v + ch * t + j] += pr[i * t + j] * dout[o + ch * t + i];
                        }
                    }
                }
                double[] ds = softmaxBackward(t, t, dp, pr);
                for (int i = 0; i < t; i++) {
                    for (int j = 0; j < t; j++) {
                        for (int ch = 0; ch < d; ch++) {
                            dqkv[q + ch * t + i] += ds[i * t + j] * qkv[k + ch * t + j] * scale;
                            dqkv[k + ch * t + j] += ds[i * t + j] * qkv[q + ch * t + i] * scale;
                        }
                    }
                }
            }
        }
        return dqkv;
    }
}
