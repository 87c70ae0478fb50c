/**
 * The 2-D demonstration: the teacher, CD and iCT trainings at the measured settings
 * ({@link dev.cm4j.consistency.toy.ToyPipeline}) and their scoring against fresh data
 * ({@link dev.cm4j.consistency.toy.ToyEvaluation}); docs/RESULTS.md has the figures.
 *
 * <p><b>Internal</b>: public for cm4j's own modules and tests, with no compatibility promise; the module
 * {@code dev.cm4j.consistency} does not export it (the command line reads it on the class path).
 */
package dev.cm4j.consistency.toy;
