package io.crmlake.clv;

import static org.apache.spark.sql.functions.avg;
import static org.apache.spark.sql.functions.col;
import static org.apache.spark.sql.functions.count;
import static org.apache.spark.sql.functions.lit;
import static org.apache.spark.sql.functions.max;
import static org.apache.spark.sql.functions.min;
import static org.apache.spark.sql.functions.sum;

import io.crmlake.clv.ClvModels.Fitted;
import io.crmlake.clv.MaximumLikelihood.Fit;
import io.crmlake.common.config.ConfigError;
import io.crmlake.common.lake.Table;
import io.crmlake.common.run.Job;
import io.crmlake.common.run.ModelRefresh;
import io.crmlake.common.run.Outputs;
import io.crmlake.common.run.RunContext;
import io.crmlake.ingest.IngestTables;
import java.time.LocalDate;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Customer lifetime value: {@code silver.customer_days} → {@code gold.clv}, {@code
 * gold.clv_models}, {@code gold.clv_validation}.
 *
 * <p>Run with {@code bin/crmlake clv [--set clv.calibration-end=1997-09-30]}. Two fits of BG/NBD
 * ({@link BgNbd}) and Gamma-Gamma ({@link GammaGamma}) by maximum likelihood on Spark ({@link
 * MaximumLikelihood}): on the calibration period (up to {@code clv.calibration-end}), checked
 * against the holdout after it; and on all data up to {@code clv.observation-end}, which scores
 * every customer: P(alive), expected purchases and average order value over {@code clv.horizon},
 * and the discounted CLV. Settings that matter: {@code clv.time-unit}, {@code horizon}, {@code
 * discount-rate}, {@code margin}, {@code likelihood}, {@code l2-penalty}.
 *
 * <p>Phases: observation periods → calibration fit → holdout validation → full fit and scores (the
 * full fit starts from the calibration fit's parameters). In the {@link Mode#AUTO} mode ({@code
 * bin/crmlake clv}, the pipeline) the refresh policy ({@code clv.retrain-after-days}) may reuse the
 * newest committed full fit instead: observation periods → scores with saved parameters, which
 * writes gold.clv only.
 */
public final class ClvJob implements Job<ClvResult> {
  private static final Logger LOG = LoggerFactory.getLogger(ClvJob.class);

  /** FIT fits every run; AUTO fits when the refresh policy says so, else scores only. */
  public enum Mode {
    FIT,
    AUTO
  }

  private final ClvSettings settings;

  private final Mode mode;

  public ClvJob(ClvSettings settings) {
    this(settings, Mode.FIT);
  }

  public ClvJob(ClvSettings settings, Mode mode) {
    this.settings = settings;
    this.mode = mode;
  }

  @Override
  public String name() {
    return "clv";
  }

  @Override
  public List<Table> outputs() {
    return ClvTables.ALL;
  }

  @Override
  public Optional<Table> mainInput() {
    return Optional.of(IngestTables.TRANSACTIONS);
  }

  @Override
  public Outputs<ClvResult> compute(RunContext ctx) {
    ctx.phase("observation periods");
    Dataset<Row> days = ctx.lake().read(IngestTables.CUSTOMER_DAYS);
    Periods periods = observationPeriods(days, ctx.version());
    Optional<SavedFit.Choice> choice =
        mode == Mode.AUTO
            ? Optional.of(SavedFit.decide(ctx, settings, periods.observationEnd()))
            : Optional.empty();
    Optional<ModelRefresh.Decision> refresh = choice.map(SavedFit.Choice::decision);
    Optional<SavedFit> savedFit = choice.flatMap(SavedFit.Choice::reused);
    if (savedFit.isPresent()) {
      ctx.phase("scores with saved parameters");
      SavedFit saved = savedFit.get();
      Periods reused = periods.withVersion(saved.version());
      Dataset<Row> summary =
          ctx.persist(ClvSummary.fromDays(days, periods.observationEnd(), periods.timeUnit()));
      Scores scores = scores(ctx, summary, saved.bgnbd(), saved.gammaGamma(), reused);
      return Outputs.of(result(reused, Optional.empty(), Optional.empty(), scores, refresh))
          .replace(ClvTables.CLV, java.sql.Date.valueOf(periods.observationEnd()), scores.rows())
          .build();
    }
    ctx.phase("calibration fit");
    Fits calibration = calibrationFit(ctx, days, periods);
    ctx.phase("holdout validation");
    Validation validation = holdoutValidation(ctx, days, periods, calibration);
    ctx.phase("full fit and scores");
    Fits full = fullFit(ctx, days, periods, calibration);
    Scores scores =
        scores(
            ctx,
            full.summary(),
            full.bgnbd().fit().params(),
            full.gammaGamma().fit().params(),
            periods);
    List<Row> models = new ArrayList<>(calibration.models());
    models.addAll(full.models());
    return Outputs.of(
            result(
                periods,
                Optional.of(new BothFits(calibration, full)),
                Optional.of(validation.check()),
                scores,
                refresh))
        .replace(ClvTables.CLV, java.sql.Date.valueOf(periods.observationEnd()), scores.rows())
        .write(
            ClvTables.CLV_MODELS,
            ctx.spark().createDataFrame(models, ClvTables.CLV_MODELS.schema()))
        .write(ClvTables.CLV_VALIDATION, validation.byGroup())
        .write(ClvTables.CLV_TRACKING, validation.tracking())
        .build();
  }

  /**
   * The calibration period runs from the first customer transaction to {@code calibrationEnd}
   * (inclusive), the holdout from the day after to {@code observationEnd}; the full fit covers
   * both.
   *
   * @param version the run's model version
   */
  record Periods(
      LocalDate first,
      LocalDate calibrationEnd,
      LocalDate observationEnd,
      ClvSettings.TimeUnit timeUnit,
      String version) {
    Periods withVersion(String v) {
      return new Periods(first, calibrationEnd, observationEnd, timeUnit, v);
    }

    /** The holdout's length in time units. */
    double holdoutLength() {
      return ChronoUnit.DAYS.between(calibrationEnd, observationEnd) / timeUnit.days;
    }
  }

  /**
   * BG/NBD and Gamma-Gamma fitted on one period's summary (cached), their gold.clv_models rows and
   * the figures of the result.
   */
  record Fits(
      Dataset<Row> summary,
      Fitted bgnbd,
      Fitted gammaGamma,
      List<Row> models,
      ClvResult.Fits figures) {}

  /** The calibration fit's check on the holdout: gold.clv_validation and gold.clv_tracking rows. */
  record Validation(Dataset<Row> byGroup, ClvResult.Holdout check, Dataset<Row> tracking) {}

  /** The full fit's scores (gold.clv rows, cached) and their totals. */
  record Scores(
      Dataset<Row> rows,
      long customers,
      double totalClv,
      double totalExpectedPurchases,
      double meanPAlive) {}

  /**
   * The periods from the data's first and last customer transaction and the settings ({@code
   * clv.observation-end}, {@code clv.calibration-end}: two thirds of the span by default).
   */
  private Periods observationPeriods(Dataset<Row> days, String version) {
    Row span = days.agg(min("order_date"), max("order_date")).first();
    if (span.isNullAt(0)) {
      throw new ConfigError(
          "silver.customer_days is empty (no customer transactions): nothing to model");
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
    LOG.info(
        "calibration {} to {}, holdout to {}, time unit {}",
        first,
        calEnd,
        obsEnd,
        settings.timeUnit());
    return new Periods(first, calEnd, obsEnd, settings.timeUnit(), version);
  }

  /** Both models on the calibration period, from the configured starts. */
  private Fits calibrationFit(RunContext ctx, Dataset<Row> days, Periods p) {
    Dataset<Row> cal = ctx.persist(ClvSummary.fromDays(days, p.calibrationEnd(), p.timeUnit()));
    return fitBoth(cal, "calibration", p.first(), p.calibrationEnd(), p.version(), null);
  }

  /**
   * The calibration BG/NBD's predictions against the holdout's actual repeat purchases, by
   * frequency group and cumulatively over time.
   */
  private Validation holdoutValidation(
      RunContext ctx, Dataset<Row> days, Periods p, Fits calibration) {
    double holdout = p.holdoutLength();
    Dataset<Row> byGroup =
        ctx.persist(
            HoldoutCheck.validation(
                calibration.summary(),
                ClvSummary.purchasesBetween(days, p.calibrationEnd(), p.observationEnd()),
                BgNbd.of(calibration.bgnbd().fit().params()),
                holdout,
                p.version(),
                p.calibrationEnd(),
                p.observationEnd()));
    // One row per frequency group: a handful.
    Row all = byGroup.where(col("frequency_group").equalTo("all")).first();
    ClvResult.Holdout check =
        new ClvResult.Holdout(
            holdout,
            all.<Long>getAs("customers"),
            all.<Double>getAs("actual_total"),
            all.<Double>getAs("predicted_total"),
            all.<Double>getAs("mae"));
    LOG.info(
        String.format(
            Locale.ROOT,
            "holdout of %.1f %ss: %d calibration customers made %.0f repeat purchases,"
                + " predicted %.1f; mean absolute error per customer %.3f",
            check.length(),
            unitName(),
            check.customers(),
            check.actual(),
            check.predicted(),
            check.mae()));
    Dataset<Row> tracking =
        HoldoutCheck.tracking(
            ctx.spark(),
            calibration.summary(),
            days,
            BgNbd.of(calibration.bgnbd().fit().params()),
            p.timeUnit().days,
            p.version(),
            p.calibrationEnd(),
            p.observationEnd());
    return new Validation(byGroup, check, tracking);
  }

  /**
   * Both models on all data up to the observation end, from the calibration fit's parameters: the
   * same customers with a third more history.
   */
  private Fits fullFit(RunContext ctx, Dataset<Row> days, Periods p, Fits calibration) {
    Dataset<Row> full = ctx.persist(ClvSummary.fromDays(days, p.observationEnd(), p.timeUnit()));
    return fitBoth(full, "full", p.first(), p.observationEnd(), p.version(), calibration);
  }

  /**
   * Every customer of {@code summary} scored with the parameters of a full fit (gold.clv), cached,
   * with the totals of the result; {@code p}'s version names the fit.
   */
  private Scores scores(
      RunContext ctx, Dataset<Row> summary, double[] bgnbd, double[] gammaGamma, Periods p) {
    Dataset<Row> scores =
        ctx.persist(
            ClvModels.score(summary, BgNbd.of(bgnbd), GammaGamma.of(gammaGamma), settings)
                .select(
                    col("customer_id"),
                    lit(java.sql.Date.valueOf(p.observationEnd())).as("observation_end"),
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
                    lit(unitName()).as("time_unit"),
                    lit(p.version()).as("model_version")));
    Row totals =
        scores.agg(count(lit(1)), sum("clv"), sum("expected_purchases"), avg("p_alive")).first();
    Scores out =
        new Scores(
            scores,
            totals.getLong(0),
            totals.getDouble(1),
            totals.getDouble(2),
            totals.getDouble(3));
    LOG.info(
        String.format(
            Locale.ROOT,
            "%d customers scored: total CLV %.2f, expected purchases %.1f",
            out.customers(),
            out.totalClv(),
            out.totalExpectedPurchases()));
    return out;
  }

  /** The calibration and full fits of a run that fitted. */
  private record BothFits(Fits calibration, Fits full) {}

  private ClvResult result(
      Periods p,
      Optional<BothFits> fits,
      Optional<ClvResult.Holdout> check,
      Scores scores,
      Optional<ModelRefresh.Decision> refresh) {
    return new ClvResult(
        p.version(),
        p.first(),
        p.calibrationEnd(),
        p.observationEnd(),
        unitName(),
        scores.customers(),
        fits.map(f -> f.calibration().figures()),
        fits.map(f -> f.full().figures()),
        check,
        settings.horizon(),
        settings.discountRate(),
        settings.margin(),
        scores.totalClv(),
        scores.totalExpectedPurchases(),
        scores.meanPAlive(),
        refresh);
  }

  /**
   * Fits BG/NBD and Gamma-Gamma on a summary, with their gold.clv_models rows: from the configured
   * starts, or from the parameters of {@code near} alone when given (falling back to the configured
   * starts if they do not converge). Logs both fits in one line.
   */
  private Fits fitBoth(
      Dataset<Row> summary, String fit, LocalDate start, LocalDate end, String version, Fits near) {
    Fitted bg =
        ClvModels.fitBgNbd(summary, settings, near == null ? null : near.bgnbd().fit().params());
    double corr = spendCorrelation(summary, fit);
    Fitted gg =
        ClvModels.fitGammaGamma(
            summary, settings, near == null ? null : near.gammaGamma().fit().params());
    List<Row> models =
        List.of(
            modelRow(version, "bgnbd", fit, start, end, summary.count(), bg, BgNbd.NAMES),
            modelRow(
                version,
                "gamma_gamma",
                fit,
                start,
                end,
                ClvModels.spenders(summary).count(),
                gg,
                GammaGamma.NAMES));
    ClvResult.Fits figures =
        new ClvResult.Fits(summary(bg, BgNbd.NAMES), summary(gg, GammaGamma.NAMES), corr);
    LOG.info(
        "{} fit: BG/NBD {} (LL {}); Gamma-Gamma {} (LL {})",
        fit,
        figures.bgnbd().params(),
        figures.bgnbd().logLikelihood(),
        figures.gammaGamma().params(),
        figures.gammaGamma().logLikelihood());
    return new Fits(summary, bg, gg, models, figures);
  }

  /**
   * Correlation of frequency and mean spend, warned about when large (Gamma-Gamma assumes they are
   * independent).
   */
  private double spendCorrelation(Dataset<Row> summary, String fit) {
    double corr = ClvModels.spenders(summary).stat().corr("frequency", "monetary_value");
    if (Math.abs(corr) > settings.maxSpendCorrelation()) {
      LOG.warn(
          "{} period: frequency and mean spend are correlated ({}; clv.max-spend-correlation {}):"
              + " Gamma-Gamma assumes they are independent, so expected spend may be biased",
          fit,
          String.format(Locale.ROOT, "%.3f", corr),
          settings.maxSpendCorrelation());
    }
    return corr;
  }

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
        unitName(),
        customers,
        settings.likelihood().name().toLowerCase(Locale.ROOT).replace('_', '-'),
        f.rows(),
        scala.jdk.javaapi.CollectionConverters.asScala(params),
        scala.jdk.javaapi.CollectionConverters.asScala(errors),
        f.fit().logLikelihood(),
        f.fit().iterations(),
        f.fit().evaluations(),
        settings.l2Penalty(),
        f.fit().fitMillis());
  }

  /** A fit's parameters and figures, logged and returned in the result. */
  private static ClvResult.Fit summary(Fitted f, String[] names) {
    Fit fit = f.fit();
    List<String> parts = new ArrayList<>();
    for (int i = 0; i < names.length; i++) {
      parts.add(
          String.format(
              Locale.ROOT,
              "%s=%.4f (se %.4f)",
              names[i],
              fit.params()[i],
              fit.standardErrors()[i]));
    }
    ClvResult.Fit s =
        new ClvResult.Fit(
            String.join(", ", parts),
            fit.logLikelihood(),
            fit.iterations(),
            fit.evaluations(),
            f.rows(),
            fit.fitMillis());
    LOG.debug("{}", s);
    return s;
  }

  /** day, week or month. */
  private String unitName() {
    return settings.timeUnit().name().toLowerCase(Locale.ROOT);
  }
}
