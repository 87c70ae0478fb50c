package dev.cm4j.cli;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.cm4j.models.io.Npz;
import java.awt.image.BufferedImage;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code cm4j edit} end to end on tiny checkpoints (iCT and an EDM teacher of 2 --smoke steps on Fashion-MNIST, 8
 * model channels, 28x28 gray): every kind writes its PNG and grid, keeps what it must keep and repeats itself from a
 * seed; bad input is refused in a line that names the sizes or values.
 */
class EditCommandTest {
    @TempDir
    static Path dir;
    static Path model;
    static Path teacher;
    static Path input;

    @BeforeAll
    static void tinyCheckpoints() throws IOException {
        ok(CliRun.run("train-ict", "--smoke", "--steps", "2", "--sample-every", "0", "-o", dir.resolve("ict")
                .toString()));
        ok(CliRun.run("train-teacher", "--smoke", "--steps", "2", "--sample-every", "0", "-o", dir.resolve("teacher")
                .toString()));
        model = dir.resolve("ict/ict.safetensors");
        teacher = dir.resolve("teacher/teacher.safetensors");
        input = gray(dir.resolve("input.png"), 28, (x, y) -> (x * 9 + y * 5) % 256);
    }

    private static void ok(CliRun r) {
        assertEquals(0, r.code(), r.err() + r.out());
    }

    private static void refused(CliRun r, String... parts) {
        assertEquals(1, r.code(), r.out() + r.err());
        assertFalse(r.hasStackTrace(), r.err());
        for (String p : parts) {
            assertTrue(r.err().contains(p), "'" + p + "' missing from: " + r.err());
        }
    }

    private interface Pixel {
        int at(int x, int y);
    }

    private static Path gray(Path file, int size, Pixel p) throws IOException {
        BufferedImage img = new BufferedImage(size, size, BufferedImage.TYPE_BYTE_GRAY);
        for (int y = 0; y < size; y++) {
            for (int x = 0; x < size; x++) {
                img.getRaster().setSample(x, y, 0, p.at(x, y));
            }
        }
        ImageIO.write(img, "png", file.toFile());
        return file;
    }

    /** The stored values of a PNG's first band (cm4j reads and writes them without colour-space conversion). */
    private static int[][] pixels(Path png) throws IOException {
        BufferedImage img = ImageIO.read(png.toFile());
        int[][] v = new int[img.getHeight()][img.getWidth()];
        for (int y = 0; y < v.length; y++) {
            for (int x = 0; x < v[0].length; x++) {
                v[y][x] = img.getRaster().getSample(x, y, 0);
            }
        }
        return v;
    }

    private static CliRun edit(String kind, String... args) {
        String[] all = new String[args.length + 4];
        all[0] = "edit";
        all[1] = kind;
        all[2] = "-c";
        all[3] = model.toString();
        System.arraycopy(args, 0, all, 4, args.length);
        return CliRun.run(all);
    }

    @Test
    void inpaintingKeepsEveryPixelOutsideTheHoleAndRepeatsFromASeed() throws IOException {
        Path out = dir.resolve("inpaint.png");
        ok(edit("inpaint", "-i", input.toString(), "--box", "8,6,10,12", "-o", out.toString(), "--times", "80,2,0.5"));
        int[][] in = pixels(input);
        int[][] x = pixels(out);
        assertEquals(28, x.length);
        assertEquals(28, x[0].length);
        int changed = 0;
        for (int y = 0; y < 28; y++) {
            for (int xx = 0; xx < 28; xx++) {
                boolean hole = y >= 8 && y < 18 && xx >= 6 && xx < 18;
                if (!hole) {
                    assertEquals(in[y][xx], x[y][xx], "kept pixel " + xx + "," + y);
                } else if (in[y][xx] != x[y][xx]) {
                    changed++;
                }
            }
        }
        assertTrue(changed > 60, "the hole was generated: " + changed + " of 120 pixels differ");
        assertTrue(Files.exists(dir.resolve("inpaint-grid.png")));

        Path again = dir.resolve("inpaint-again.png");
        ok(edit("inpaint", "-i", input.toString(), "--box", "8,6,10,12", "-o", again.toString(), "--times", "80,2,0.5"));
        assertArrayEquals(Files.readAllBytes(out), Files.readAllBytes(again), "same seed, same bits");
    }

    @Test
    void everyKindWritesItsImagesAndGrid() throws IOException {
        Path mask = gray(dir.resolve("mask.png"), 28, (x, y) -> x > 20 ? 255 : 0);
        String[][] runs = {
            {"inpaint", "-i", input.toString(), "--mask", mask.toString(), "--ts", "0,20,39"},
            {"inpaint", "-i", input.toString(), "--strokes", "2", "-n", "3"},
            {"superres", "-i", gray(dir.resolve("small.png"), 7, (x, y) -> x * 30).toString(), "--patch", "4"},
            {"superres", "-i", input.toString(), "--patch", "2", "--original", input.toString()},
            {"denoise", "-i", input.toString(), "--sigma", "0.3", "--add-noise"},
            {"strokes", "-i", input.toString(), "--times", "10,2", "-n", "2"},
            {"interpolate", "--images", input + "," + mask, "--teacher", teacher.toString(), "-n", "3",
                "--heun-steps", "6"},
        };
        int[] widths = {28, 3 * 28, 28, 28, 28, 2 * 28, 3 * 28};
        for (int i = 0; i < runs.length; i++) {
            Path out = dir.resolve("kind" + i + ".png");
            String[] args = java.util.Arrays.copyOf(runs[i], runs[i].length + 2);
            args[args.length - 2] = "-o";
            args[args.length - 1] = out.toString();
            String[] tail = java.util.Arrays.copyOfRange(args, 1, args.length);
            CliRun r = edit(args[0], tail);
            ok(r);
            assertEquals(widths[i], ImageIO.read(out.toFile()).getWidth(), String.join(" ", runs[i]));
            assertTrue(Files.exists(dir.resolve("kind" + i + "-grid.png")), String.join(" ", runs[i]));
        }
    }

    @Test
    void interpolationEndsAreTheOneStepSamplesOfTheSeeds() throws IOException {
        Path out = dir.resolve("interp.png");
        ok(edit("interpolate", "--seeds", "3,4", "-n", "4", "-o", out.toString()));
        int[][] row = pixels(out);
        for (int end = 0; end < 2; end++) {
            Path npz = dir.resolve("one-step-" + end + ".npz");
            ok(CliRun.run("sample", "-c", model.toString(), "-n", "1", "--seed", String.valueOf(3 + end), "--times",
                    "80", "-o", dir.resolve("one-step-" + end + ".png").toString(), "--npz", npz.toString()));
            byte[] sample = Npz.read(npz).bytes().get("arr_0").data();
            int column = end == 0 ? 0 : 3 * 28;
            for (int y = 0; y < 28; y++) {
                for (int x = 0; x < 28; x++) {
                    assertEquals(sample[y * 28 + x] & 0xFF, row[y][column + x], "end " + end + " at " + x + "," + y);
                }
            }
        }
    }

    /**
     * An RGB model (iCT, 2 --smoke steps on EmojiOne at 32x32, skipped where ruby-gemojione is not installed)
     * colours a picture: the luminance of every pixel stays the input's, up to the rounding to bytes.
     */
    @Test
    void colorizationKeepsTheLuminanceOfEveryPixel() throws IOException {
        org.junit.jupiter.api.Assumptions.assumeTrue(Files.isDirectory(dev.cm4j.consistency.data.EmojiOne.DEFAULT_DIR),
                "EmojiOne is not installed (" + dev.cm4j.consistency.data.EmojiOne.APT_COMMAND + ")");
        Path rgb = dir.resolve("rgb");
        ok(CliRun.run("train-ict", "--smoke", "--steps", "2", "--sample-every", "0", "--data", "emoji", "--model",
                "small32rgb", "-o", rgb.toString()));
        BufferedImage img = new BufferedImage(32, 32, BufferedImage.TYPE_INT_RGB);
        for (int y = 0; y < 32; y++) {
            for (int x = 0; x < 32; x++) {
                img.setRGB(x, y, (40 + 6 * x) << 16 | (60 + 5 * y) << 8 | 128);
            }
        }
        Path picture = dir.resolve("picture.png");
        ImageIO.write(img, "png", picture.toFile());
        Path out = dir.resolve("colorized.png");
        ok(CliRun.run("edit", "colorize", "-c", rgb.resolve("ict.safetensors").toString(), "-i", picture.toString(),
                "--original", picture.toString(), "--times", "80,1", "-o", out.toString()));
        BufferedImage got = ImageIO.read(out.toFile());
        int close = 0;
        double worst = 0;
        for (int y = 0; y < 32; y++) {
            for (int x = 0; x < 32; x++) {
                double d = Math.abs(luminance(img.getRGB(x, y)) - luminance(got.getRGB(x, y)));
                worst = Math.max(worst, d);
                close += d <= 0.75 ? 1 : 0;
            }
        }
        System.out.printf("colorize: %d of 1024 pixels within 0.75 of their luminance (in 0..255), worst %.2f%n",
                close, worst);
        // each channel rounds to a byte (at most 0.5 x 0.9999 in luminance); a channel past [0, 255] is clipped
        assertTrue(close >= 0.9 * 1024, close + " of 1024 pixels keep their luminance; worst " + worst);
    }

    private static double luminance(int rgb) {
        return 0.2989 * (rgb >> 16 & 0xFF) + 0.5870 * (rgb >> 8 & 0xFF) + 0.1140 * (rgb & 0xFF);
    }

    @Test
    void badInputIsRefusedNamingSizesAndValues() throws IOException {
        Path big = gray(dir.resolve("big.png"), 32, (x, y) -> 0);
        refused(edit("inpaint", "-i", big.toString(), "--box", "0,0,4,4"), "32x32", "28x28");
        refused(edit("inpaint", "-i", input.toString(), "--mask", big.toString()), "32x32", "28x28");
        refused(edit("inpaint", "-i", input.toString(), "--box", "20,20,10,10"), "[20, 20, 10, 10]", "28x28");
        refused(edit("inpaint", "-i", input.toString()), "--mask", "--box", "--strokes");
        refused(edit("superres", "-i", input.toString(), "--patch", "5"), "--patch 5", "28x28");
        refused(edit("colorize", "-i", input.toString()), "1 channel", "RGB");
        refused(edit("inpaint", "-i", input.toString(), "--box", "0,0,4,4", "--times", "5,10"), "[5.0, 10.0]",
                "decrease");
        refused(edit("inpaint", "-i", input.toString(), "--box", "0,0,4,4", "--ts", "0,30,20,39"), "[0, 30, 20, 39]");
        refused(edit("inpaint", "-i", input.toString(), "--box", "0,0,4,4", "--ts", "0,39", "--times", "80"),
                "--times and --ts");
        refused(edit("strokes", "-i", input.toString()), "--times");
        refused(edit("interpolate", "--images", input + "," + input), "--teacher");
        refused(edit("inpaint", "-i", input.toString(), "--box", "0,0,4,4", "--class", "2"), "unconditional");
    }
}
