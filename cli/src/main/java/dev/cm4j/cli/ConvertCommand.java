package dev.cm4j.cli;

import dev.cm4j.models.io.SafeTensors;
import dev.cm4j.models.io.TorchCheckpoint;
import dev.cm4j.tensor.Tensor;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Parameters;

/**
 * {@code cm4j convert in.pt out.safetensors}: a PyTorch checkpoint (a state dict saved by {@code torch.save}, such as
 * the released consistency-model checkpoints) to safetensors, float32. The .pt is read by {@link TorchCheckpoint}:
 * nothing in it is executed, and a damaged or hostile file is refused before anything is written. The output is
 * replaced atomically; its metadata keeps the file's non-tensor entries and the source's name.
 *
 * <p>Memory: the tensors at float32 (4 bytes per element; the ImageNet-64 network 1.18 GB) plus a 1 MiB buffer.
 */
@Command(name = "convert", mixinStandardHelpOptions = true, sortOptions = false,
        description = "Convert a PyTorch .pt state dict (e.g. a released consistency-model checkpoint) to a float32 "
                + "safetensors file; nothing in the .pt is executed.")
final class ConvertCommand implements Callable<Integer> {
    @Parameters(index = "0", paramLabel = "IN.pt", description = "A checkpoint written by torch.save (PyTorch >= 1.6).")
    Path in;

    @Parameters(index = "1", paramLabel = "OUT.safetensors", description = "The file to write (replaced atomically).")
    Path out;

    private final PrintStream console = System.out;

    @Override
    public Integer call() throws Exception {
        if (Files.exists(out) && Files.exists(in) && Files.isSameFile(in, out)) {
            throw new IllegalArgumentException("OUT.safetensors " + out + " is the input file; give another path");
        }
        long start = System.nanoTime();
        // refuses a file whose float32 tensors would not fit the heap before allocating them
        TorchCheckpoint.Contents c = TorchCheckpoint.read(in);
        if (c.tensors().isEmpty()) {
            throw new IllegalArgumentException(in + ": holds no float32, float16 or bfloat16 tensor; nothing to convert");
        }
        Map<String, String> meta = new TreeMap<>(c.metadata());
        meta.put("converted_from", in.getFileName().toString());
        SafeTensors.write(out, c.tensors(), meta);
        long elements = 0;
        for (Tensor t : c.tensors().values()) {
            elements += t.size();
        }
        console.printf(Locale.ROOT, "cm4j convert: %d tensors, %d elements (%.1f MB as float32) in %.1f s; wrote %s%n",
                c.tensors().size(), elements, 4e-6 * elements, (System.nanoTime() - start) / 1e9, out);
        return 0;
    }
}
