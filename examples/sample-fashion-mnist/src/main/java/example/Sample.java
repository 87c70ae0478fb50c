package example;

import dev.cm4j.consistency.api.ConsistencyModel;
import dev.cm4j.consistency.api.Sampling;
import dev.cm4j.tensor.Tensor;
import java.nio.file.Path;

/** Samples a consistency model in one step and in two (sigma 80, then 0.821), with seed 42. */
public class Sample {
    public static void main(String[] args) throws Exception {
        var model = ConsistencyModel.load(Path.of(args.length > 0 ? args[0] : "cd.safetensors"));
        Path out = Path.of(args.length > 1 ? args[1] : ".");
        Tensor oneStep = model.sample(16, Sampling.oneStep(), 42);
        Tensor twoStep = model.sample(16, Sampling.sigmas(80, 0.821), 42);
        ConsistencyModel.savePng(oneStep, out.resolve("one-step.png"));
        ConsistencyModel.savePng(twoStep, out.resolve("two-step.png"));
        System.out.println(model + ": wrote one-step.png and two-step.png to " + out.toAbsolutePath());
    }
}
