package dev.cm4j.consistency.data;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

/**
 * The EmojiOne emoji set as an RGB image data set: the 1,794 PNG files (64 x 64, with transparency) that Debian's
 * package {@code ruby-gemojione} 3.3.0 installs under {@link #DEFAULT_DIR} ({@value #APT_COMMAND}; the package's
 * 1,795th PNG is a sprite sheet in another folder). Read by
 * {@link ImageFolder}: transparency composited over a background colour (white by default), resized by area
 * averaging (64 to 32 is an exact 2 x 2 box average), (N, 3, size, size) in [-1, 1], in file-name order, unlabelled.
 */
public final class EmojiOne {
    /** Where {@code ruby-gemojione} 3.3.0 installs the PNG files. */
    public static final Path DEFAULT_DIR = Path.of("/usr/share/rubygems-integration/all/gems/gemojione-3.3.0/assets/png");
    /** The command that installs them there. */
    public static final String APT_COMMAND = "sudo apt-get install ruby-gemojione";
    /** The background under transparent pixels by default: white. */
    public static final int WHITE = 0xFFFFFF;

    private EmojiOne() {
    }

    /** The images of {@code dir} at {@code size} x {@code size} over {@code background} (0xRRGGBB). */
    public static ImageDataset load(Path dir, int size, int background) throws IOException {
        if (!Files.isDirectory(dir)) {
            throw new DataFileException(dir, "no EmojiOne images here; install them with '" + APT_COMMAND
                    + "' (Debian), or give the folder of their PNG files");
        }
        ImageDataset d = ImageFolder.load(dir, new ImageFolder.Options(size, size, 3, background, false));
        return new ImageDataset("EmojiOne (" + dir + ")", d.images(), null, List.of());
    }
}
