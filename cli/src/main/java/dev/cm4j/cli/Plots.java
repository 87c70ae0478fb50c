package dev.cm4j.cli;

import dev.cm4j.tensor.Tensor;
import java.awt.Color;
import java.awt.Graphics2D;
import java.awt.image.BufferedImage;
import java.io.IOException;
import java.nio.file.Path;
import java.util.List;
import javax.imageio.ImageIO;
import org.knowm.xchart.BitmapEncoder;
import org.knowm.xchart.XYChart;
import org.knowm.xchart.XYChartBuilder;
import org.knowm.xchart.XYSeries;
import org.knowm.xchart.style.markers.SeriesMarkers;

/** PNG scatter plots of 2-D samples and loss curves, drawn with XChart. */
final class Plots {
    /** One panel of a sample grid. */
    record Panel(String title, Tensor points) {
    }

    /** One loss curve: the loss of each listed step (steps ascending, 1-based). */
    record Curve(String name, long[] steps, double[] losses) {
    }

    private static final int PANEL = 360;
    private static final double RANGE = 1.6;

    private Plots() {
    }

    /** Renders the panels (n, 2 points each) side by side in rows of {@code columns}, equal axes, and writes a PNG. */
    static void scatterGrid(Path file, List<Panel> panels, int columns) throws IOException {
        int rows = (panels.size() + columns - 1) / columns;
        BufferedImage grid = new BufferedImage(columns * PANEL, rows * PANEL, BufferedImage.TYPE_INT_RGB);
        Graphics2D g = grid.createGraphics();
        g.setColor(Color.WHITE);
        g.fillRect(0, 0, grid.getWidth(), grid.getHeight());
        for (int i = 0; i < panels.size(); i++) {
            BufferedImage img = BitmapEncoder.getBufferedImage(scatter(panels.get(i)));
            g.drawImage(img, (i % columns) * PANEL, (i / columns) * PANEL, null);
        }
        g.dispose();
        ImageIO.write(grid, "png", file.toFile());
    }

    private static XYChart scatter(Panel p) {
        XYChart chart = new XYChartBuilder().width(PANEL).height(PANEL).title(p.title()).build();
        var st = chart.getStyler();
        st.setDefaultSeriesRenderStyle(XYSeries.XYSeriesRenderStyle.Scatter);
        st.setLegendVisible(false);
        st.setMarkerSize(3);
        st.setChartBackgroundColor(Color.WHITE);
        st.setXAxisMin(-RANGE).setXAxisMax(RANGE).setYAxisMin(-RANGE).setYAxisMax(RANGE);
        st.setXAxisTicksVisible(false);
        st.setYAxisTicksVisible(false);
        int n = p.points().dim(0);
        double[] x = new double[n];
        double[] y = new double[n];
        for (int i = 0; i < n; i++) {
            x[i] = p.points().get(i, 0);
            y[i] = p.points().get(i, 1);
        }
        XYSeries s = chart.addSeries("samples", x, y);
        s.setMarker(SeriesMarkers.CIRCLE);
        s.setMarkerColor(new Color(31, 119, 180, 90));
        return chart;
    }

    /**
     * Whether a loss axis from {@code min} to {@code max} is drawn on a log scale: only when it spans a factor of 10
     * or more. A log axis labels only powers of 10, so a narrower one (a distillation loss swinging around one level)
     * would have no numbers on it.
     */
    static boolean logScale(double min, double max) {
        return min > 0 && max / min >= 10;
    }

    /** Loss curves against the step, smoothed by a running mean; on a log scale when they span a factor of 10. */
    static void losses(Path file, List<Curve> curves) throws IOException {
        XYChart chart = new XYChartBuilder().width(900).height(420).title("training loss (running mean of 50 steps)")
                .xAxisTitle("step").yAxisTitle("loss").build();
        chart.getStyler().setChartBackgroundColor(Color.WHITE);
        double min = Double.POSITIVE_INFINITY;
        double max = 0;
        chart.getStyler().setMarkerSize(0);
        for (Curve c : curves) {
            int n = c.losses().length;
            if (n == 0) {
                continue;
            }
            double[] x = new double[n];
            double[] y = new double[n];
            double sum = 0;
            for (int i = 0; i < n; i++) {
                sum += c.losses()[i];
                if (i >= 50) {
                    sum -= c.losses()[i - 50];
                }
                x[i] = c.steps()[i];
                y[i] = Math.max(1e-12, sum / Math.min(i + 1, 50));
                min = Math.min(min, y[i]);
                max = Math.max(max, y[i]);
            }
            chart.addSeries(c.name(), x, y).setMarker(SeriesMarkers.NONE);
        }
        chart.getStyler().setYAxisLogarithmic(logScale(min, max));
        BitmapEncoder.saveBitmap(chart, file.toString(), BitmapEncoder.BitmapFormat.PNG);
    }
}
