package io.crmlake.cli;

import static org.apache.spark.sql.functions.col;
import static org.apache.spark.sql.functions.format_number;

import io.crmlake.clv.ClvJob;
import io.crmlake.clv.ClvSettings;
import io.crmlake.common.config.CrmlakeConfig;
import io.crmlake.common.lake.Lake;
import io.crmlake.common.lake.Tables;
import io.crmlake.common.run.JobResult;
import io.crmlake.common.run.RunContext;
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
final class ClvCommand extends JobCommand<ClvSettings> {
  @Override
  String job() {
    return "clv";
  }

  @Override
  ClvSettings settings(CrmlakeConfig config) {
    return ClvSettings.from(config);
  }

  @Override
  JobResult execute(Lake lake, ClvSettings settings, RunContext ctx) {
    return new ClvJob(lake, settings).run(ctx);
  }

  @Override
  void report(Lake lake, JobResult r, ClvSettings s) {
    summary(lake, r.metrics(), s);
  }

  /** Parameters of both fits, the holdout error by frequency group and the total CLV. */
  static void summary(Lake lake, Map<String, String> m, ClvSettings s) {
    String unit = m.get("time_unit");
    System.out.printf(
        "clv: %s customers; calibration to %s, holdout to %s (%s %ss); model %s%n",
        m.get("customers"),
        m.get("calibration_end"),
        m.get("observation_end"),
        m.get("holdout_" + unit + "s"),
        unit,
        m.get("model_version"));
    for (String fit : new String[] {"calibration_", ""}) {
      String label = fit.isEmpty() ? "full" : "calibration";
      System.out.printf(
          "  BG/NBD (%s): %s; LL %s; %s iterations, %s likelihood evaluations over %s rows, %s"
              + " ms%n",
          label,
          m.get(fit + "bgnbd_params"),
          m.get(fit + "bgnbd_log_likelihood"),
          m.get(fit + "bgnbd_iterations"),
          m.get(fit + "bgnbd_evaluations"),
          m.get(fit + "bgnbd_rows"),
          m.get(fit + "bgnbd_fit_ms"));
      System.out.printf(
          "  Gamma-Gamma (%s): %s; LL %s; %s ms%n",
          label,
          m.get(fit + "gamma_gamma_params"),
          m.get(fit + "gamma_gamma_log_likelihood"),
          m.get(fit + "gamma_gamma_fit_ms"));
    }
    System.out.printf(
        "  holdout: %s customers, actual %s vs predicted %s repeat purchases; mean absolute error"
            + " %s per customer%n",
        m.get("holdout_customers"),
        m.get("holdout_actual"),
        m.get("holdout_predicted"),
        m.get("holdout_mae"));
    ResultPrinter.print(
        lake.read(Tables.CLV_VALIDATION)
            .where(col("model_version").equalTo(m.get("model_version")))
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
    System.out.printf(
        "  next %s %ss: %s expected purchases, total expected CLV %s (discount %s/year, margin"
            + " %s); mean P(alive) %s%n",
        s.horizon(),
        unit,
        m.get("total_expected_purchases"),
        m.get("total_clv"),
        s.discountRate(),
        s.margin(),
        m.get("mean_p_alive"));
  }
}
