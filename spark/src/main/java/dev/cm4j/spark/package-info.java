/**
 * cm4j on Apache Spark (docs/SPARK.md): distributed sampling bit-identical to one machine ({@code SparkSampler},
 * {@code SampleRange}), the Fashion-MNIST evaluation ({@code SparkEvaluator}, {@code FeatureMoments}), the two-step
 * time search ({@code SparkTimeSearch}), synchronous data-parallel training of the 2-D teacher
 * ({@code DataParallelTraining}) and the {@code spark-submit} entry point ({@code Cm4jSpark}).
 *
 * <p><b>API</b> of the {@code cm4j-spark} artifact. It uses the consistency module's API packages and Spark, which
 * the cluster provides; nothing in cm4j depends on it. It has no module descriptor: Spark and Scala are not named
 * modules, and {@code spark-submit} puts jars on the class path.
 */
package dev.cm4j.spark;
