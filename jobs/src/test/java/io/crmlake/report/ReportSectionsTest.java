package io.crmlake.report;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.crmlake.clv.BgNbd;
import io.crmlake.report.Report.Block;
import io.crmlake.report.Report.Chart;
import io.crmlake.report.Report.Grid;
import io.crmlake.report.Report.Note;
import java.sql.Timestamp;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.junit.jupiter.api.Test;

/**
 * The parts of the report's sections that are worked on the driver, on hand-made rows (no Spark).
 *
 * <p>Reject rates of four ingest runs, each reading 1,000 rows: r1 rejects 2 (0.2 %), r2 4 (0.4 %),
 * r3 3 (0.3 %), r4 20 (2.0 %). For r4 the earlier rates 0.2, 0.4, 0.3 have the median 0.3; 2.0 is
 * above 3 × 0.3 and 1.7 points above it: a jump. For r3 the median of 0.2 and 0.4 is 0.3 and 0.3 is
 * normal. A rate of 0.4 % after one of 0.1 % is 4 × the median but only 0.3 points above it:
 * normal.
 */
class ReportSectionsTest {
  private static final List<Row> HISTORY =
      List.of(
          RowFactory.create("r1", 1000L, 2L),
          RowFactory.create("r2", 1000L, 4L),
          RowFactory.create("r3", 1000L, 3L),
          RowFactory.create("r4", 1000L, 20L));

  @Test
  void aRejectRateWellAboveTheMedianOfEarlierRunsJumped() {
    RejectRates r4 = RejectRates.of(HISTORY, "r4");
    assertEquals(2.0, r4.current(), 1e-12);
    assertEquals(List.of(0.2, 0.4, 0.3), r4.earlier());
    assertTrue(r4.jumped());
    Note note = r4.verdict().get(0);
    assertTrue(note.warning());
    assertEquals(
        "Reject rate of this run 2.00 % against a median of 0.30 % over 3 earlier runs: JUMPED —"
            + " look at the reasons and files above.",
        note.text());
    assertEquals(4, r4.grid().rows().size());
  }

  @Test
  void aRejectRateAtTheMedianOrFewPointsAboveItIsNormal() {
    RejectRates r3 = RejectRates.of(HISTORY, "r3");
    assertEquals(List.of(0.2, 0.4), r3.earlier());
    assertFalse(r3.jumped());
    assertFalse(r3.verdict().get(0).warning());
    assertTrue(r3.verdict().get(0).text().endsWith(": normal."), r3.verdict().get(0).text());
    assertEquals(List.of("reject rate", 3, 0.3), r3.grid().rows().get(2));
    assertEquals(3, r3.grid().rows().size(), "the chart stops at the reported run");

    RejectRates small =
        RejectRates.of(
            List.of(RowFactory.create("a", 1000L, 1L), RowFactory.create("b", 1000L, 4L)), "b");
    assertFalse(small.jumped(), "4 × the median, but 0.3 points above it");
  }

  @Test
  void theFirstRunHasNoHistoryAndAnUnknownRunNoVerdict() {
    RejectRates first = RejectRates.of(HISTORY, "r1");
    assertFalse(first.jumped());
    assertEquals(
        "Reject rate 0.20 % (the first run: no history yet).", first.verdict().get(0).text());
    RejectRates unknown = RejectRates.of(HISTORY, "r9");
    assertNull(unknown.current());
    assertEquals(List.of(), unknown.verdict());
  }

  @Test
  void theMedianOfAnOddAndAnEvenCount() {
    assertEquals(3.0, Blocks.median(List.of(5.0, 1.0, 3.0)));
    assertEquals(2.5, Blocks.median(List.of(4.0, 1.0, 3.0, 2.0)));
  }

  /**
   * The models in use, at 2024-07-11T12:00Z: KMeans trained 2024-07-01 (10 days old) by its latest
   * run; churn's latest run reused a model of 2024-06-11 (30 days); no clv run has a model.
   */
  @Test
  void theModelsInUseShowTheirAgeAndTheLatestDecision() {
    List<Row> latest =
        List.of(
            RowFactory.create(
                "segments",
                scala.jdk.javaapi.CollectionConverters.asScala(
                    Map.of("model_version", "20240701T080000-aaaaaaaa"))),
            RowFactory.create(
                "churn",
                scala.jdk.javaapi.CollectionConverters.asScala(
                    Map.of(
                        "model_version", "20240611T120000-bbbbbbbb",
                        "refresh_train", "false",
                        "refresh_reason", "30 days old; retrained at 31 days"))));
    Grid g = RunLogSection.models(latest, java.time.Instant.parse("2024-07-11T12:00:00Z"));
    assertEquals(
        List.of(
            Arrays.asList(
                "KMeans clusters",
                "segments",
                "20240701T080000-aaaaaaaa",
                "2024-07-01",
                10L,
                "trained",
                ""),
            Arrays.asList(
                "churn classifier",
                "churn",
                "20240611T120000-bbbbbbbb",
                "2024-06-11",
                30L,
                "reused",
                "30 days old; retrained at 31 days")),
        g.rows());
  }

  /** An ingest that took 12.5 s, a failed churn run that has not ended, a second ingest. */
  @Test
  void theRunLogShowsSecondsFailuresAndTheLastSuccessfulIngest() {
    Timestamp t0 = Timestamp.valueOf("2024-07-01 10:00:00");
    List<Row> jobs =
        List.of(
            job("ingest", "i1", "SUCCEEDED", t0, Timestamp.valueOf("2024-07-01 10:00:12.5"), null),
            job("churn", "c1", "FAILED", t0, null, "boom"),
            job("ingest", "i2", "FAILED", t0, t0, "bad file"));
    ReportedRun run =
        new ReportedRun("pipeline run p", jobs, ReportedRun.lastSuccessfulIngest(jobs));
    assertEquals("i1", run.ingestRun());

    List<Block> blocks = new RunLogSection().blocks(new ReportInputs(null, run));
    assertEquals(
        List.of(new Note("churn FAILED: boom", true), new Note("ingest FAILED: bad file", true)),
        blocks.subList(0, 2));
    Chart seconds = assertInstanceOf(Chart.class, blocks.get(2));
    assertEquals(
        List.of(Arrays.asList("ingest", 12.5), Arrays.asList("ingest", 0.0)),
        seconds.data().rows());
    Grid grid = assertInstanceOf(Grid.class, blocks.get(3));
    assertEquals(3, grid.rows().size());
    assertNull(grid.rows().get(1).get(4), "a run that has not ended has no seconds");
  }

  private static Row job(
      String job, String run, String status, Timestamp start, Timestamp end, String error) {
    return RowFactory.create(job, run, status, start, end, 10L, 9L, 1L, 0L, error);
  }

  /**
   * Frequency 0 to ⌈2.3⌉ = 3 by 21 recency steps from 0 to T = 10: frequency 0 has only recency 0
   * (no repeat purchase), so 1 + 3 × 21 = 64 cells; the most repeat purchases shown are 30.
   */
  @Test
  void theFrequencyRecencyGridHasOneCellForFrequencyZero() {
    BgNbd bg = new BgNbd(0.24, 4.4, 0.79, 2.4);
    ClvSection.Stats stats = new ClvSection.Stats(100, 2.3, 10.0, "v", 52, "week");
    FrequencyRecency g = FrequencyRecency.of(bg, stats);
    assertEquals(List.of("0", "1", "2", "3"), g.xs());
    assertEquals(21, g.ys().size());
    assertEquals(64, g.expected().rows().size());
    assertEquals(64, g.alive().rows().size());
    assertEquals(List.of("0", "0.000", bg.probabilityAlive(0, 0, 10)), g.alive().rows().get(0));
    assertEquals(List.of("1", "0.000"), g.alive().rows().get(1).subList(0, 2));
    assertEquals(2, g.charts().size());

    ClvSection.Stats many = new ClvSection.Stats(100, 75.0, 10.0, "v", 52, "week");
    assertEquals(31, FrequencyRecency.of(bg, many).xs().size());
  }

  /** The sections in page order, as the contract test finds them in the page. */
  @Test
  void theSectionsInPageOrder() {
    assertEquals(
        List.of("runs", "quality", "cohorts", "segments", "churn", "clv", "baskets", "actions"),
        RunReport.SECTIONS.stream().map(ReportSection::id).toList());
  }
}
