/**
 * The curricula of consistency training: N(k) and mu(k) of CT ({@link dev.cm4j.consistency.schedule.CtSchedule},
 * docs/ALGORITHMS.md#consistency-training) and the exponential curriculum, log-normal pair sampling and weights of
 * iCT ({@link dev.cm4j.consistency.schedule.IctSchedule}, docs/ALGORITHMS.md#improved-consistency-training), and
 * ECT's log-normal t with its shrinking mapping r(t) ({@link dev.cm4j.consistency.schedule.EctSchedule},
 * docs/ALGORITHMS.md#easy-consistency-tuning).
 *
 * <p><b>API</b>: public and kept compatible; the facade for the common path is {@link dev.cm4j.consistency.api}.
 */
package dev.cm4j.consistency.schedule;
