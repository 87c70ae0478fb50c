package dev.cm4j.tensor.kernels;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import jdk.incubator.vector.FloatVector;
import org.junit.jupiter.api.Test;

/** The width property: unset keeps the machine's species, a value caps it, anything else is refused by name. */
class FloatSpeciesTest {

    @Test
    void defaultIsThePreferredSpecies() {
        assertSame(FloatVector.SPECIES_PREFERRED, FloatSpecies.choose("0"));
        if (System.getProperty("cm4j.simd.bits") == null && System.getProperty("cm4j.gemm.bits") == null) {
            assertSame(FloatVector.SPECIES_PREFERRED, FloatSpecies.S);
        }
    }

    @Test
    void aValueCapsTheWidthButNeverWidensIt() {
        int preferred = FloatVector.SPECIES_PREFERRED.vectorBitSize();
        for (int bits : new int[] {64, 128, 256, 512}) {
            assertEquals(Math.min(bits, preferred), FloatSpecies.choose(Integer.toString(bits)).vectorBitSize(),
                    "cm4j.simd.bits=" + bits + " on a " + preferred + "-bit machine");
        }
    }

    @Test
    void otherValuesAreRefusedWithTheValue() {
        for (String bad : new String[] {"96", "1024", "-1", "wide"}) {
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> FloatSpecies.choose(bad));
            assertTrue(e.getMessage().contains("cm4j.simd.bits") && e.getMessage().contains("'" + bad + "'"),
                    e.getMessage());
        }
    }
}
