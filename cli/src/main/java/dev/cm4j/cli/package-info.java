/**
 * The {@code cm4j} command: {@code cm4j demo} trains an EDM teacher, a distilled and an iCT consistency model on 2-D
 * data and compares their samples. The only module with a {@code main}.
 */
package dev.cm4j.cli;
