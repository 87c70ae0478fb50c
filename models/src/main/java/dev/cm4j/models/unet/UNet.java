package dev.cm4j.models.unet;

import dev.cm4j.autodiff.ShapeOps;
import dev.cm4j.autodiff.Var;
import dev.cm4j.models.Conv2d;
import dev.cm4j.models.Embedding;
import dev.cm4j.models.Embeddings;
import dev.cm4j.models.GroupNorm;
import dev.cm4j.models.Init;
import dev.cm4j.models.Linear;
import dev.cm4j.models.Module;
import dev.cm4j.models.ModuleList;
import dev.cm4j.models.Sequential;
import dev.cm4j.models.ShapeOnly;
import dev.cm4j.models.SiLU;
import dev.cm4j.tensor.Rng;

import java.util.ArrayDeque;
import java.util.Arrays;
import java.util.Collections;
import java.util.Deque;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.IntStream;

/**
 * The ADM U-Net of openai/consistency_models ({@code UNetModel} in {@code cm/unet.py}), with the same structure and
 * parameter names, so the state dict of a released checkpoint maps one to one by name and shape:
 * <pre>
 *   time_embed.{0,2}           Linear(mc -> 4mc), SiLU, Linear(4mc -> 4mc) on the sinusoidal embedding of c_noise
 *   label_emb                  Embedding(classes, 4mc), added to the time embedding (class-conditional models)
 *   input_blocks.N.M           conv3x3 stem, then per level: ResBlocks (+ AttentionBlock), then a down block
 *   middle_block.{0,1,2}       ResBlock, AttentionBlock, ResBlock
 *   output_blocks.N.M          per level, deepest first: ResBlocks on [h, skip] (+ AttentionBlock), then an up block
 *   out.{0,2}                  GroupNorm, SiLU, zero-initialised conv3x3 (mc mult[0] -> out channels)
 * </pre>
 * The output convolutions of every residual branch, attention projection and {@code out.2} start at zero, so a
 * fresh network outputs exactly 0.
 */
public final class UNet extends Module {
    /** Dropout generators are forks of the weight generator with these ids plus the ResBlock's index. */
    private static final long DROPOUT_STREAMS = 1000;

    /**
     * The architecture, in the terms of ADM's {@code create_model}. Named presets come from {@link #preset(String)}
     * (the released networks and a small one); each component can be changed alone with its {@code withX} method.
     *
     * @param imageSize            H = W of the input; must be divisible by 2^(levels - 1)
     * @param inChannels           channels of the input
     * @param outChannels          channels of the output (learn_sigma is not modelled)
     * @param modelChannels        mc, the channels of the first level
     * @param channelMult          channels of level l = mc * channelMult[l]; one level per entry
     * @param numResBlocks         ResBlocks per level on the way down (one more on the way up)
     * @param attentionResolutions resolutions (in pixels, as ADM's command line gives them: 32,16,8) whose levels
     *                             get attention after each ResBlock; each must be a level's resolution
     * @param dropout              dropout probability inside every ResBlock
     * @param numClasses           0 for an unconditional model, else the number of class labels
     * @param numHeads             attention heads when numHeadChannels &lt;= 0
     * @param numHeadChannels      channels per head (ADM's num_head_channels; overrides numHeads when > 0)
     * @param useScaleShiftNorm    FiLM-like conditioning in the ResBlocks
     * @param resblockUpdown       resample with ResBlocks (average pool / nearest) instead of plain layers
     * @param convResample         without resblockUpdown: strided 3x3 down and upsample + 3x3 up (else pool/nearest)
     * @param groups               GroupNorm groups everywhere (ADM: 32); must divide every level's channels
     */
    public record Config(int imageSize, int inChannels, int outChannels, int modelChannels, List<Integer> channelMult,
                         int numResBlocks, List<Integer> attentionResolutions, float dropout, int numClasses,
                         int numHeads, int numHeadChannels, boolean useScaleShiftNorm, boolean resblockUpdown,
                         boolean convResample, int groups) {
        public Config {
            channelMult = List.copyOf(channelMult);
            attentionResolutions = List.copyOf(attentionResolutions);
            if (imageSize < 1 || inChannels < 1 || outChannels < 1 || modelChannels < 1 || numResBlocks < 1
                    || groups < 1 || numClasses < 0 || channelMult.isEmpty()) {
                throw new IllegalArgumentException("UNet.Config: image size " + imageSize + ", in/out channels "
                        + inChannels + "/" + outChannels + ", model channels " + modelChannels + ", res blocks "
                        + numResBlocks + ", groups " + groups + " must be >= 1, classes " + numClasses
                        + " >= 0 and channel multipliers " + channelMult + " non-empty");
            }
            if (!(dropout >= 0f && dropout < 1f)) {
                throw new IllegalArgumentException("UNet.Config: dropout " + dropout + " must be in [0, 1)");
            }
            int levels = channelMult.size();
            if (imageSize % (1 << (levels - 1)) != 0) {
                throw new IllegalArgumentException("UNet.Config: image size " + imageSize + " is not divisible by "
                        + (1 << (levels - 1)) + " (" + levels + " levels halve it " + (levels - 1) + " times)");
            }
            int[] res = new int[levels];
            for (int l = 0; l < levels; l++) {
                res[l] = imageSize >> l;
                int m = channelMult.get(l);
                if (m < 1) {
                    throw new IllegalArgumentException("UNet.Config: channel multiplier " + m + " of level " + l
                            + " must be >= 1");
                }
                if ((modelChannels * m) % groups != 0) {
                    throw new IllegalArgumentException("UNet.Config: " + modelChannels * m + " channels of level "
                            + l + " (model channels " + modelChannels + " x " + m + ") are not divisible by "
                            + groups + " groups");
                }
            }
            for (int r : attentionResolutions) {
                int l = levelOf(imageSize, levels, r);
                if (l < 0) {
                    throw new IllegalArgumentException("UNet.Config: attention resolution " + r + " is never reached;"
                            + " the levels have resolutions " + Arrays.toString(res));
                }
                checkHeads(modelChannels * channelMult.get(l), numHeads, numHeadChannels, "resolution " + r);
            }
            checkHeads(modelChannels * channelMult.get(levels - 1), numHeads, numHeadChannels, "the middle block");
        }

        private static int levelOf(int imageSize, int levels, int resolution) {
            for (int l = 0; l < levels; l++) {
                if (imageSize >> l == resolution) {
                    return l;
                }
            }
            return -1;
        }

        private static void checkHeads(int channels, int numHeads, int numHeadChannels, String where) {
            boolean ok = numHeadChannels > 0 ? channels % numHeadChannels == 0 : numHeads > 0 && channels % numHeads == 0;
            if (!ok) {
                throw new IllegalArgumentException("UNet.Config: the " + channels + " channels of the attention at "
                        + where + " cannot be split into " + (numHeadChannels > 0 ? "heads of " + numHeadChannels
                        + " channels" : numHeads + " heads"));
            }
        }

        /** Number of levels (resolutions) of the U-Net. */
        public int levels() {
            return channelMult.size();
        }

        /** True for a class-conditional model. */
        public boolean conditional() {
            return numClasses > 0;
        }

        /** Whether level l (resolution imageSize / 2^l) has attention blocks. */
        public boolean attentionAt(int level) {
            return attentionResolutions.contains(imageSize >> level);
        }

        // ------------------------------------------------------------ one component changed

        /** The same architecture with another image size (H = W). */
        public Config withImageSize(int imageSize) {
            return new Config(imageSize, inChannels, outChannels, modelChannels, channelMult, numResBlocks,
                    attentionResolutions, dropout, numClasses, numHeads, numHeadChannels, useScaleShiftNorm,
                    resblockUpdown, convResample, groups);
        }

        /** The same architecture with another number of input channels. */
        public Config withInChannels(int inChannels) {
            return new Config(imageSize, inChannels, outChannels, modelChannels, channelMult, numResBlocks,
                    attentionResolutions, dropout, numClasses, numHeads, numHeadChannels, useScaleShiftNorm,
                    resblockUpdown, convResample, groups);
        }

        /** The same architecture with another number of output channels. */
        public Config withOutChannels(int outChannels) {
            return new Config(imageSize, inChannels, outChannels, modelChannels, channelMult, numResBlocks,
                    attentionResolutions, dropout, numClasses, numHeads, numHeadChannels, useScaleShiftNorm,
                    resblockUpdown, convResample, groups);
        }

        /** The same architecture with other model channels mc. */
        public Config withModelChannels(int modelChannels) {
            return new Config(imageSize, inChannels, outChannels, modelChannels, channelMult, numResBlocks,
                    attentionResolutions, dropout, numClasses, numHeads, numHeadChannels, useScaleShiftNorm,
                    resblockUpdown, convResample, groups);
        }

        /** The same architecture with other channel multipliers (one level per entry). */
        public Config withChannelMult(List<Integer> channelMult) {
            return new Config(imageSize, inChannels, outChannels, modelChannels, channelMult, numResBlocks,
                    attentionResolutions, dropout, numClasses, numHeads, numHeadChannels, useScaleShiftNorm,
                    resblockUpdown, convResample, groups);
        }

        /** {@link #withChannelMult(List)} from an array. */
        public Config withChannelMult(int... channelMult) {
            return withChannelMult(IntStream.of(channelMult).boxed().toList());
        }

        /** The same architecture with another number of ResBlocks per level. */
        public Config withNumResBlocks(int numResBlocks) {
            return new Config(imageSize, inChannels, outChannels, modelChannels, channelMult, numResBlocks,
                    attentionResolutions, dropout, numClasses, numHeads, numHeadChannels, useScaleShiftNorm,
                    resblockUpdown, convResample, groups);
        }

        /** The same architecture with attention at other resolutions (in pixels). */
        public Config withAttentionResolutions(List<Integer> attentionResolutions) {
            return new Config(imageSize, inChannels, outChannels, modelChannels, channelMult, numResBlocks,
                    attentionResolutions, dropout, numClasses, numHeads, numHeadChannels, useScaleShiftNorm,
                    resblockUpdown, convResample, groups);
        }

        /** {@link #withAttentionResolutions(List)} from an array. */
        public Config withAttentionResolutions(int... attentionResolutions) {
            return withAttentionResolutions(IntStream.of(attentionResolutions).boxed().toList());
        }

        /** The same architecture with another dropout probability (the released teachers use 0.1). */
        public Config withDropout(float dropout) {
            return new Config(imageSize, inChannels, outChannels, modelChannels, channelMult, numResBlocks,
                    attentionResolutions, dropout, numClasses, numHeads, numHeadChannels, useScaleShiftNorm,
                    resblockUpdown, convResample, groups);
        }

        /** The same architecture with another number of classes (0: unconditional). */
        public Config withNumClasses(int numClasses) {
            return new Config(imageSize, inChannels, outChannels, modelChannels, channelMult, numResBlocks,
                    attentionResolutions, dropout, numClasses, numHeads, numHeadChannels, useScaleShiftNorm,
                    resblockUpdown, convResample, groups);
        }

        /** The same architecture with another number of attention heads (used when numHeadChannels &lt;= 0). */
        public Config withNumHeads(int numHeads) {
            return new Config(imageSize, inChannels, outChannels, modelChannels, channelMult, numResBlocks,
                    attentionResolutions, dropout, numClasses, numHeads, numHeadChannels, useScaleShiftNorm,
                    resblockUpdown, convResample, groups);
        }

        /** The same architecture with other channels per attention head (&lt;= 0: use numHeads). */
        public Config withNumHeadChannels(int numHeadChannels) {
            return new Config(imageSize, inChannels, outChannels, modelChannels, channelMult, numResBlocks,
                    attentionResolutions, dropout, numClasses, numHeads, numHeadChannels, useScaleShiftNorm,
                    resblockUpdown, convResample, groups);
        }

        /** The same architecture with or without scale-shift norm in the ResBlocks. */
        public Config withScaleShiftNorm(boolean on) {
            return new Config(imageSize, inChannels, outChannels, modelChannels, channelMult, numResBlocks,
                    attentionResolutions, dropout, numClasses, numHeads, numHeadChannels, on, resblockUpdown,
                    convResample, groups);
        }

        /** The same architecture with or without ResBlock resampling. */
        public Config withResblockUpdown(boolean on) {
            return new Config(imageSize, inChannels, outChannels, modelChannels, channelMult, numResBlocks,
                    attentionResolutions, dropout, numClasses, numHeads, numHeadChannels, useScaleShiftNorm, on,
                    convResample, groups);
        }

        /** The same architecture with or without convolutions in the plain resampling layers. */
        public Config withConvResample(boolean on) {
            return new Config(imageSize, inChannels, outChannels, modelChannels, channelMult, numResBlocks,
                    attentionResolutions, dropout, numClasses, numHeads, numHeadChannels, useScaleShiftNorm,
                    resblockUpdown, on, groups);
        }

        /** The same architecture with another number of GroupNorm groups. */
        public Config withGroups(int groups) {
            return new Config(imageSize, inChannels, outChannels, modelChannels, channelMult, numResBlocks,
                    attentionResolutions, dropout, numClasses, numHeads, numHeadChannels, useScaleShiftNorm,
                    resblockUpdown, convResample, groups);
        }

        // ------------------------------------------------------------ named presets

        /**
         * The released class-conditional ImageNet 64x64 network: mc 192, mult (1, 2, 3, 4), 3 ResBlocks, attention
         * at 32, 16 and 8 with 64-channel heads, scale-shift norm, ResBlock up/down, 1000 classes, dropout 0 (the
         * consistency models'; the EDM teacher used 0.1). 295,899,267 parameters.
         */
        public static Config imageNet64() {
            return new Config(64, 3, 3, 192, List.of(1, 2, 3, 4), 3, List.of(32, 16, 8), 0f, 1000, 4, 64, true,
                    true, true, 32);
        }

        /**
         * The released unconditional LSUN 256x256 network: mc 256, mult (1, 1, 2, 2, 4, 4), 2 ResBlocks, attention
         * at 32, 16 and 8 with 64-channel heads, no scale-shift norm, ResBlock up/down, dropout 0.
         * 526,304,771 parameters.
         */
        public static Config lsun256() {
            return new Config(256, 3, 3, 256, List.of(1, 1, 2, 2, 4, 4), 2, List.of(32, 16, 8), 0f, 0, 4, 64,
                    false, true, true, 32);
        }

        /**
         * A small network for 28x28x1 images (docs/ALGORITHMS.md#networks): mc 32, mult (1, 2, 2) (28 -> 14 -> 7), 2
         * ResBlocks, attention only at 7x7 with one head, GroupNorm with 8 groups, strided-convolution down and
         * convolution up sampling, scale-shift norm (the time embedding scales and shifts each ResBlock's second
         * GroupNorm, as the released networks with {@code use_scale_shift_norm}), unconditional, dropout 0 (use
         * {@link #withDropout} 0.1 for an EDM teacher or consistency training).
         */
        public static Config small28() {
            return new Config(28, 1, 1, 32, List.of(1, 2, 2), 2, List.of(7), 0f, 0, 1, -1, true, false, true, 8);
        }

        /**
         * {@link #small28()} for 32x32 RGB images (EmojiOne): 3 channels in and out, 32 -> 16 -> 8, attention at 8x8;
         * otherwise the same.
         */
        public static Config small32rgb() {
            return new Config(32, 3, 3, 32, List.of(1, 2, 2), 2, List.of(8), 0f, 0, 1, -1, true, false, true, 8);
        }

        /** The presets by name, in the order {@link #presetNames()} lists them. */
        private static final Map<String, java.util.function.Function<Void, Config>> PRESETS = presetTable();

        private static Map<String, java.util.function.Function<Void, Config>> presetTable() {
            Map<String, java.util.function.Function<Void, Config>> m = new LinkedHashMap<>();
            m.put("imagenet64", v -> imageNet64());
            m.put("lsun256", v -> lsun256());
            m.put("small28", v -> small28());
            m.put("small32rgb", v -> small32rgb());
            return Collections.unmodifiableMap(m);
        }

        /** The names {@link #preset(String)} knows: imagenet64, lsun256, small28, small32rgb. */
        public static List<String> presetNames() {
            return List.copyOf(PRESETS.keySet());
        }

        /**
         * The preset of that name ({@link #presetNames()}), e.g. {@code preset("small28").withDropout(0.1f)}.
         *
         * @throws IllegalArgumentException for an unknown name, naming it and the known ones
         */
        public static Config preset(String name) {
            return dev.cm4j.models.Presets.lookup("UNet.Config", PRESETS, name, null);
        }
    }

    private final Config config;
    private final Sequential timeEmbed;
    private final Embedding labelEmb;
    private final ModuleList<TimestepSequential> inputBlocks;
    private final TimestepSequential middleBlock;
    private final ModuleList<TimestepSequential> outputBlocks;
    private final GroupNorm outNorm;
    private final Sequential out;
    /** Index of the next ResBlock, for its dropout stream. */
    private int resBlocks;
    /** Seed and stream of the construction generator, whose forks are the dropout generators (for copy()). */
    private final long seed;
    private final long stream;

    /** A freshly initialised network; {@code rng} draws the weights and seeds the dropout generators. */
    public UNet(Config config, Rng rng) {
        this.config = config;
        this.seed = rng.seed();
        this.stream = rng.stream();
        int mc = config.modelChannels();
        int embDim = 4 * mc;
        timeEmbed = registerModule("time_embed", new Sequential(new Linear(mc, embDim, rng), new SiLU(),
                new Linear(embDim, embDim, rng)));
        labelEmb = config.conditional() ? registerModule("label_emb", new Embedding(config.numClasses(), embDim, rng))
                : null;

        // down: the stem, then per level numResBlocks ResBlocks and (except at the bottom) one down block
        inputBlocks = registerModule("input_blocks", new ModuleList<>());
        int ch = mc * config.channelMult().get(0);
        inputBlocks.add(new TimestepSequential(Conv2d.same3x3(config.inChannels(), ch, rng)));
        Deque<Integer> skipChannels = new ArrayDeque<>();
        skipChannels.push(ch);
        int levels = config.levels();
        for (int level = 0; level < levels; level++) {
            int levelCh = mc * config.channelMult().get(level);
            for (int i = 0; i < config.numResBlocks(); i++) {
                TimestepSequential block = new TimestepSequential(resBlock(ch, levelCh, ResBlock.Resample.NONE, rng));
                ch = levelCh;
                if (config.attentionAt(level)) {
                    block.add(attention(ch, rng));
                }
                inputBlocks.add(block);
                skipChannels.push(ch);
            }
            if (level != levels - 1) {
                inputBlocks.add(new TimestepSequential(config.resblockUpdown()
                        ? resBlock(ch, ch, ResBlock.Resample.DOWN, rng)
                        : new Downsample(ch, config.convResample(), ch, rng)));
                skipChannels.push(ch);
            }
        }

        middleBlock = registerModule("middle_block", new TimestepSequential(
                resBlock(ch, ch, ResBlock.Resample.NONE, rng), attention(ch, rng),
                resBlock(ch, ch, ResBlock.Resample.NONE, rng)));

        // up: per level, deepest first, numResBlocks + 1 ResBlocks on [h, skip]; the last of a level upsamples
        outputBlocks = registerModule("output_blocks", new ModuleList<>());
        for (int level = levels - 1; level >= 0; level--) {
            int levelCh = mc * config.channelMult().get(level);
            for (int i = 0; i <= config.numResBlocks(); i++) {
                TimestepSequential block = new TimestepSequential(
                        resBlock(ch + skipChannels.pop(), levelCh, ResBlock.Resample.NONE, rng));
                ch = levelCh;
                if (config.attentionAt(level)) {
                    block.add(attention(ch, rng));
                }
                if (level > 0 && i == config.numResBlocks()) {
                    block.add(config.resblockUpdown() ? resBlock(ch, ch, ResBlock.Resample.UP, rng)
                            : new Upsample(ch, config.convResample(), ch, rng));
                }
                outputBlocks.add(block);
            }
        }

        outNorm = new GroupNorm(config.groups(), ch);
        out = registerModule("out", new Sequential(outNorm, new SiLU(),
                new Conv2d(ch, config.outChannels(), 3, 1, 1, true, Init.Scheme.ZERO, rng)));
    }

    private ResBlock resBlock(int in, int outCh, ResBlock.Resample resample, Rng rng) {
        Rng dropoutRng = rng.fork(DROPOUT_STREAMS + resBlocks++);
        return new ResBlock(in, 4 * config.modelChannels(), config.dropout(), outCh, config.useScaleShiftNorm(),
                resample, config.groups(), rng, dropoutRng);
    }

    private AttentionBlock attention(int ch, Rng rng) {
        int heads = AttentionBlock.headsFor(ch, config.numHeads(), config.numHeadChannels());
        return new AttentionBlock(ch, heads, config.groups(), rng);
    }

    /**
     * F(x, c_noise, y): x (B, in, S, S) with S the configured image size, cNoise (B) the noise levels as the
     * preconditioning encodes them (ADM: 250 ln sigma), labels (B) class indices for a conditional model and null
     * for an unconditional one; returns (B, out, S, S).
     */
    public Var forward(Var x, Var cNoise, int[] labels) {
        int s = config.imageSize();
        if (x.rank() != 4 || x.dim(1) != config.inChannels() || x.dim(2) != s || x.dim(3) != s) {
            throw new IllegalArgumentException("UNet.forward: input " + Arrays.toString(x.shape()) + " is not (B, "
                    + config.inChannels() + ", " + s + ", " + s + ")");
        }
        int b = x.dim(0);
        if (cNoise.rank() != 1 || cNoise.dim(0) != b) {
            throw new IllegalArgumentException("UNet.forward: c_noise " + Arrays.toString(cNoise.shape())
                    + " is not (" + b + ") for the batch of " + b);
        }
        if (config.conditional() != (labels != null)) {
            throw new IllegalArgumentException(config.conditional()
                    ? "UNet.forward: the model is class-conditional (" + config.numClasses()
                    + " classes) and needs labels" : "UNet.forward: the model is unconditional but labels were given");
        }
        if (labels != null && labels.length != b) {
            throw new IllegalArgumentException("UNet.forward: " + labels.length + " labels for a batch of " + b);
        }

        Var emb = timeEmbed.forward(Embeddings.timestep(cNoise, config.modelChannels()));
        if (labelEmb != null) {
            emb = emb.add(labelEmb.forward(labels));
        }
        Deque<Var> hs = new ArrayDeque<>();
        Var h = x;
        for (TimestepSequential block : inputBlocks.items()) {
            h = block.forward(h, emb);
            hs.push(h);
        }
        h = middleBlock.forward(h, emb);
        for (TimestepSequential block : outputBlocks.items()) {
            h = block.forward(ShapeOps.concat(1, h, hs.pop()), emb);
        }
        return out.get(2).forward(ResBlock.normSilu(outNorm, out, h, null, null));
    }

    public Config config() {
        return config;
    }

    /** The same network; the dropout generators are forks of a generator of the original seed and stream. */
    @Override
    protected UNet blank() {
        return new UNet(config, new Rng(seed, stream));
    }

    @Override
    public UNet copy() {
        return (UNet) super.copy();
    }

    /**
     * The number of parameters of {@code config}, from the same constructors with placeholder weights
     * ({@link ShapeOnly}): counting the released 526M-parameter network costs no weight memory.
     */
    @SuppressWarnings("try")
    public static long countParameters(Config config) {
        try (ShapeOnly ignored = ShapeOnly.enter()) {
            return new UNet(config, new Rng(0)).parameterCount();
        }
    }

    /**
     * The parameter shapes by name, in state-dict order, built as {@link #countParameters} does; a released
     * checkpoint can be checked against them before any weight is allocated.
     */
    @SuppressWarnings("try")
    public static Map<String, int[]> parameterShapes(Config config) {
        Map<String, int[]> shapes = new LinkedHashMap<>();
        try (ShapeOnly ignored = ShapeOnly.enter()) {
            new UNet(config, new Rng(0)).namedParameters().forEach((k, v) -> shapes.put(k, v.shape()));
        }
        return shapes;
    }
}
