package dev.cm4j.spark;

import org.apache.spark.SparkConf;
import org.apache.spark.api.java.JavaSparkContext;

/**
 * The Spark context of a test class: local[2] (two task threads) allowing one failure per task, so that a test can
 * make a task's first attempt fail and see it retried. Start it in @BeforeAll and stop it in @AfterAll.
 */
final class LocalSpark {
    private LocalSpark() {
    }

    static JavaSparkContext start(String name) {
        long t0 = System.nanoTime();
        SparkConf conf = new SparkConf().setMaster("local[2,2]").setAppName(name)
                .set("spark.ui.enabled", "false")
                .set("spark.driver.host", "127.0.0.1")
                .set("spark.driver.bindAddress", "127.0.0.1");
        JavaSparkContext sc = new JavaSparkContext(conf);
        System.out.printf("%s: Spark context started in %.2f s%n", name, (System.nanoTime() - t0) / 1e9);
        return sc;
    }
}
