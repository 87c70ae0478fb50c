package dev.cm4j.benchmarks;

import org.openjdk.jmh.annotations.AuxCounters;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.State;

/**
 * A JMH secondary result: a benchmark method that takes this state adds the GFLOP it did to {@link #gflop}, and JMH
 * reports the sum as a rate, i.e. GFLOPS (in a Throughput-mode benchmark with seconds as its time unit).
 */
@State(Scope.Thread)
@AuxCounters(AuxCounters.Type.OPERATIONS)
public class Gflops {
    public double gflop;
}
