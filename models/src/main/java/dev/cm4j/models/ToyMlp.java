package dev.cm4j.models;

import dev.cm4j.autodiff.ShapeOps;
import dev.cm4j.autodiff.Var;
import dev.cm4j.tensor.Rng;
import java.util.Arrays;
import java.util.List;

/**
 * The network F of a denoiser or consistency model for low-dimensional data (2-D toys), docs/ALGORITHMS.md#networks:
 * the input {@code c_in x} (B, d) is concatenated with a sinusoidal embedding of {@code noiseScale c_noise} (B, e),
 * then {@code depth} hidden layers of {@code width} SiLU units (each followed by dropout when p > 0), then a linear
 * output layer back to d.
 *
 * <p>Initialisation: hidden weights He-normal (fan-in, gain sqrt 2) with zero biases, and the output layer all zero,
 * so F = 0 and the model starts as {@code c_skip x}. PyTorch's default Linear initialisation shrinks activations about
 * 3x per layer here and a 4 x 256 network did not train; He-normal trains at once.
 *
 * <p>Parameter names: {@code net.0.weight}, {@code net.0.bias}, ... in the order of the layers of {@link #net()}.
 */
public final class ToyMlp extends Module {
    /**
     * The architecture. Named presets come from {@link #preset(String)}; each component can be changed alone with its
     * {@code withX} method.
     *
     * @param dataDim d, the data dimension (2)
     * @param width hidden units per layer (128-256)
     * @param depth number of hidden layers (3-4)
     * @param embeddingDim size of the sinusoidal noise embedding (32-64)
     * @param noiseScale factor applied to c_noise before the embedding; with c_noise = ln(sigma)/4 in [-1.6, 1.1],
     *                   about 100 spreads it over the embedding's frequencies
     * @param dropout dropout probability after each hidden activation (0 to disable)
     */
    public record Config(int dataDim, int width, int depth, int embeddingDim, double noiseScale, float dropout) {
        public Config {
            if (dataDim < 1 || width < 1 || depth < 1 || embeddingDim < 2 || !(noiseScale > 0)
                    || !(dropout >= 0f && dropout < 1f)) {
                throw new IllegalArgumentException("ToyMlp.Config: need dataDim, width, depth >= 1, embeddingDim >= 2, "
                        + "noiseScale > 0 and dropout in [0, 1); got " + dataDim + ", " + width + ", " + depth + ", "
                        + embeddingDim + ", " + noiseScale + ", " + dropout);
            }
        }

        /** 2-D data, 3 hidden layers of 128, a 32-d embedding of 10 c_noise, no dropout. */
        public static Config small2d() {
            return new Config(2, 128, 3, 32, 10, 0f);
        }

        /** The same architecture with another data dimension d. */
        public Config withDataDim(int dataDim) {
            return new Config(dataDim, width, depth, embeddingDim, noiseScale, dropout);
        }

        /** The same architecture with another number of hidden units per layer. */
        public Config withWidth(int width) {
            return new Config(dataDim, width, depth, embeddingDim, noiseScale, dropout);
        }

        /** The same architecture with another number of hidden layers. */
        public Config withDepth(int depth) {
            return new Config(dataDim, width, depth, embeddingDim, noiseScale, dropout);
        }

        /** The same architecture with another size of the noise embedding. */
        public Config withEmbeddingDim(int embeddingDim) {
            return new Config(dataDim, width, depth, embeddingDim, noiseScale, dropout);
        }

        /** The same architecture with another factor on c_noise before the embedding. */
        public Config withNoiseScale(double noiseScale) {
            return new Config(dataDim, width, depth, embeddingDim, noiseScale, dropout);
        }

        /** The same architecture with another dropout probability. */
        public Config withDropout(float dropout) {
            return new Config(dataDim, width, depth, embeddingDim, noiseScale, dropout);
        }

        /** The names {@link #preset(String)} knows: small2d. */
        public static List<String> presetNames() {
            return List.of("small2d");
        }

        /**
         * The preset of that name ({@link #presetNames()}).
         *
         * @throws IllegalArgumentException for an unknown name, naming it and the known ones
         */
        public static Config preset(String name) {
            return Presets.lookup("ToyMlp.Config", java.util.Map.<String, java.util.function.Function<Void, Config>>of(
                    "small2d", v -> small2d()), name, null);
        }
    }

    private final Config config;
    private final Sequential net;
    /** Seed and stream of the construction generator, whose forks are the dropout generators (for copy()). */
    private final long seed;
    private final long stream;

    /** A freshly initialised network; {@code rng} draws the weights and seeds the dropout layers. */
    public ToyMlp(Config config, Rng rng) {
        this.config = config;
        this.seed = rng.seed();
        this.stream = rng.stream();
        Sequential layers = new Sequential();
        int in = config.dataDim() + config.embeddingDim();
        for (int l = 0; l < config.depth(); l++) {
            layers.add(new Linear(in, config.width(), true, Init.Scheme.HE_NORMAL, rng));
            layers.add(new SiLU());
            if (config.dropout() > 0f) {
                layers.add(new Dropout(config.dropout(), rng.fork(1000 + l)));
            }
            in = config.width();
        }
        layers.add(new Linear(in, config.dataDim(), true, Init.Scheme.ZERO, rng));
        this.net = registerModule("net", layers);
    }

    /** The same network; the dropout generators are forks of a generator of the original seed and stream. */
    @Override
    protected ToyMlp blank() {
        return new ToyMlp(config, new Rng(seed, stream));
    }

    @Override
    public ToyMlp copy() {
        return (ToyMlp) super.copy();
    }

    public Config config() {
        return config;
    }

    /** The layers: Linear, SiLU (, Dropout) per hidden layer, then the output Linear. */
    public Sequential net() {
        return net;
    }

    /**
     * F(input, c_noise): input (B, d) is c_in x, cNoise (B) the noise levels as the preconditioning encodes them;
     * returns (B, d).
     */
    public Var forward(Var input, Var cNoise) {
        if (input.rank() != 2 || input.dim(1) != config.dataDim() || cNoise.rank() != 1
                || cNoise.dim(0) != input.dim(0)) {
            throw new IllegalArgumentException("ToyMlp.forward: input " + Arrays.toString(input.shape())
                    + " must be (B, " + config.dataDim() + ") and c_noise " + Arrays.toString(cNoise.shape())
                    + " must be (B)");
        }
        Var emb = Embeddings.timestep(cNoise.mul((float) config.noiseScale()), config.embeddingDim());
        return net.forward(ShapeOps.concat(1, input, emb));
    }
}
