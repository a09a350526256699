package io.crmlake.cli;

import static org.apache.spark.sql.functions.col;
import static org.apache.spark.sql.functions.format_number;

import io.crmlake.clv.ClvJob;
import io.crmlake.clv.ClvResult;
import io.crmlake.clv.ClvSettings;
import io.crmlake.clv.ClvTables;
import io.crmlake.common.config.CrmlakeConfig;
import io.crmlake.common.lake.Lake;
import io.crmlake.common.run.Job;
import java.util.List;
import java.util.Map;
import picocli.CommandLine.Command;

@Command(
    name = "clv",
    mixinStandardHelpOptions = true,
    description = {
      "Customer lifetime value: BG/NBD and Gamma-Gamma fitted on Spark.",
      "Writes gold.clv (P(alive), expected purchases and order value, discounted CLV),",
      "gold.clv_models (parameters, standard errors, log-likelihood) and gold.clv_validation",
      "(holdout: predicted vs actual repeat purchases). Settings: clv.* (observation-end,",
      "calibration-end, time-unit, horizon, discount-rate, margin, likelihood, l2-penalty)."
    })
final class ClvCommand extends JobCommand<ClvResult> {
  @Override
  Job<ClvResult> job(CrmlakeConfig config) {
    return new ClvJob(ClvSettings.from(config), ClvJob.Mode.AUTO);
  }

  /**
   * Parameters of both fits, the holdout error by frequency group and the total CLV; or, when the
   * run reused a fit, which one.
   */
  @Override
  void report(Lake lake, ClvResult r) {
    String unit = r.timeUnit();
    r.refresh().ifPresent(d -> System.out.println("clv: " + d.describe()));
    if (r.holdout().isEmpty()) {
      System.out.printf(
          "clv: %d customers scored to %s with the parameters of %s%n",
          r.customers(), r.observationEnd(), r.modelVersion());
      printTotals(r, unit);
      return;
    }
    ClvResult.Holdout holdout = r.holdout().get();
    System.out.printf(
        "clv: %d customers; calibration to %s, holdout to %s (%.2f %ss); model %s%n",
        r.customers(),
        r.calibrationEnd(),
        r.observationEnd(),
        holdout.length(),
        unit,
        r.modelVersion());
    for (var fits :
        List.of(
            Map.entry("calibration", r.calibration().orElseThrow()),
            Map.entry("full", r.full().orElseThrow()))) {
      ClvResult.Fit bg = fits.getValue().bgnbd();
      ClvResult.Fit gg = fits.getValue().gammaGamma();
      System.out.printf(
          "  BG/NBD (%s): %s; LL %.2f; %d iterations, %d likelihood evaluations over %d rows, %d"
              + " ms%n",
          fits.getKey(),
          bg.params(),
          bg.logLikelihood(),
          bg.iterations(),
          bg.evaluations(),
          bg.rows(),
          bg.fitMillis());
      System.out.printf(
          "  Gamma-Gamma (%s): %s; LL %.2f; %d ms%n",
          fits.getKey(), gg.params(), gg.logLikelihood(), gg.fitMillis());
    }
    System.out.printf(
        "  holdout: %d customers, actual %.1f vs predicted %.1f repeat purchases; mean absolute"
            + " error %.4f per customer%n",
        holdout.customers(), holdout.actual(), holdout.predicted(), holdout.mae());
    ResultPrinter.print(
        lake.read(ClvTables.CLV_VALIDATION)
            .where(col("model_version").equalTo(r.modelVersion()))
            .orderBy(col("frequency_group"))
            .select(
                col("frequency_group"),
                col("customers"),
                format_number(col("actual_mean"), 3).as("actual_mean"),
                format_number(col("predicted_mean"), 3).as("predicted_mean"),
                format_number(col("mae"), 3).as("mae")),
        ResultPrinter.Format.TABLE,
        100,
        System.out);
    printTotals(r, unit);
  }

  private static void printTotals(ClvResult r, String unit) {
    System.out.printf(
        "  next %s %ss: %.1f expected purchases, total expected CLV %.2f (discount %s/year, margin"
            + " %s); mean P(alive) %.4f%n",
        r.horizon(),
        unit,
        r.totalExpectedPurchases(),
        r.totalClv(),
        r.discountRate(),
        r.margin(),
        r.meanPAlive());
  }
}
