package io.crmlake.report;

import io.crmlake.report.Report.Chart;
import io.crmlake.report.Report.Grid;
import java.awt.BasicStroke;
import java.awt.Color;
import java.awt.Font;
import java.awt.Paint;
import java.awt.geom.Rectangle2D;
import java.util.List;
import org.jfree.chart.ChartFactory;
import org.jfree.chart.JFreeChart;
import org.jfree.chart.axis.NumberAxis;
import org.jfree.chart.axis.SymbolAxis;
import org.jfree.chart.plot.CategoryPlot;
import org.jfree.chart.plot.PlotOrientation;
import org.jfree.chart.plot.XYPlot;
import org.jfree.chart.renderer.PaintScale;
import org.jfree.chart.renderer.category.BarRenderer;
import org.jfree.chart.renderer.category.StandardBarPainter;
import org.jfree.chart.renderer.xy.XYBlockRenderer;
import org.jfree.chart.renderer.xy.XYLineAndShapeRenderer;
import org.jfree.chart.renderer.xy.XYShapeRenderer;
import org.jfree.chart.title.PaintScaleLegend;
import org.jfree.chart.ui.RectangleEdge;
import org.jfree.data.category.DefaultCategoryDataset;
import org.jfree.data.xy.DefaultXYZDataset;
import org.jfree.data.xy.XYSeries;
import org.jfree.data.xy.XYSeriesCollection;
import org.jfree.svg.SVGGraphics2D;
import org.jfree.svg.ViewBox;

/**
 * The report's charts: JFreeChart plots rendered by JFreeSVG to inline SVG elements (no script, no
 * external resource), each with the table of the numbers it draws.
 */
final class Charts {
  static {
    System.setProperty("java.awt.headless", "true");
  }

  static final int WIDTH = 760;
  static final int HEIGHT = 380;
  private static final Color GRID = new Color(0xDDDDDD);
  private static final Font TITLE = new Font(Font.SANS_SERIF, Font.BOLD, 14);
  private static final Color[] SERIES = {
    new Color(0x4C72B0), new Color(0xDD8452), new Color(0x55A868), new Color(0xC44E52),
    new Color(0x8172B3), new Color(0x937860), new Color(0xDA8BC3), new Color(0x8C8C8C)
  };

  private Charts() {}

  /**
   * Bars of one or more series over categories: {@code series[s]} names column {@code s + 1} of
   * {@code data}, whose first column is the category.
   */
  static Chart bars(
      String id,
      String title,
      String categoryAxis,
      String valueAxis,
      Grid data,
      boolean horizontal) {
    DefaultCategoryDataset ds = new DefaultCategoryDataset();
    for (List<Object> row : data.rows()) {
      for (int s = 1; s < data.headers().size(); s++) {
        ds.addValue(number(row.get(s)), data.headers().get(s), String.valueOf(row.get(0)));
      }
    }
    JFreeChart chart =
        ChartFactory.createBarChart(
            title,
            categoryAxis,
            valueAxis,
            ds,
            horizontal ? PlotOrientation.HORIZONTAL : PlotOrientation.VERTICAL,
            data.headers().size() > 2,
            false,
            false);
    CategoryPlot plot = chart.getCategoryPlot();
    if (integral(data, 1, data.headers().size())) {
      ((NumberAxis) plot.getRangeAxis()).setStandardTickUnits(NumberAxis.createIntegerTickUnits());
    }
    if (!horizontal && data.rows().size() > 12) {
      plot.getDomainAxis()
          .setCategoryLabelPositions(org.jfree.chart.axis.CategoryLabelPositions.UP_45);
    }
    BarRenderer r = (BarRenderer) plot.getRenderer();
    r.setBarPainter(new StandardBarPainter());
    r.setShadowVisible(false);
    for (int s = 0; s < SERIES.length; s++) {
      r.setSeriesPaint(s, SERIES[s]);
    }
    int height = horizontal ? Math.max(HEIGHT, 60 + 26 * data.rows().size()) : HEIGHT;
    return new Chart(id, title, svg(chart, id, height), data);
  }

  /**
   * Lines: {@code data} has columns series, x, y. With {@code diagonal} a dashed y = x line is
   * drawn from 0 to 1 (ROC and reliability plots).
   */
  static Chart lines(
      String id, String title, String xAxis, String yAxis, Grid data, boolean diagonal) {
    XYSeriesCollection ds = new XYSeriesCollection();
    java.util.Map<String, XYSeries> series = new java.util.LinkedHashMap<>();
    for (List<Object> row : data.rows()) {
      series
          .computeIfAbsent(String.valueOf(row.get(0)), k -> new XYSeries(k, false, true))
          .add(number(row.get(1)), number(row.get(2)));
    }
    series.values().forEach(ds::addSeries);
    if (diagonal) {
      XYSeries d = new XYSeries("chance / perfect calibration");
      d.add(0, 0);
      d.add(1, 1);
      ds.addSeries(d);
    }
    JFreeChart chart = ChartFactory.createXYLineChart(title, xAxis, yAxis, ds);
    XYPlot plot = chart.getXYPlot();
    if (integral(data, 1, 2)) {
      ((NumberAxis) plot.getDomainAxis()).setStandardTickUnits(NumberAxis.createIntegerTickUnits());
    }
    XYLineAndShapeRenderer r = new XYLineAndShapeRenderer(true, series.size() == 1);
    for (int s = 0; s < series.size(); s++) {
      r.setSeriesPaint(s, SERIES[s % SERIES.length]);
      r.setSeriesStroke(s, new BasicStroke(2f));
    }
    if (diagonal) {
      r.setSeriesPaint(series.size(), Color.GRAY);
      r.setSeriesStroke(
          series.size(),
          new BasicStroke(
              1f, BasicStroke.CAP_BUTT, BasicStroke.JOIN_MITER, 1f, new float[] {4f, 4f}, 0f));
      r.setSeriesShapesVisible(series.size(), false);
    }
    plot.setRenderer(r);
    return new Chart(id, title, svg(chart, id, HEIGHT), data);
  }

  /**
   * A heatmap: {@code data} has columns x label, y label, value; the labels keep the order of their
   * first appearance unless given. Cells without a row stay empty.
   */
  static Chart heatmap(
      String id,
      String title,
      String xAxis,
      String yAxis,
      String valueName,
      Grid data,
      List<String> xLabels,
      List<String> yLabels) {
    List<String> xs = xLabels != null ? xLabels : distinct(data, 0);
    List<String> ys = yLabels != null ? yLabels : distinct(data, 1);
    int n = data.rows().size();
    double[][] xyz = new double[3][n];
    double lo = Double.POSITIVE_INFINITY;
    double hi = Double.NEGATIVE_INFINITY;
    for (int i = 0; i < n; i++) {
      List<Object> row = data.rows().get(i);
      xyz[0][i] = xs.indexOf(String.valueOf(row.get(0)));
      xyz[1][i] = ys.indexOf(String.valueOf(row.get(1)));
      xyz[2][i] = number(row.get(2));
      lo = Math.min(lo, xyz[2][i]);
      hi = Math.max(hi, xyz[2][i]);
    }
    DefaultXYZDataset ds = new DefaultXYZDataset();
    ds.addSeries(valueName, xyz);
    Gradient scale = new Gradient(n == 0 ? 0 : lo, n == 0 || hi <= lo ? lo + 1 : hi);
    XYBlockRenderer r = new XYBlockRenderer();
    r.setPaintScale(scale);
    SymbolAxis x = new SymbolAxis(xAxis, xs.toArray(String[]::new));
    SymbolAxis y = new SymbolAxis(yAxis, ys.toArray(String[]::new));
    x.setVerticalTickLabels(xs.size() > 12);
    XYPlot plot = new XYPlot(ds, x, y, r);
    plot.setBackgroundPaint(Color.WHITE);
    JFreeChart chart = new JFreeChart(title, TITLE, plot, false);
    chart.addSubtitle(legend(scale, valueName));
    int height = Math.max(HEIGHT, 120 + 18 * ys.size());
    return new Chart(id, title, svg(chart, id, height), data);
  }

  /** A scatter of x and y coloured by z: {@code data} has columns label, x, y, z. */
  static Chart scatter(
      String id, String title, String xAxis, String yAxis, String zName, Grid data) {
    int n = data.rows().size();
    double[][] xyz = new double[3][n];
    double lo = Double.POSITIVE_INFINITY;
    double hi = Double.NEGATIVE_INFINITY;
    for (int i = 0; i < n; i++) {
      for (int c = 0; c < 3; c++) {
        xyz[c][i] = number(data.rows().get(i).get(c + 1));
      }
      lo = Math.min(lo, xyz[2][i]);
      hi = Math.max(hi, xyz[2][i]);
    }
    DefaultXYZDataset ds = new DefaultXYZDataset();
    ds.addSeries(title, xyz);
    Gradient scale = new Gradient(n == 0 ? 0 : lo, n == 0 || hi <= lo ? lo + 1 : hi);
    XYShapeRenderer r = new XYShapeRenderer();
    r.setPaintScale(scale);
    NumberAxis x = new NumberAxis(xAxis);
    x.setAutoRangeIncludesZero(false);
    NumberAxis y = new NumberAxis(yAxis);
    y.setAutoRangeIncludesZero(false);
    XYPlot plot = new XYPlot(ds, x, y, r);
    JFreeChart chart = new JFreeChart(title, TITLE, plot, false);
    chart.addSubtitle(legend(scale, zName));
    return new Chart(id, title, svg(chart, id, HEIGHT), data);
  }

  private static PaintScaleLegend legend(PaintScale scale, String name) {
    PaintScaleLegend legend = new PaintScaleLegend(scale, new NumberAxis(name));
    legend.setPosition(RectangleEdge.RIGHT);
    legend.setMargin(4, 4, 40, 4);
    legend.setStripWidth(12);
    return legend;
  }

  /** Every value of columns [from, to) is a whole number (counts, run numbers). */
  private static boolean integral(Grid data, int from, int to) {
    return data.rows().stream()
        .allMatch(
            r ->
                r.subList(from, to).stream()
                    .allMatch(v -> v instanceof Long || v instanceof Integer));
  }

  private static List<String> distinct(Grid data, int column) {
    return data.rows().stream().map(r -> String.valueOf(r.get(column))).distinct().toList();
  }

  static double number(Object o) {
    return o == null ? Double.NaN : ((Number) o).doubleValue();
  }

  /** The chart as an {@code <svg>} element that scales to its container (a viewBox, no size). */
  private static String svg(JFreeChart chart, String id, int height) {
    chart.setBackgroundPaint(Color.WHITE);
    chart.getPlot().setBackgroundPaint(Color.WHITE);
    chart.getPlot().setOutlinePaint(GRID);
    if (chart.getPlot() instanceof XYPlot xy) {
      xy.setDomainGridlinePaint(GRID);
      xy.setRangeGridlinePaint(GRID);
    } else if (chart.getPlot() instanceof CategoryPlot cat) {
      cat.setRangeGridlinePaint(GRID);
    }
    if (chart.getTitle() != null) {
      chart.getTitle().setFont(TITLE);
    }
    SVGGraphics2D g = new SVGGraphics2D(WIDTH, height);
    chart.draw(g, new Rectangle2D.Double(0, 0, WIDTH, height));
    return g.getSVGElement("svg-" + id, false, new ViewBox(0, 0, WIDTH, height), null, null);
  }

  /** From light yellow to dark blue, as viridis runs the other way round. */
  private record Gradient(double getLowerBound, double getUpperBound) implements PaintScale {
    private static final Color LOW = new Color(0xFDE725);
    private static final Color MID = new Color(0x21918C);
    private static final Color HIGH = new Color(0x440154);

    @Override
    public Paint getPaint(double value) {
      double t = (value - getLowerBound) / (getUpperBound - getLowerBound);
      t = Double.isNaN(t) ? 0 : Math.max(0, Math.min(1, t));
      return t < 0.5 ? mix(LOW, MID, t * 2) : mix(MID, HIGH, (t - 0.5) * 2);
    }

    private static Color mix(Color a, Color b, double t) {
      return new Color(
          (int) Math.round(a.getRed() + (b.getRed() - a.getRed()) * t),
          (int) Math.round(a.getGreen() + (b.getGreen() - a.getGreen()) * t),
          (int) Math.round(a.getBlue() + (b.getBlue() - a.getBlue()) * t));
    }
  }
}
