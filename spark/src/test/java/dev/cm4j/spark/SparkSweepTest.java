package dev.cm4j.spark;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.cm4j.consistency.data.Toy2d;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.apache.spark.api.java.JavaSparkContext;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The iCT sweep with one Spark task per setting against the same settings run one after another on this machine:
 * equal scores and byte-identical checkpoints, whatever task ran where; settings that differ give different models.
 */
class SparkSweepTest {
    static JavaSparkContext sc;

    @TempDir
    Path dir;

    @BeforeAll
    static void start() {
        sc = LocalSpark.start("SparkSweepTest");
    }

    @AfterAll
    static void stop() {
        sc.stop();
    }

    @Test
    void eachTaskGivesTheOneMachineRunOfItsSetting() throws Exception {
        SparkSweep.Plan plan = new SparkSweep.Plan(Toy2d.CHECKERBOARD, 3, 30, 16, 400);
        List<SparkSweep.Setting> settings = List.of(new SparkSweep.Setting(2e-3, 0.00076, 256),
                new SparkSweep.Setting(1e-3, 0, 256), new SparkSweep.Setting(2e-3, 0.01, 128));
        List<SparkSweep.Row> rows = new SparkSweep(sc).ict(plan, settings, dir.resolve("spark"));
        assertEquals(settings.size(), rows.size());
        for (int i = 0; i < settings.size(); i++) {
            SparkSweep.Row spark = rows.get(i);
            SparkSweep.Row local = SparkSweep.run(plan, settings.get(i), dir.resolve("local"));
            assertEquals(settings.get(i), spark.setting(), "rows in the order of the settings");
            assertEquals(local.oneStep(), spark.oneStep(), settings.get(i).name());
            assertEquals(local.twoStep(), spark.twoStep(), settings.get(i).name());
            assertEquals(local.middleSigma(), spark.middleSigma(), settings.get(i).name());
            assertTrue(spark.oneStep() > 0 && spark.twoStep() > 0, spark.toString());
            Path written = Path.of(spark.checkpoint());
            assertEquals(dir.resolve("spark").resolve(settings.get(i).name()).resolve("ict.safetensors")
                    .toAbsolutePath(), written);
            assertArrayEquals(Files.readAllBytes(Path.of(local.checkpoint())), Files.readAllBytes(written),
                    "the task's checkpoint is the one-machine run's, byte for byte");
        }
        assertNotEquals(rows.get(0).oneStep(), rows.get(1).oneStep(), "different settings, different models");
        String table = SparkSweep.table(rows);
        System.out.print(table);
        assertEquals(1, table.split("\\(lowest\\)", -1).length - 1, table);
        assertEquals("lr0.002-c0.00076-b2048", new SparkSweep.Setting(2e-3, 0.00076, 2048).name());
    }

    @Test
    void badSweepsAreRefusedWithTheValue() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> new SparkSweep.Setting(0, 0.001, 64));
        assertTrue(e.getMessage().contains("lr 0.0"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> new SparkSweep.Setting(1e-3, -1, 64));
        assertTrue(e.getMessage().contains("c -1.0"), e.getMessage());
        SparkSweep.Plan plan = new SparkSweep.Plan(Toy2d.TWO_MOONS, 0, 2, 8, 10);
        e = assertThrows(IllegalArgumentException.class, () -> new SparkSweep(sc).ict(plan,
                List.of(new SparkSweep.Setting(1e-3, 0, 8), new SparkSweep.Setting(1e-3, 0, 8)), dir));
        assertTrue(e.getMessage().contains("two settings named lr0.001-c0-b8"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> new SparkSweep(sc).ict(plan, List.of(), dir));
        assertTrue(e.getMessage().contains("no settings"), e.getMessage());
    }
}
