/**
 * cm4j on Apache Spark (docs/SPARK.md): distributed sampling and evaluation, data-parallel training.
 */
package dev.cm4j.spark;
