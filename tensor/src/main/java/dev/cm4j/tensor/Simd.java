package dev.cm4j.tensor;

import java.util.logging.Logger;

/**
 * Decides once whether the Vector API kernels run.
 *
 * <p>The Vector API lives in the incubator module {@code jdk.incubator.vector}; a JVM started without
 * {@code --add-modules jdk.incubator.vector} cannot load it. Classes that touch {@code FloatVector} are therefore only
 * referenced behind {@link #ENABLED}, and the scalar twins run otherwise. {@code -Dcm4j.simd=false} forces the scalar
 * path (CI runs the tests both ways). Any value other than {@code true} or {@code false} is an error: it is reported
 * by {@link #checkProperty()}, and by {@link Parallel#checkProperties()} which every parallel loop runs, as an
 * {@link IllegalArgumentException} naming the property. (It cannot be thrown from here: {@link #ENABLED} is read by
 * every kernel, and an exception in a class initialiser would surface as an {@code ExceptionInInitializerError}.)
 * Until then the scalar kernels, whose results are the reference, are selected.
 */
public final class Simd {
    private static final Logger LOG = Logger.getLogger(Simd.class.getName());

    /** The system property that switches the Vector API kernels off. */
    public static final String PROPERTY = "cm4j.simd";

    /** Why {@code cm4j.simd} cannot be used, or null when it can. */
    private static final String PROPERTY_ERROR = propertyError(System.getProperty(PROPERTY));

    /** The system property that caps the Vector API width ({@code cm4j.gemm.bits} is read as its alias). */
    public static final String BITS_PROPERTY = "cm4j.simd.bits";

    /** Why {@code cm4j.simd.bits} (or its alias) cannot be used, or null when it can. */
    private static final String BITS_ERROR = bitsError(System.getProperty(BITS_PROPERTY,
            System.getProperty("cm4j.gemm.bits")));

    /** True when the Vector API kernels are used. */
    public static final boolean ENABLED = PROPERTY_ERROR == null && BITS_ERROR == null && detect();

    private Simd() {
    }

    /**
     * Checks {@code cm4j.simd}.
     *
     * @throws IllegalArgumentException naming the property and its value when it is neither true nor false
     */
    public static void checkProperty() {
        if (PROPERTY_ERROR != null) {
            throw new IllegalArgumentException(PROPERTY_ERROR);
        }
        if (BITS_ERROR != null) {
            throw new IllegalArgumentException(BITS_ERROR);
        }
    }

    /**
     * The problem with a {@code cm4j.simd.bits} value, or null when it is absent or one of 0, 64, 128, 256, 512. Checked
     * here, where no Vector API class is loaded, so a bad value is an ordinary error and not a failed class
     * initialisation in the kernels.
     */
    static String bitsError(String value) {
        if (value == null) {
            return null;
        }
        String v = value.trim();
        if (v.equals("0") || v.equals("64") || v.equals("128") || v.equals("256") || v.equals("512")) {
            return null;
        }
        return "-D" + BITS_PROPERTY + "=" + value + " (or -Dcm4j.gemm.bits) is not 0, 64, 128, 256 or 512; give the "
                + "widest vector in bits the kernels may use, or leave it out for the machine's own";
    }

    /** The problem with a {@code cm4j.simd} value, or null when it is absent, true or false (any case). */
    static String propertyError(String value) {
        if (value == null || value.trim().equalsIgnoreCase("true") || value.trim().equalsIgnoreCase("false")) {
            return null;
        }
        return "-D" + PROPERTY + "=" + value + " is neither true nor false; use -D" + PROPERTY + "=false for the "
                + "scalar kernels or leave it out for the Vector API ones";
    }

    private static boolean detect() {
        if (System.getProperty(PROPERTY, "true").trim().equalsIgnoreCase("false")) {
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
