package dev.cm4j.tornado;

import java.util.concurrent.atomic.AtomicLong;

import uk.ac.manchester.tornado.api.GridScheduler;
import uk.ac.manchester.tornado.api.ImmutableTaskGraph;
import uk.ac.manchester.tornado.api.TornadoExecutionPlan;
import uk.ac.manchester.tornado.api.enums.TornadoVMBackendType;
import uk.ac.manchester.tornado.api.exceptions.TornadoExecutionPlanException;

/**
 * One TornadoVM execution plan for one operation at one shape, built once and executed many times.
 *
 * <p>TornadoVM binds a task graph to the very array objects it was built with and compiles scalar arguments into the
 * kernel as constants. A plan therefore owns its device-side arrays ("staging" arrays, exactly the size of the
 * operation's operands): a call copies the caller's slices in, executes, and copies the result out. The kernel is
 * compiled on the first execution (seconds); later executions only move data and launch.
 *
 * <p>Graphs of one plan hand intermediates to each other on the device ({@code persistOnDevice} in one graph,
 * {@code consumeFromDevice} in the next) and run one at a time with {@link #run(int)}.
 */
abstract class DevicePlan implements AutoCloseable {
    private static final AtomicLong IDS = new AtomicLong();

    /**
     * TornadoVM's default OpenCL flags less {@code -cl-fast-relaxed-math}: that flag lets the compiler assume finite
     * values, and the tensor module's softmax bodies start their running maximum at -infinity.
     * {@code -Dtornado.opencl.compiler.flags} still overrides.
     */
    static final String OPENCL_FLAGS = "-cl-mad-enable -w";

    /** A prefix unique in the process, so graph and task names (and the kernels cached under them) never collide. */
    final String prefix;
    private TornadoExecutionPlan plan;
    private long executions;

    DevicePlan(String op) {
        this.prefix = op + IDS.incrementAndGet();
    }

    /** Builds the execution plan from its graphs; the grid scheduler names tasks as {@code graph.task}. */
    final void build(GridScheduler grid, ImmutableTaskGraph... graphs) {
        TornadoExecutionPlan p = new TornadoExecutionPlan(graphs);
        if (System.getProperty("tornado.opencl.compiler.flags") == null) {
            p.withCompilerFlags(TornadoVMBackendType.OPENCL, OPENCL_FLAGS);
        }
        if (grid != null) {
            p.withGridScheduler(grid);
        }
        plan = p;
    }

    /** Executes every graph of the plan in order. */
    final void run() {
        check();
        plan.withAllGraphs().execute();
        afterExecution();
    }

    /** Executes graph {@code index} of the plan alone. */
    final void run(int index) {
        check();
        plan.withGraph(index).execute();
        afterExecution();
    }

    private void check() {
        if (plan == null) {
            throw new IllegalStateException(prefix + ": the execution plan is closed");
        }
    }

    private void afterExecution() {
        // each execute() keeps its result object for profiling; drop them now and then so a long run does not grow
        if (++executions % 256 == 0) {
            plan.clearProfiles();
        }
    }

    /** Number of graph executions so far. */
    final long executions() {
        return executions;
    }

    /** Frees the plan's device buffers; the plan cannot run afterwards. Safe to call twice. */
    @Override
    public void close() {
        TornadoExecutionPlan p = plan;
        plan = null;
        if (p != null) {
            try {
                p.close();
            } catch (TornadoExecutionPlanException e) {
                throw new IllegalStateException(prefix + ": closing the execution plan failed", e);
            }
        }
    }
}
