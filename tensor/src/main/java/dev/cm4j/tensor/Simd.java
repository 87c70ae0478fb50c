package dev.cm4j.tensor;

import java.util.logging.Logger;

/**
 * Decides once whether the Vector API kernels run.
 *
 * <p>The Vector API lives in the incubator module {@code jdk.incubator.vector}; a JVM started without
 * {@code --add-modules jdk.incubator.vector} cannot load it. Classes that touch {@code FloatVector} are therefore only
 * referenced behind {@link #ENABLED}, and the scalar twins run otherwise. {@code -Dcm4j.simd=false} forces the scalar
 * path (CI runs the tests both ways).
 */
public final class Simd {
    private static final Logger LOG = Logger.getLogger(Simd.class.getName());

    /** True when the Vector API kernels are used. */
    public static final boolean ENABLED = detect();

    private Simd() {
    }

    private static boolean detect() {
        String prop = System.getProperty("cm4j.simd", "true");
        if (prop.equalsIgnoreCase("false") || prop.equals("0")) {
            return false;
        }
        if (ModuleLayer.boot().findModule("jdk.incubator.vector").isEmpty()) {
            LOG.warning("cm4j: jdk.incubator.vector is not available, using scalar kernels; "
                    + "start the JVM with --add-modules jdk.incubator.vector for the fast path");
            return false;
        }
        return true;
    }
}
