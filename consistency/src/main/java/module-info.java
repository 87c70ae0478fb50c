/**
 * Consistency models and their EDM teacher (docs/ARCHITECTURE.md#module-descriptors). The packages whose
 * documentation says <b>API</b> are exported; the <b>Internal</b> ones ({@code analytic}, {@code toy}) are not: the
 * command line, which runs the 2-D demonstration, is on the class path, where every package can be read.
 *
 * <p>EJML and commons-math carry no module name of their own, so they are the automatic modules named after their
 * jars ({@code ejml.core}, {@code ejml.ddense}, {@code commons.math3}).
 */
@SuppressWarnings("requires-automatic")
module dev.cm4j.consistency {
    requires transitive dev.cm4j.models;
    requires com.fasterxml.jackson.databind;
    requires ejml.core;
    requires ejml.ddense;
    requires commons.math3;
    requires java.desktop;

    exports dev.cm4j.consistency;
    exports dev.cm4j.consistency.api;
    exports dev.cm4j.consistency.data;
    exports dev.cm4j.consistency.editing;
    exports dev.cm4j.consistency.metrics;
    exports dev.cm4j.consistency.model;
    exports dev.cm4j.consistency.noise;
    exports dev.cm4j.consistency.sampling;
    exports dev.cm4j.consistency.schedule;
    exports dev.cm4j.consistency.train;
}
