package dev.cm4j.consistency;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.InputStream;

/** Reads the JSON recordings of the released code that the replay tests keep beside them ({@code released/}). */
public final class ReleasedFixtures {
    private static final ObjectMapper JSON = new ObjectMapper();

    private ReleasedFixtures() {
    }

    /** The resource {@code released/<name>.json} beside {@code anchor}'s package. */
    public static JsonNode read(Class<?> anchor, String name) throws IOException {
        try (InputStream in = anchor.getResourceAsStream("released/" + name + ".json")) {
            if (in == null) {
                throw new IOException("missing fixture released/" + name + ".json beside " + anchor.getName());
            }
            return JSON.readTree(in);
        }
    }

    /** A JSON array of numbers as float32 values. */
    public static float[] floats(JsonNode array) {
        float[] f = new float[array.size()];
        for (int i = 0; i < f.length; i++) {
            f[i] = (float) array.get(i).asDouble();
        }
        return f;
    }

    /** A JSON array of whole numbers. */
    public static int[] ints(JsonNode array) {
        int[] v = new int[array.size()];
        for (int i = 0; i < v.length; i++) {
            v[i] = array.get(i).asInt();
        }
        return v;
    }
}
