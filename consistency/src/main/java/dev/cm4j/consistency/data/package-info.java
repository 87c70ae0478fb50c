/**
 * Data sets: the 2-D toys (8 Gaussians, two moons, Swiss roll, checkerboard), scaled to a standard deviation of 0.5
 * per coordinate. Image loaders (IDX, PNG folders) come here.
 */
package dev.cm4j.consistency.data;
