package io.crmlake.clv;

import static org.apache.spark.sql.functions.col;

import io.crmlake.common.lake.Lake;
import io.crmlake.common.run.ModelRefresh;
import io.crmlake.common.run.RunContext;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import org.apache.spark.sql.Row;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The parameters of a committed full fit ({@code gold.clv_models}, {@code fit = full}) that a clv
 * run in the {@code auto} mode scores with, and the refresh decision between reusing them and
 * fitting again ({@code clv.retrain-after-days}, {@code retrain-now}; parameters fitted in another
 * {@code clv.time-unit} are fitted again).
 *
 * @param version the clv run that fitted them
 * @param bgnbd r, alpha, a, b
 * @param gammaGamma p, q, gamma
 * @param timeUnit the time unit they were fitted in
 * @param periodEnd the last day of the data they were fitted on
 */
record SavedFit(
    String version,
    double[] bgnbd,
    double[] gammaGamma,
    String timeUnit,
    java.time.LocalDate periodEnd) {
  private static final Logger LOG = LoggerFactory.getLogger(SavedFit.class);

  /** The refresh decision, with the fit it reuses when it reuses one. */
  record Choice(ModelRefresh.Decision decision, Optional<SavedFit> reused) {}

  /**
   * Reuse the newest committed full fit, or fit again: also when the fit saw data after {@code
   * observationEnd} (scoring a past date with it would use the future).
   */
  static Choice decide(RunContext ctx, ClvSettings settings, java.time.LocalDate observationEnd) {
    Lake lake = ctx.lake();
    Optional<String> newest =
        lake.exists(ClvTables.CLV_MODELS)
            ? ModelRefresh.newestCommitted(
                lake, "clv", lake.read(ClvTables.CLV_MODELS).where(col("fit").equalTo("full")))
            : Optional.empty();
    ModelRefresh.Decision d = settings.refresh().decide(newest, ctx.startedAt());
    SavedFit saved = null;
    if (!d.train()) {
      saved = load(lake, d.model().orElseThrow());
      String unit = settings.timeUnit().name().toLowerCase(Locale.ROOT);
      if (!saved.timeUnit().equals(unit)) {
        d =
            d.train(
                "fit "
                    + saved.version()
                    + " is in "
                    + saved.timeUnit()
                    + "s; clv.time-unit is "
                    + unit);
      } else if (saved.periodEnd().isAfter(observationEnd)) {
        d =
            d.train(
                "fit "
                    + saved.version()
                    + " saw data to "
                    + saved.periodEnd()
                    + ", after the observation end "
                    + observationEnd);
      }
    }
    LOG.info("{}", d.describe());
    return new Choice(d, d.train() ? Optional.empty() : Optional.of(saved));
  }

  /** The full fit of {@code version}: two rows of gold.clv_models reach the driver. */
  static SavedFit load(Lake lake, String version) {
    List<Row> rows =
        lake.read(ClvTables.CLV_MODELS)
            .where(col("model_version").equalTo(version).and(col("fit").equalTo("full")))
            .select("model", "params", "time_unit", "period_end")
            .collectAsList();
    return new SavedFit(
        version,
        params(rows, "bgnbd", BgNbd.NAMES, version),
        params(rows, "gamma_gamma", GammaGamma.NAMES, version),
        rows.isEmpty() ? "" : rows.get(0).getString(2),
        rows.isEmpty() ? java.time.LocalDate.MIN : rows.get(0).getDate(3).toLocalDate());
  }

  private static double[] params(List<Row> rows, String model, String[] names, String version) {
    Row r =
        rows.stream()
            .filter(x -> x.getString(0).equals(model))
            .findFirst()
            .orElseThrow(
                () ->
                    new IllegalStateException(
                        "gold.clv_models has no full " + model + " fit of run " + version));
    Map<String, Double> p =
        scala.jdk.javaapi.CollectionConverters.asJava(r.<String, Double>getMap(1));
    double[] out = new double[names.length];
    for (int i = 0; i < names.length; i++) {
      out[i] = p.get(names[i]);
    }
    return out;
  }
}
