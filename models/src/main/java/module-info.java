/**
 * Modules, layers, the U-Net and checkpoint files (docs/ARCHITECTURE.md#module-descriptors). Jackson writes and
 * reads the U-Net's configuration record in image checkpoints, so {@code dev.cm4j.models.unet} is open to it.
 */
module dev.cm4j.models {
    requires transitive dev.cm4j.autodiff;
    requires com.fasterxml.jackson.databind;

    exports dev.cm4j.models;
    exports dev.cm4j.models.io;
    exports dev.cm4j.models.unet;

    opens dev.cm4j.models.unet to com.fasterxml.jackson.databind;
}
