package dev.cm4j.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Run identity and lineage through the demo: the manifest records every phase and its parent, and a resume that
 * would mix runs (other data, another noise scale, a student of another teacher) is refused naming what differs.
 */
class RunLineageTest {
    private static CliRun demo(Path dir, String... extra) {
        System.setProperty("java.awt.headless", "true");
        // the tiny defaults, each replaced where extra gives the option again
        java.util.Map<String, String> options = new java.util.LinkedHashMap<>();
        String[] defaults = {"--teacher-steps", "20", "--cd-steps", "10", "--ict-steps", "10", "--samples", "300",
            "--width", "16", "--data", "moons"};
        for (int i = 0; i < defaults.length; i += 2) {
            options.put(defaults[i], defaults[i + 1]);
        }
        List<String> args = new ArrayList<>(List.of("demo", "--out", dir.toString()));
        for (int i = 0; i < extra.length; i++) {
            if (i + 1 < extra.length && options.containsKey(extra[i])) {
                options.put(extra[i], extra[++i]);
            } else {
                args.add(extra[i]);
            }
        }
        options.forEach((k, v) -> {
            args.add(k);
            args.add(v);
        });
        return CliRun.run(args.toArray(new String[0]));
    }

    @Test
    void theManifestRecordsEveryPhaseAndAResumeOfAnotherRunIsRefused(@TempDir Path dir) throws Exception {
        CliRun first = demo(dir);
        assertEquals(0, first.code(), first.out() + first.err());
        JsonNode manifest = new ObjectMapper().readTree(dir.resolve("manifest.json").toFile());
        assertEquals("complete", manifest.path("status").asText());
        assertEquals("TWO_MOONS", manifest.path("options").path("data").asText());
        JsonNode phases = manifest.path("phases");
        for (String phase : new String[] {"teacher", "cd", "ict"}) {
            assertEquals(phase + ".safetensors", phases.path(phase).path("checkpoint").asText());
            assertEquals("TWO_MOONS", phases.path(phase).path("identity").path("settings").path("data").asText());
            assertTrue(phases.path(phase).path("content_hash").asText().matches("[0-9a-f]{64}"), phase);
        }
        assertEquals(phases.path("teacher").path("ema_content_hash").asText(),
                phases.path("cd").path("identity").path("parent").asText(), "CD names the teacher it was distilled from");
        assertEquals("", phases.path("ict").path("identity").path("parent").asText(), "iCT starts from scratch");

        CliRun otherData = demo(dir, "--resume", "--data", "8gaussians");
        assertEquals(1, otherData.code());
        assertTrue(otherData.err().contains("--data: the run in this directory used \"TWO_MOONS\", this run "
                + "\"EIGHT_GAUSSIANS\""), otherData.err());
        CliRun otherScale = demo(dir, "--resume", "--noise-scale", "5");
        assertEquals(1, otherScale.code());
        assertTrue(otherScale.err().contains("--noise-scale: the run in this directory used 10.0, this run 5.0"),
                otherScale.err());
        CliRun moreSamples = demo(dir, "--resume", "--samples", "400");
        assertEquals(0, moreSamples.code(), "the number of scored samples does not touch the checkpoints: "
                + moreSamples.err());

        // without the manifest the checkpoints still refuse: a new teacher makes the old student a stranger
        Files.delete(dir.resolve("manifest.json"));
        Files.delete(dir.resolve("teacher.safetensors"));
        Files.deleteIfExists(dir.resolve("teacher.safetensors.prev"));
        CliRun strayStudent = demo(dir, "--resume", "--teacher-steps", "21");
        assertEquals(1, strayStudent.code());
        assertTrue(strayStudent.err().contains("cd.safetensors") && strayStudent.err().contains("parent"),
                strayStudent.err());
        assertTrue(!strayStudent.out().contains("sampling"), "nothing was scored");
    }

    @Test
    void aResumeWithAnyOtherRecordedOptionIsRefusedNamingIt(@TempDir Path dir) {
        CliRun first = demo(dir);
        assertEquals(0, first.code(), first.out() + first.err());
        String[][] changes = {{"--seed", "1", "0", "1"}, {"--data", "swissroll", "\"TWO_MOONS\"", "\"SWISS_ROLL\""},
            {"--teacher-steps", "21", "20", "21"}, {"--cd-steps", "11", "10", "11"}, {"--ict-steps", "11", "10", "11"},
            {"--batch", "256", "512", "256"}, {"--ict-batch", "1024", "2048", "1024"}, {"--width", "17", "16", "17"},
            {"--noise-scale", "9", "10.0", "9.0"}};
        for (String[] c : changes) {
            CliRun r = demo(dir, "--resume", c[0], c[1]);
            assertEquals(1, r.code(), c[0] + ": " + r.out() + r.err());
            assertTrue(r.err().contains(c[0] + ": the run in this directory used " + c[2] + ", this run " + c[3]),
                    c[0] + ": " + r.err());
            assertTrue(!r.out().contains("EDM teacher"), c[0] + ": refused before any training");
        }
        System.out.println("RunLineageTest: " + changes.length + " options, each refused on resume");
    }
}
