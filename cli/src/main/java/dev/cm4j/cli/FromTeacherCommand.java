package dev.cm4j.cli;

import dev.cm4j.consistency.model.ImageCheckpoint;
import dev.cm4j.models.unet.UNet;
import java.io.IOException;
import java.nio.file.Path;
import java.util.List;
import picocli.CommandLine.Option;

/**
 * An image recipe that starts from a {@code train-teacher} checkpoint (distillation, ECT): the teacher's network
 * decides the images' shape and classes.
 */
abstract class FromTeacherCommand extends ImageTrainCommand {
    @Option(names = "--teacher", required = true, paramLabel = "FILE", description = "The teacher's checkpoint, "
            + "e.g. cm4j-teacher/teacher.safetensors; the run starts from its EMA weights.")
    Path teacher;

    /** The teacher, read and verified by {@link #dataShape()}. */
    ImageCheckpoint teacherCheckpoint;

    @Override
    DataShape dataShape() throws IOException {
        teacherCheckpoint = ImageCheckpoint.read(teacher, "--teacher", List.of("teacher"));
        UNet.Config c = teacherCheckpoint.config();
        return new DataShape(c.inChannels(), c.imageSize(), c.numClasses() > 0, c.numClasses());
    }
}
