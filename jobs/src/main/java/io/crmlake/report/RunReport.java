package io.crmlake.report;

import io.crmlake.common.config.LakePaths;
import io.crmlake.common.lake.Lake;
import io.crmlake.report.Report.Block;
import io.crmlake.report.Report.Note;
import io.crmlake.report.Report.Section;
import java.io.IOException;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.time.temporal.ChronoUnit;
import java.util.List;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The run report of a lake: which run it describes ({@link ReportedRun}: the latest pipeline run in
 * ops.job_runs), a facts line, and the sections in page order, each a {@link ReportSection}. Every
 * figure is an aggregate computed by Spark; at most {@link Blocks#MAX_ROWS} rows of one reach the
 * driver (top-N tables are limited), so the report's cost on the driver does not grow with the
 * customers. A section whose tables do not exist yet says which command makes them. Run it with
 * {@code bin/crmlake report}.
 */
public final class RunReport {
  private static final Logger LOG = LoggerFactory.getLogger(RunReport.class);

  /** The sections, in page order. */
  static final List<ReportSection> SECTIONS =
      List.of(
          new RunLogSection(),
          new QualitySection(),
          new CohortsSection(),
          new SegmentsSection(),
          new ChurnSection(),
          new ClvSection(),
          new BasketsSection(),
          new ActionsSection());

  private RunReport() {}

  /** The report of the lake's latest pipeline run (or of each job's latest run). */
  public static Report build(Lake lake) {
    ReportedRun run = ReportedRun.latest(lake);
    ReportInputs in = new ReportInputs(lake, run);
    List<Section> sections = SECTIONS.stream().map(s -> section(s, in)).toList();
    List<String> facts =
        List.of(
            "lake " + lake.root(),
            run.title(),
            "report made " + Instant.now().truncatedTo(ChronoUnit.SECONDS));
    return new Report("crmlake run report", facts, sections);
  }

  /** One section; a table it reads that does not exist yet becomes a note saying so. */
  private static Section section(ReportSection section, ReportInputs in) {
    long start = System.nanoTime();
    List<Block> blocks;
    try {
      blocks = section.blocks(in);
    } catch (Lake.MissingTableException e) {
      blocks = List.of(new Note("Not computed yet: " + e.getMessage(), false));
    }
    LOG.info(
        "report section {}: {} blocks in {} ms",
        section.id(),
        blocks.size(),
        (System.nanoTime() - start) / 1_000_000);
    return new Section(section.id(), section.title(), section.shows(), blocks);
  }

  /**
   * Builds the report and writes it as {@code <dir>/report-<utc time>.html} (any Hadoop file
   * system: a local folder, {@code s3a://}, {@code hdfs://}); also as {@code latest.html} beside
   * it. Returns the report's path.
   */
  public static String write(Lake lake, String dir) {
    String html = build(lake).html();
    String name =
        "report-"
            + DateTimeFormatter.ofPattern("yyyyMMdd-HHmmss")
                .withZone(ZoneOffset.UTC)
                .format(Instant.now())
            + ".html";
    Path folder = new Path(dir);
    FileSystem fs =
        LakePaths.fileSystem(folder, lake.spark().sparkContext().hadoopConfiguration(), "--out");
    Path target = new Path(folder, name);
    for (Path p : List.of(target, new Path(folder, "latest.html"))) {
      try (var out = fs.create(p, true)) {
        out.write(html.getBytes(StandardCharsets.UTF_8));
      } catch (IOException e) {
        throw new IllegalStateException("cannot write the report to " + p + ": " + e, e);
      }
    }
    LOG.info("report: {} ({} KB)", target, html.length() / 1024);
    URI uri = fs.makeQualified(target).toUri();
    return "file".equals(uri.getScheme()) ? uri.getPath() : uri.toString();
  }
}
