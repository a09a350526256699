package io.crmlake.report;

import static org.apache.spark.sql.functions.coalesce;
import static org.apache.spark.sql.functions.col;
import static org.apache.spark.sql.functions.desc;
import static org.apache.spark.sql.functions.lit;

import io.crmlake.churn.ChurnTables;
import io.crmlake.report.Report.Block;
import io.crmlake.report.Report.Grid;
import java.util.ArrayList;
import java.util.List;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;

/**
 * Churn: the candidate models of the latest training on the holdout (ROC and PR AUC, Brier,
 * calibration error; ROC, precision-recall and cumulative-capture curves), the chosen model's lift
 * per decile, reliability and feature importance, and the scored customers per risk band and
 * lifecycle stage. Reads the latest training of {@code gold.churn_model_metrics}, the chosen
 * version's {@code gold.churn_feature_importance} and the latest as-of date of {@code
 * gold.churn_scores}.
 */
final class ChurnSection implements ReportSection {
  /** The columns of gold.churn_scores counted, each with its chart title. */
  private static final String[][] SPLITS = {
    {"risk_band", "Customers per risk band"},
    {"lifecycle_stage", "Customers per lifecycle stage"}
  };

  @Override
  public String id() {
    return "churn";
  }

  @Override
  public String title() {
    return "Churn";
  }

  @Override
  public String shows() {
    return "How well the churn models rank and calibrate on the holdout, what drives them, and how"
        + " the scored customers split into risk bands and lifecycle stages.";
  }

  @Override
  public List<Block> blocks(ReportInputs in) {
    Candidates candidates =
        Candidates.of(
            in.latest(ChurnTables.CHURN_MODEL_METRICS, "trained_at")
                .orderBy(desc("chosen"), col("kind").desc(), desc("pr_auc"))
                .limit(20)
                .collectAsList());
    List<Block> blocks = new ArrayList<>(candidates.blocks());
    if (candidates.version() != null) {
      blocks.add(importance(in, candidates.version()));
    }
    Dataset<Row> scores = in.latest(ChurnTables.CHURN_SCORES, "as_of_date");
    for (String[] d : SPLITS) {
      blocks.add(customersPer(scores, d[0], d[1]));
    }
    return blocks;
  }

  /**
   * The candidates' figures and curves, and the chosen model's lift and reliability.
   *
   * @param version the chosen model's version, or null when none was chosen
   */
  record Candidates(
      Grid summary, Grid roc, Grid pr, Grid capture, Grid lift, Grid calibration, String version) {

    /** From rows of gold.churn_model_metrics, the chosen candidate first. */
    static Candidates of(List<Row> rows) {
      String version = null;
      for (Row r : rows) {
        if (r.<Boolean>getAs("chosen")) {
          version = r.getAs("model_version");
        }
      }
      Candidates c =
          new Candidates(
              Grid.of(
                      "churn-candidates",
                      List.of("candidate", "kind", "chosen", "ROC AUC", "PR AUC", "Brier", "ECE"))
                  .asSortable(),
              Grid.of("roc", List.of("candidate", "false positive rate", "true positive rate")),
              Grid.of("pr", List.of("candidate", "recall", "precision")),
              Grid.of("capture", List.of("candidate", "decile", "cumulative capture")),
              Grid.of("lift", List.of("decile", "lift")),
              Grid.of("calibration", List.of("series", "mean predicted", "observed churn rate")),
              version);
      rows.forEach(c::add);
      return c;
    }

    private void add(Row r) {
      String c = r.getAs("candidate");
      boolean chosen = r.getAs("chosen");
      summary.add(
          c,
          r.getAs("kind"),
          chosen ? "yes" : "",
          r.getAs("roc_auc"),
          r.getAs("pr_auc"),
          r.getAs("brier"),
          r.getAs("calibration_error"));
      for (Row p : r.<Row>getList(r.fieldIndex("roc_curve"))) {
        roc.add(c, p.getDouble(1), p.getDouble(2));
      }
      for (Row p : r.<Row>getList(r.fieldIndex("pr_curve"))) {
        pr.add(c, p.getDouble(1), p.getDouble(2));
      }
      capture.add(c, 0, 0.0);
      for (Row d : r.<Row>getList(r.fieldIndex("deciles"))) {
        capture.add(c, d.getInt(0), d.getDouble(5));
        if (chosen) {
          lift.add(String.valueOf(d.getInt(0)), d.getDouble(4));
        }
      }
      if (chosen) {
        for (Row d : r.<Row>getList(r.fieldIndex("calibration"))) {
          calibration.add("chosen model " + c, d.getDouble(2), d.getDouble(3));
        }
      }
    }

    /** The summary table, then the ROC, PR, lift, capture and reliability charts. */
    List<Block> blocks() {
      return List.of(
          summary,
          Charts.lines(
              "roc",
              "ROC curves on the holdout",
              "false positive rate",
              "true positive rate",
              roc,
              true),
          Charts.lines(
              "pr", "Precision-recall curves on the holdout", "recall", "precision", pr, false),
          Charts.bars(
              "lift",
              "Lift per decile of the chosen model (1 = highest risk)",
              "decile",
              "lift over the holdout churn rate",
              lift,
              false),
          Charts.lines(
              "capture",
              "Cumulative capture of churners by decile",
              "decile",
              "share of churners captured",
              capture,
              false),
          Charts.lines(
              "calibration",
              "Reliability: predicted vs observed churn",
              "mean predicted probability",
              "observed churn rate",
              calibration,
              true));
    }
  }

  /** The chosen model's 15 most important features. */
  private static Block importance(ReportInputs in, String version) {
    Grid importance = Grid.of("importance", List.of("feature", "importance"));
    for (Row r :
        in.read(ChurnTables.CHURN_FEATURE_IMPORTANCE)
            .where(col("model_version").equalTo(version).and(col("chosen")))
            .orderBy("rank")
            .limit(15)
            .collectAsList()) {
      importance.add(r.getAs("feature"), r.getAs("importance"));
    }
    return Charts.bars(
        "importance",
        "Feature importance of the chosen model",
        "feature",
        "importance",
        importance,
        true);
  }

  /** Scored customers per value of {@code column} (null as "(none)"), the largest first. */
  private static Block customersPer(Dataset<Row> scores, String column, String title) {
    String id = column.replace('_', '-');
    String name = column.replace('_', ' ');
    Grid g =
        Blocks.fill(
            Grid.of(id, List.of(name, "customers")),
            Blocks.collect(
                scores
                    .groupBy(coalesce(col(column), lit("(none)")))
                    .count()
                    .orderBy(desc("count"))));
    return Charts.bars(id, title, name, "customers", g, true);
  }
}
