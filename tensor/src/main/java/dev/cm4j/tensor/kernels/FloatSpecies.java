package dev.cm4j.tensor.kernels;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorShape;
import jdk.incubator.vector.VectorSpecies;

/**
 * The one float vector species every Vector API kernel uses, so all of them run at the same width and one property
 * changes it. Only referenced behind {@code Simd.ENABLED}: loading it needs {@code --add-modules jdk.incubator.vector}
 * ({@link dev.cm4j.tensor.Simd}, which decides that, must load without the module and so cannot hold the species).
 *
 * <p>By default the machine's widest vector ({@code FloatVector.SPECIES_PREFERRED}: 8 floats with AVX2, 16 with
 * AVX-512). {@code -Dcm4j.simd.bits=64|128|256|512} caps the width, e.g. to measure AVX2 code on an AVX-512 machine;
 * a cap at or above the machine's width, or 0, keeps the machine's. {@code -Dcm4j.gemm.bits}, which used to set the
 * GEMM's width alone, is read as an alias when {@code cm4j.simd.bits} is not set. Reductions sum in lanes, so a
 * different width can change the last bits of a sum; each width is reproducible on its own.
 */
final class FloatSpecies {
    /** The species of every float vector in the kernels. */
    static final VectorSpecies<Float> S = choose(System.getProperty("cm4j.simd.bits",
            System.getProperty("cm4j.gemm.bits", "0")));
    /** Floats per vector. */
    static final int L = S.length();

    private FloatSpecies() {
    }

    /** The species for a value of the property: the preferred one, or a narrower one when the value caps it. */
    static VectorSpecies<Float> choose(String property) {
        VectorSpecies<Float> preferred = FloatVector.SPECIES_PREFERRED;
        int bits;
        try {
            bits = Integer.parseInt(property.trim());
        } catch (NumberFormatException e) {
            bits = -1;
        }
        if (bits != 0 && bits != 64 && bits != 128 && bits != 256 && bits != 512) {
            throw new IllegalArgumentException("cm4j.simd.bits (or cm4j.gemm.bits): expected 0, 64, 128, 256 or 512, "
                    + "got '" + property + "'");
        }
        if (bits == 0 || bits >= preferred.vectorBitSize()) {
            return preferred;
        }
        return VectorSpecies.of(float.class, VectorShape.forBitSize(bits));
    }
}
