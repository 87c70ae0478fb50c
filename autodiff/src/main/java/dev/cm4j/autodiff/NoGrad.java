package dev.cm4j.autodiff;

/**
 * A scope in which operations record nothing: their results do not require gradients and keep no reference to their
 * inputs. Used for sampling, EMA updates and the targets of consistency losses.
 *
 * <pre>{@code
 * try (NoGrad ignored = NoGrad.enter()) {
 *     Var target = model.forward(x);   // no graph is built
 * }
 * }</pre>
 *
 * <p>The scope is per thread and may be nested.
 */
public final class NoGrad implements AutoCloseable {
    private static final ThreadLocal<int[]> DEPTH = ThreadLocal.withInitial(() -> new int[1]);

    private final int[] depth;
    private boolean closed;

    private NoGrad(int[] depth) {
        this.depth = depth;
    }

    /** Opens a no-grad scope on the current thread; close it (try-with-resources) to leave. */
    public static NoGrad enter() {
        int[] d = DEPTH.get();
        d[0]++;
        return new NoGrad(d);
    }

    /** True inside a no-grad scope on the current thread. */
    public static boolean active() {
        return DEPTH.get()[0] > 0;
    }

    @Override
    public void close() {
        // closing twice must not leave an enclosing scope early
        if (!closed) {
            closed = true;
            depth[0]--;
        }
    }
}
