package io.crmlake.cli;

import static org.apache.spark.sql.functions.avg;
import static org.apache.spark.sql.functions.col;
import static org.apache.spark.sql.functions.count;
import static org.apache.spark.sql.functions.explode;
import static org.apache.spark.sql.functions.format_number;
import static org.apache.spark.sql.functions.lit;

import io.crmlake.churn.ChurnJob;
import io.crmlake.churn.ChurnJob.Mode;
import io.crmlake.churn.ChurnResult;
import io.crmlake.churn.ChurnSettings;
import io.crmlake.churn.ChurnTables;
import io.crmlake.common.config.CrmlakeConfig;
import io.crmlake.common.lake.Lake;
import io.crmlake.common.run.Job;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;

/** The churn commands' job and report: train, score or both. */
abstract class ChurnCommandBase extends JobCommand<ChurnResult> {
  abstract Mode mode();

  @Override
  Job<ChurnResult> job(CrmlakeConfig config) {
    return new ChurnJob(ChurnSettings.from(config), mode());
  }

  /** Cutoffs, every candidate and baseline, the calibration table, bands and stages. */
  @Override
  void report(Lake lake, ChurnResult r) {
    System.out.printf("churn (%s): model %s (%s)%n", r.mode(), r.modelVersion(), r.model());
    r.training().ifPresent(t -> printTraining(lake, r, t));
    r.scoring().ifPresent(s -> printScoring(lake, s));
  }

  /** The cutoffs, the candidates and baselines on the holdout, the winner and its calibration. */
  private static void printTraining(Lake lake, ChurnResult r, ChurnResult.Training t) {
    System.out.printf(
        "  cutoffs (holdout %s): %s%n", t.holdoutCutoff(), t.cutoffs().replace("; ", "\n    "));
    Dataset<Row> metrics =
        lake.read(ChurnTables.CHURN_MODEL_METRICS)
            .where(col("model_version").equalTo(r.modelVersion()));
    printTable(
        metrics
            .orderBy(col("kind").desc(), col("pr_auc").desc())
            .select(
                col("candidate"),
                col("kind"),
                format_number(col("pr_auc"), 4).as("pr_auc"),
                format_number(col("roc_auc"), 4).as("roc_auc"),
                format_number(col("brier"), 4).as("brier"),
                format_number(col("log_loss"), 4).as("log_loss"),
                format_number(col("calibration_error"), 4).as("calibration_error"),
                col("chosen")));
    System.out.printf(
        "  winner: %s — holdout PR AUC %.4f, ROC AUC %.4f; calibrated Brier %.4f,"
            + " calibration error %.4f%n",
        r.model(), t.holdoutPrAuc(), t.holdoutRocAuc(), t.brier(), t.calibrationError());
    System.out.println("  calibration (evaluation half of the holdout):");
    printTable(
        metrics
            .where(col("chosen"))
            .select(explode(col("calibration")).as("c"))
            .select(
                col("c.decile").as("decile"),
                col("c.customers").as("customers"),
                format_number(col("c.mean_predicted"), 4).as("mean_predicted"),
                format_number(col("c.observed_rate"), 4).as("observed_rate")));
  }

  /** The customers scored, per risk band and per lifecycle stage and churn type. */
  private static void printScoring(Lake lake, ChurnResult.Scoring s) {
    System.out.printf(
        "  scored %d customers as of %s; mean churn probability %.4f%n",
        s.customers(), s.asOfDate(), s.meanProbability());
    Dataset<Row> scores =
        lake.read(ChurnTables.CHURN_SCORES)
            .where(col("as_of_date").equalTo(lit(java.sql.Date.valueOf(s.asOfDate()))));
    printTable(
        scores
            .groupBy("risk_band")
            .agg(
                count(lit(1)).as("customers"),
                format_number(avg("churn_probability"), 4).as("mean_probability"))
            .orderBy(col("mean_probability").desc()));
    printTable(
        scores
            .groupBy("lifecycle_stage", "churn_type")
            .agg(count(lit(1)).as("customers"))
            .orderBy("lifecycle_stage", "churn_type"));
  }

  private static void printTable(Dataset<Row> rows) {
    ResultPrinter.print(rows, ResultPrinter.Format.TABLE, 100, System.out);
  }
}
