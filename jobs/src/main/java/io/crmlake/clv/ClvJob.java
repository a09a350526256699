package io.crmlake.clv;

import static org.apache.spark.sql.functions.abs;
import static org.apache.spark.sql.functions.avg;
import static org.apache.spark.sql.functions.coalesce;
import static org.apache.spark.sql.functions.col;
import static org.apache.spark.sql.functions.count;
import static org.apache.spark.sql.functions.lit;
import static org.apache.spark.sql.functions.max;
import static org.apache.spark.sql.functions.min;
import static org.apache.spark.sql.functions.sum;
import static org.apache.spark.sql.functions.when;

import io.crmlake.clv.ClvModels.Fitted;
import io.crmlake.clv.MaximumLikelihood.Fit;
import io.crmlake.common.config.ConfigError;
import io.crmlake.common.lake.Lake;
import io.crmlake.common.lake.Tables;
import io.crmlake.common.run.JobResult;
import io.crmlake.common.run.RunContext;
import java.time.LocalDate;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructType;
import org.apache.spark.storage.StorageLevel;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Customer lifetime value: {@code silver.transactions} → {@code gold.clv}, {@code gold.clv_models},
 * {@code gold.clv_validation}.
 *
 * <p>Run with {@code bin/crmlake clv [--set clv.calibration-end=1997-09-30]}. Two fits of BG/NBD
 * ({@link BgNbd}) and Gamma-Gamma ({@link GammaGamma}) by maximum likelihood on Spark ({@link
 * MaximumLikelihood}): on the calibration period (up to {@code clv.calibration-end}), checked
 * against the holdout after it; and on all data up to {@code clv.observation-end}, which scores
 * every customer: P(alive), expected purchases and average order value over {@code clv.horizon},
 * and the discounted CLV. Settings that matter: {@code clv.time-unit}, {@code horizon}, {@code
 * discount-rate}, {@code margin}, {@code likelihood}, {@code l2-penalty}.
 */
public final class ClvJob {
  private static final Logger LOG = LoggerFactory.getLogger(ClvJob.class);
  static final String[] GROUPS = {"0", "1", "2", "3", "4", "5", "6", "7+"};

  private final Lake lake;
  private final ClvSettings settings;

  public ClvJob(Lake lake, ClvSettings settings) {
    this.lake = lake;
    this.settings = settings;
  }

  public JobResult run(RunContext ctx) {
    Map<String, String> m = new LinkedHashMap<>();
    ctx.phase("observation periods");
    Dataset<Row> tx = lake.read(Tables.TRANSACTIONS);
    Row span =
        tx.where(col("customer_id").isNotNull()).agg(min("order_date"), max("order_date")).first();
    if (span.isNullAt(0)) {
      throw new ConfigError("silver.transactions has no customer transactions: nothing to model");
    }
    LocalDate first = span.getDate(0).toLocalDate();
    LocalDate obsEnd = settings.observationEnd().orElse(span.getDate(1).toLocalDate());
    LocalDate calEnd =
        settings
            .calibrationEnd()
            .orElse(first.plusDays(ChronoUnit.DAYS.between(first, obsEnd) * 2 / 3));
    if (!calEnd.isBefore(obsEnd) || calEnd.isBefore(first)) {
      throw ConfigError.invalid(
          "clv.calibration-end",
          calEnd,
          "must lie between the first transaction " + first + " and clv.observation-end " + obsEnd);
    }
    String version = ctx.runId().substring(ctx.job().length() + 1);
    m.put("model_version", version);
    m.put("first_transaction", first.toString());
    m.put("calibration_end", calEnd.toString());
    m.put("observation_end", obsEnd.toString());
    m.put("time_unit", settings.timeUnit().name().toLowerCase());
    LOG.info(
        "calibration {} to {}, holdout to {}, time unit {}",
        first,
        calEnd,
        obsEnd,
        settings.timeUnit());

    List<Row> models = new ArrayList<>();
    List<Row> validationRows;
    StructType validationSchema;
    ctx.phase("calibration fit");
    Dataset<Row> cal =
        ClvSummary.summarize(tx, calEnd, settings.timeUnit())
            .persist(StorageLevel.MEMORY_AND_DISK());
    try {
      Fitted bgCal = fitBoth(cal, "calibration", first, calEnd, version, m, models).bgnbd();

      ctx.phase("holdout validation");
      double holdout = ChronoUnit.DAYS.between(calEnd, obsEnd) / settings.timeUnit().days;
      Dataset<Row> validation =
          validation(
              cal,
              ClvSummary.purchasesBetween(tx, calEnd, obsEnd),
              BgNbd.of(bgCal.fit().params()),
              holdout,
              version,
              calEnd,
              obsEnd);
      // A handful of rows (one per frequency group): held until the run's writes at the end.
      validationRows = validation.collectAsList();
      validationSchema = validation.schema();
      Row all =
          validationRows.stream()
              .filter(v -> v.<String>getAs("frequency_group").equals("all"))
              .findFirst()
              .orElseThrow();
      m.put(
          "holdout_" + settings.timeUnit().name().toLowerCase() + "s",
          String.format("%.2f", holdout));
      m.put("holdout_customers", String.valueOf(all.<Long>getAs("customers")));
      m.put("holdout_actual", String.format("%.1f", all.<Double>getAs("actual_total")));
      m.put("holdout_predicted", String.format("%.1f", all.<Double>getAs("predicted_total")));
      m.put("holdout_mae", String.format("%.4f", all.<Double>getAs("mae")));
    } finally {
      cal.unpersist();
    }

    ctx.phase("full fit and scores");
    Dataset<Row> full =
        ClvSummary.summarize(tx, obsEnd, settings.timeUnit())
            .persist(StorageLevel.MEMORY_AND_DISK());
    try {
      Fits fits = fitBoth(full, "full", first, obsEnd, version, m, models);
      Fitted bg = fits.bgnbd();
      Fitted gg = fits.gammaGamma();
      long customers = full.count();
      Dataset<Row> scores =
          ClvModels.score(
                  full, BgNbd.of(bg.fit().params()), GammaGamma.of(gg.fit().params()), settings)
              .select(
                  col("customer_id"),
                  lit(java.sql.Date.valueOf(obsEnd)).as("observation_end"),
                  col("first_purchase_date"),
                  col("last_purchase_date"),
                  col("frequency"),
                  col("recency"),
                  col("t"),
                  col("monetary_value"),
                  col("p_alive"),
                  col("expected_purchases"),
                  col("expected_avg_order_value"),
                  col("clv"),
                  lit(settings.horizon()).as("horizon"),
                  lit(settings.timeUnit().name().toLowerCase()).as("time_unit"),
                  lit(version).as("model_version"));
      // Every fit has succeeded: now the writes, one Delta commit per table.
      ctx.phase("write scores, models and validation");
      lake.replacePartition(Tables.CLV, scores, "observation_end", obsEnd);
      lake.append(Tables.CLV_MODELS, lake.spark().createDataFrame(models, MODELS_SCHEMA));
      lake.append(
          Tables.CLV_VALIDATION, lake.spark().createDataFrame(validationRows, validationSchema));
      Row totals =
          lake.read(Tables.CLV)
              .where(col("observation_end").equalTo(lit(java.sql.Date.valueOf(obsEnd))))
              .agg(count(lit(1)), sum("clv"), sum("expected_purchases"), avg("p_alive"))
              .first();
      m.put("customers", String.valueOf(totals.getLong(0)));
      m.put("total_clv", String.format("%.2f", totals.getDouble(1)));
      m.put("total_expected_purchases", String.format("%.1f", totals.getDouble(2)));
      m.put("mean_p_alive", String.format("%.4f", totals.getDouble(3)));
      return new JobResult(customers, totals.getLong(0), 0, 0, m);
    } finally {
      full.unpersist();
    }
  }

  /**
   * Fits BG/NBD and Gamma-Gamma on a summary, adds their rows to {@code models} and their figures
   * to the metrics (prefixed with the fit's name, except for the full fit).
   */
  private Fits fitBoth(
      Dataset<Row> summary,
      String fit,
      LocalDate start,
      LocalDate end,
      String version,
      Map<String, String> m,
      List<Row> models) {
    Fitted bg = ClvModels.fitBgNbd(summary, settings);
    Fitted gg = fitSpend(summary, m, fit);
    models.add(modelRow(version, "bgnbd", fit, start, end, summary.count(), bg, BgNbd.NAMES));
    models.add(
        modelRow(
            version,
            "gamma_gamma",
            fit,
            start,
            end,
            ClvModels.spenders(summary).count(),
            gg,
            GammaGamma.NAMES));
    String prefix = fit.equals("full") ? "" : fit + "_";
    record(m, prefix + "bgnbd", bg, BgNbd.NAMES);
    record(m, prefix + "gamma_gamma", gg, GammaGamma.NAMES);
    return new Fits(bg, gg);
  }

  private record Fits(Fitted bgnbd, Fitted gammaGamma) {}

  /** Fits Gamma-Gamma, warning when spend and frequency are correlated (the model assumes not). */
  private Fitted fitSpend(Dataset<Row> summary, Map<String, String> m, String fit) {
    Dataset<Row> spenders = ClvModels.spenders(summary);
    double corr = spenders.stat().corr("frequency", "monetary_value");
    m.put(fit + "_spend_frequency_correlation", String.format("%.4f", corr));
    if (Math.abs(corr) > settings.maxSpendCorrelation()) {
      LOG.warn(
          "{} period: frequency and mean spend are correlated ({}; clv.max-spend-correlation {}):"
              + " Gamma-Gamma assumes they are independent, so expected spend may be biased",
          fit,
          String.format("%.3f", corr),
          settings.maxSpendCorrelation());
    }
    return ClvModels.fitGammaGamma(summary, settings);
  }

  /**
   * Predicted vs actual repeat purchases in the holdout, overall ("all") and by calibration
   * frequency (0 … 6, 7+): customers, totals, means and the mean absolute error per customer.
   */
  public static Dataset<Row> validation(
      Dataset<Row> calibration,
      Dataset<Row> actual,
      BgNbd bg,
      double holdout,
      String version,
      LocalDate calEnd,
      LocalDate obsEnd) {
    Dataset<Row> joined =
        ClvModels.predictHoldout(calibration, bg, holdout)
            .join(actual, "customer_id", "left")
            .select(
                col("frequency"), col("predicted"), coalesce(col("actual"), lit(0.0)).as("actual"));
    Dataset<Row> grouped =
        joined.withColumn(
            "frequency_group",
            when(col("frequency").geq(7), lit("7+"))
                .otherwise(col("frequency").cast("int").cast("string")));
    Dataset<Row> byGroup = aggregate(grouped.groupBy("frequency_group"));
    Dataset<Row> overall =
        aggregate(grouped.withColumn("frequency_group", lit("all")).groupBy("frequency_group"));
    return byGroup
        .unionByName(overall)
        .select(
            lit(version).as("model_version"),
            lit(java.sql.Date.valueOf(calEnd)).as("calibration_end"),
            lit(java.sql.Date.valueOf(obsEnd)).as("observation_end"),
            lit(holdout).as("holdout_length"),
            col("frequency_group"),
            col("customers"),
            col("actual_total"),
            col("predicted_total"),
            col("actual_mean"),
            col("predicted_mean"),
            col("mae"));
  }

  private static Dataset<Row> aggregate(org.apache.spark.sql.RelationalGroupedDataset groups) {
    return groups.agg(
        count(lit(1)).as("customers"),
        sum("actual").as("actual_total"),
        sum("predicted").as("predicted_total"),
        avg("actual").as("actual_mean"),
        avg("predicted").as("predicted_mean"),
        avg(abs(col("predicted").minus(col("actual")))).as("mae"));
  }

  static final StructType MODELS_SCHEMA =
      new StructType()
          .add("model_version", DataTypes.StringType)
          .add("model", DataTypes.StringType)
          .add("fit", DataTypes.StringType)
          .add("period_start", DataTypes.DateType)
          .add("period_end", DataTypes.DateType)
          .add("time_unit", DataTypes.StringType)
          .add("customers", DataTypes.LongType)
          .add("likelihood", DataTypes.StringType)
          .add("likelihood_rows", DataTypes.LongType)
          .add("params", DataTypes.createMapType(DataTypes.StringType, DataTypes.DoubleType))
          .add("std_errors", DataTypes.createMapType(DataTypes.StringType, DataTypes.DoubleType))
          .add("log_likelihood", DataTypes.DoubleType)
          .add("iterations", DataTypes.IntegerType)
          .add("evaluations", DataTypes.LongType)
          .add("l2_penalty", DataTypes.DoubleType)
          .add("fit_ms", DataTypes.LongType);

  private Row modelRow(
      String version,
      String model,
      String fit,
      LocalDate start,
      LocalDate end,
      long customers,
      Fitted f,
      String[] names) {
    Map<String, Double> params = new LinkedHashMap<>();
    Map<String, Double> errors = new LinkedHashMap<>();
    for (int i = 0; i < names.length; i++) {
      params.put(names[i], f.fit().params()[i]);
      errors.put(names[i], f.fit().standardErrors()[i]);
    }
    return RowFactory.create(
        version,
        model,
        fit,
        java.sql.Date.valueOf(start),
        java.sql.Date.valueOf(end),
        settings.timeUnit().name().toLowerCase(),
        customers,
        settings.likelihood().name().toLowerCase().replace('_', '-'),
        f.rows(),
        scala.jdk.javaapi.CollectionConverters.asScala(params),
        scala.jdk.javaapi.CollectionConverters.asScala(errors),
        f.fit().logLikelihood(),
        f.fit().iterations(),
        f.fit().evaluations(),
        settings.l2Penalty(),
        f.fit().fitMillis());
  }

  private static void record(Map<String, String> m, String prefix, Fitted f, String[] names) {
    Fit fit = f.fit();
    List<String> parts = new ArrayList<>();
    for (int i = 0; i < names.length; i++) {
      parts.add(
          String.format("%s=%.4f (se %.4f)", names[i], fit.params()[i], fit.standardErrors()[i]));
    }
    m.put(prefix + "_params", String.join(", ", parts));
    m.put(prefix + "_log_likelihood", String.format("%.2f", fit.logLikelihood()));
    m.put(prefix + "_iterations", String.valueOf(fit.iterations()));
    m.put(prefix + "_evaluations", String.valueOf(fit.evaluations()));
    m.put(prefix + "_rows", String.valueOf(f.rows()));
    m.put(prefix + "_fit_ms", String.valueOf(fit.fitMillis()));
    LOG.info(
        "{}: {}; log-likelihood {}; {} iterations, {} likelihood evaluations over {} rows, {} ms",
        prefix,
        String.join(", ", parts),
        fit.logLikelihood(),
        fit.iterations(),
        fit.evaluations(),
        f.rows(),
        fit.fitMillis());
  }
}
