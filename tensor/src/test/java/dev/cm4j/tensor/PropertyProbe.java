package dev.cm4j.tensor;

import dev.cm4j.tensor.backend.Backends;

/**
 * A child process for {@link PropertyChecksTest}: uses the library as a program would (a parallel loop, then the
 * backend) and prints "ok" or the class and message of the first exception.
 */
public final class PropertyProbe {
    private PropertyProbe() {
    }

    public static void main(String[] args) {
        try {
            Parallel.forRange(1000, 1, (s, e) -> { });
            Backends.current();
            System.out.println("ok");
        } catch (RuntimeException e) {
            System.out.println(e.getClass().getName() + ": " + e.getMessage());
        }
    }
}
