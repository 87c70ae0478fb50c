package dev.cm4j.benchmarks;

import dev.cm4j.autodiff.NoGrad;
import dev.cm4j.autodiff.Var;
import dev.cm4j.models.io.SafeTensors;
import dev.cm4j.models.unet.UNet;
import dev.cm4j.tensor.Rng;
import dev.cm4j.tensor.Tensor;

import java.io.IOException;
import java.lang.reflect.RecordComponent;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Writes what the side-by-side check of the U-Net needs (benchmarks/side-by-side/unet_peer.py {@code check}): seeded
 * weights of a preset, a fixed input batch and cm4j's output on it, so that the PyTorch equivalent can load the same
 * weights by name, run the same input and compare before anything is timed.
 *
 * <p>Files in OUT_DIR:
 * <ul>
 *   <li>{@code unet-weights.safetensors}: every parameter under its state-dict name (the released
 *       {@code UNetModel}'s); metadata {@code preset}, {@code config} (the {@link UNet.Config} fields as JSON, from
 *       which the peer builds its network) and {@code parameter_count};</li>
 *   <li>{@code unet-io.safetensors}: {@code x} (B, in, S, S) standard normal, {@code c_noise} (B) = 250 ln sigma with
 *       sigma log-uniform in [0.002, 80] (the released encoding, arguments up to ~1,500 in the time embedding),
 *       {@code labels} (B, as floats) for a class-conditional preset, and {@code y} = F(x, c_noise), the network in
 *       eval mode under {@link NoGrad}.</li>
 * </ul>
 * A fresh U-Net starts with its residual branches, attention projections and output convolution at zero (its output
 * is exactly 0), which would make the comparison empty; every parameter is therefore drawn afresh: weights of rank
 * >= 2 uniform in +-1/sqrt(fan-in) (PyTorch's default bound), GroupNorm scales 1 + 0.1 N(0, 1), biases 0.1 N(0, 1).
 *
 * <p>Run: {@code java --add-modules jdk.incubator.vector -cp benchmarks/target/benchmarks.jar
 * dev.cm4j.benchmarks.UNetExport OUT_DIR [preset=small28] [batch=8] [seed=1] [field=value...]}. Each
 * {@code field=value} replaces one {@link UNet.Config} field of the preset (e.g. {@code useScaleShiftNorm=false},
 * {@code resblockUpdown=true}, {@code numClasses=10}, {@code channelMult=1,2,2}), so variants of a preset can be
 * checked against the peer without a preset of their own.
 */
public final class UNetExport {
    private UNetExport() {
    }

    public static void main(String[] args) throws IOException {
        if (args.length < 1) {
            System.err.println("usage: UNetExport OUT_DIR [preset=small28] [batch=8] [seed=1] [field=value...]");
            System.exit(2);
        }
        Path dir = Path.of(args[0]);
        String preset = args.length > 1 ? args[1] : "small28";
        int batch = args.length > 2 ? Integer.parseInt(args[2]) : 8;
        long seed = args.length > 3 ? Long.parseLong(args[3]) : 1;
        List<String> changes = args.length > 4 ? List.of(args).subList(4, args.length) : List.of();
        UNet.Config config = withFields(UNet.Config.preset(preset), changes);
        // a changed preset is named with its changes, so no one takes it for the preset itself
        String name = changes.isEmpty() ? preset : preset + " " + String.join(" ", changes);
        Files.createDirectories(dir);

        Rng rng = new Rng(seed);
        UNet net = new UNet(config, rng);
        net.load(redrawn(net.stateDict(), rng.fork(1)));
        net.eval();

        Rng data = rng.fork(2);
        int s = config.imageSize();
        Tensor x = data.normal(batch, config.inChannels(), s, s);
        float[] cNoise = new float[batch];
        for (int i = 0; i < batch; i++) {
            double lnSigma = Math.log(0.002) + data.nextDouble() * (Math.log(80.0) - Math.log(0.002));
            cNoise[i] = (float) (250.0 * lnSigma);
        }
        int[] labels = null;
        if (config.conditional()) {
            labels = new int[batch];
            for (int i = 0; i < batch; i++) {
                labels[i] = data.nextInt(config.numClasses());
            }
        }
        Tensor y;
        try (NoGrad ignored = NoGrad.enter()) {
            y = net.forward(Var.constant(x), Var.constant(Tensor.of(cNoise, batch)), labels).value();
        }

        Map<String, String> meta = new LinkedHashMap<>();
        meta.put("preset", name);
        meta.put("config", configJson(config));
        meta.put("parameter_count", Long.toString(net.parameterCount()));
        meta.put("seed", Long.toString(seed));
        SafeTensors.write(dir.resolve("unet-weights.safetensors"), net.stateDict(), meta);

        Map<String, Tensor> io = new LinkedHashMap<>();
        io.put("x", x);
        io.put("c_noise", Tensor.of(cNoise, batch));
        if (labels != null) {
            float[] l = new float[batch];
            for (int i = 0; i < batch; i++) {
                l[i] = labels[i];
            }
            io.put("labels", Tensor.of(l, batch));
        }
        io.put("y", y);
        SafeTensors.write(dir.resolve("unet-io.safetensors"), io, Map.of("preset", name));

        float maxAbs = 0;
        for (int i = 0; i < y.size(); i++) {
            maxAbs = Math.max(maxAbs, Math.abs(y.data()[y.offset() + i]));
        }
        System.out.printf("UNetExport: %s, %,d parameters, batch %d, output max |y| %.4g -> %s%n", name,
                net.parameterCount(), batch, maxAbs, dir);
    }

    /** A fresh draw of every tensor of {@code state} (see the class comment), in state-dict order. */
    private static Map<String, Tensor> redrawn(Map<String, Tensor> state, Rng rng) {
        Map<String, Tensor> out = new LinkedHashMap<>();
        state.forEach((name, t) -> {
            int[] shape = t.shape();
            Tensor v;
            if (shape.length >= 2) {
                int fanIn = t.size() / shape[0];
                float bound = (float) (1.0 / Math.sqrt(fanIn));
                v = rng.uniform(-bound, bound, shape);
            } else if (name.endsWith(".weight")) {
                v = rng.normal(shape);
                float[] d = v.data();
                for (int i = 0; i < v.size(); i++) {
                    d[v.offset() + i] = 1f + 0.1f * d[v.offset() + i];
                }
            } else {
                v = rng.normal(shape);
                float[] d = v.data();
                for (int i = 0; i < v.size(); i++) {
                    d[v.offset() + i] *= 0.1f;
                }
            }
            out.put(name, v);
        });
        return out;
    }

    /**
     * {@code config} with fields replaced, from {@code name=value} assignments (lists as comma-separated integers),
     * all at once, so that changes which only make sense together (an image size and its attention resolutions)
     * can be given.
     */
    static UNet.Config withFields(UNet.Config config, List<String> assignments) {
        RecordComponent[] parts = UNet.Config.class.getRecordComponents();
        List<String> names = Arrays.stream(parts).map(RecordComponent::getName).toList();
        Object[] values = new Object[parts.length];
        Class<?>[] types = new Class<?>[parts.length];
        for (int i = 0; i < parts.length; i++) {
            types[i] = parts[i].getType();
            try {
                values[i] = parts[i].getAccessor().invoke(config);
            } catch (ReflectiveOperationException e) {
                throw new IllegalStateException("UNetExport: cannot read UNet.Config." + parts[i].getName(), e);
            }
        }
        for (String a : assignments) {
            int eq = a.indexOf('=');
            int i = eq > 0 ? names.indexOf(a.substring(0, eq)) : -1;
            if (i < 0) {
                throw new IllegalArgumentException("UNetExport: '" + a + "' is not field=value with a field of "
                        + names);
            }
            String v = a.substring(eq + 1);
            values[i] = types[i] == int.class ? Integer.valueOf(v)
                    : types[i] == float.class ? Float.valueOf(v)
                    : types[i] == boolean.class ? Boolean.valueOf(v)
                    : v.isEmpty() ? List.of() : Arrays.stream(v.split(",")).map(Integer::valueOf).toList();
        }
        try {
            return UNet.Config.class.getDeclaredConstructor(types).newInstance(values);
        } catch (java.lang.reflect.InvocationTargetException e) {
            throw e.getCause() instanceof RuntimeException r ? r : new IllegalStateException(e.getCause());
        } catch (ReflectiveOperationException e) {
            throw new IllegalStateException("UNetExport: cannot build a UNet.Config", e);
        }
    }

    /** The record's fields as one JSON object (numbers, booleans, lists of integers). */
    static String configJson(UNet.Config config) {
        StringBuilder sb = new StringBuilder("{");
        RecordComponent[] parts = UNet.Config.class.getRecordComponents();
        for (int i = 0; i < parts.length; i++) {
            Object value;
            try {
                value = parts[i].getAccessor().invoke(config);
            } catch (ReflectiveOperationException e) {
                throw new IllegalStateException("UNetExport: cannot read UNet.Config." + parts[i].getName(), e);
            }
            sb.append(i == 0 ? "" : ", ").append('"').append(parts[i].getName()).append("\": ");
            if (value instanceof List<?> list) {
                sb.append('[');
                for (int j = 0; j < list.size(); j++) {
                    sb.append(j == 0 ? "" : ", ").append(list.get(j));
                }
                sb.append(']');
            } else {
                sb.append(value);
            }
        }
        return sb.append('}').toString();
    }
}
