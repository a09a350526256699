package io.crmlake.churn;

import static org.apache.spark.sql.functions.abs;
import static org.apache.spark.sql.functions.avg;
import static org.apache.spark.sql.functions.col;
import static org.apache.spark.sql.functions.count;
import static org.apache.spark.sql.functions.countDistinct;
import static org.apache.spark.sql.functions.lit;
import static org.apache.spark.sql.functions.max;
import static org.apache.spark.sql.functions.min;
import static org.apache.spark.sql.functions.pmod;
import static org.apache.spark.sql.functions.sum;
import static org.apache.spark.sql.functions.when;
import static org.apache.spark.sql.functions.xxhash64;

import io.crmlake.churn.ChurnEvaluation.Decile;
import io.crmlake.churn.ChurnEvaluation.Ranking;
import io.crmlake.churn.ChurnSettings.Candidate;
import io.crmlake.churn.ChurnSettings.RiskBand;
import io.crmlake.clv.BgNbd;
import io.crmlake.common.config.ConfigError;
import io.crmlake.common.lake.Lake;
import io.crmlake.common.lake.Table;
import io.crmlake.common.run.Job;
import io.crmlake.common.run.Outputs;
import io.crmlake.common.run.RunContext;
import io.crmlake.common.spark.Parallel;
import io.crmlake.features.CustomerDays;
import io.crmlake.ingest.IngestTables;
import java.sql.Timestamp;
import java.time.LocalDate;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import org.apache.spark.ml.PipelineModel;
import org.apache.spark.sql.Column;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Churn classification: {@code silver.transactions} → {@code gold.churn_model_metrics}, {@code
 * gold.churn_feature_importance}, {@code gold.churn_scores}, and a model under {@code
 * <lake>/models/churn/<version>}.
 *
 * <p>Run with {@code bin/crmlake churn} (train, then score), {@code churn train} or {@code churn
 * score}. Training labels customers (about {@code churn.training-customers} at most, a fixed
 * sample) at monthly cutoffs ({@link Cutoffs}) with point-in-time features ({@link ChurnFeatures}
 * from {@link CustomerDays}, a BG/NBD fit per cutoff on the data before it), checks that no feature
 * row used a line on or after its cutoff, compares logistic regression, random forest and
 * gradient-boosted trees (each grid chosen on the training cutoffs) with two baselines on the
 * latest cutoff, keeps the best PR AUC, calibrates it (isotonic, on half of the holdout; measured
 * on the other half) and saves it. Scoring gives every customer active as of a date a calibrated
 * probability, risk band, decile, reasons and lifecycle stage ({@link Lifecycle}). Settings that
 * matter: {@code churn.horizon-days}, {@code lookback-days}, {@code cutoffs}, {@code candidates},
 * {@code grid}, {@code training-customers}, {@code risk-bands}, {@code score.*}, {@code
 * lifecycle.*}.
 */
public final class ChurnJob implements Job<ChurnResult> {
  private static final Logger LOG = LoggerFactory.getLogger(ChurnJob.class);

  /** What a run does. */
  public enum Mode {
    TRAIN,
    SCORE,
    BOTH
  }

  private final ChurnSettings settings;
  private final Mode mode;

  public ChurnJob(ChurnSettings settings, Mode mode) {
    this.settings = settings;
    this.mode = mode;
  }

  @Override
  public String name() {
    return "churn";
  }

  @Override
  public List<Table> outputs() {
    return ChurnTables.ALL;
  }

  @Override
  public Optional<Table> mainInput() {
    return Optional.of(IngestTables.TRANSACTIONS);
  }

  /** A trained candidate or baseline and its holdout figures. */
  private record Evaluated(
      String candidate,
      boolean baseline,
      Map<String, String> params,
      Double gridPrAuc,
      Ranking ranking,
      double logLoss,
      double brier,
      List<Decile> deciles,
      List<Decile> calibration,
      Row[][] curves,
      PipelineModel model) {
    double calibrationError() {
      return ChurnEvaluation.expectedCalibrationError(calibration);
    }
  }

  @Override
  public Outputs<ChurnResult> compute(RunContext ctx) {
    Lake lake = ctx.lake();
    ctx.phase("training set");
    // Every cutoff's features, the BG/NBD fits, labels and lifecycle stages come from one compact
    // aggregate of silver per customer and day, computed once. Partitioned by customer, so the
    // per-customer aggregations and joins of every cutoff need no further shuffle.
    Dataset<Row> days =
        ctx.persist(
            CustomerDays.of(ChurnFeatures.lines(lake.read(IngestTables.TRANSACTIONS)))
                .repartition(col("customer_id")));
    Row span =
        days.agg(min("order_date"), max("order_date"), count(lit(1)), countDistinct("customer_id"))
            .first();
    if (span.isNullAt(0)) {
      throw new ConfigError("silver.transactions has no customer transactions: nothing to model");
    }
    LocalDate first = span.getDate(0).toLocalDate();
    LocalDate last = span.getDate(1).toLocalDate();
    long customers = span.getLong(3);
    LOG.info(
        "{} customers with lines on {} customer days, {} to {}",
        customers,
        span.getLong(2),
        first,
        last);

    Outputs.Builder<ChurnResult> out;
    ChurnRegistry.Saved model;
    Optional<ChurnResult.Training> training = Optional.empty();
    List<Row> metricRows = new ArrayList<>();
    List<Row> importanceRows = new ArrayList<>();
    if (mode != Mode.SCORE) {
      Trained t = train(ctx, lake, days, customers, first, last, metricRows, importanceRows);
      model = t.saved();
      training = Optional.of(t.summary());
    } else {
      model = ChurnRegistry.load(lake, settings.modelVersion());
      LOG.info(
          "scoring with saved model {} ({}, holdout PR AUC {})",
          model.card().modelVersion(),
          model.card().candidate(),
          model.card().metrics().get("pr_auc"));
    }

    Optional<ChurnResult.Scoring> scoring = Optional.empty();
    Dataset<Row> scores = null;
    LocalDate asOf = null;
    if (mode != Mode.TRAIN) {
      ctx.phase("scoring");
      asOf = settings.scoreAsOf().orElse(last.plusDays(1));
      scores = ctx.persist(score(days, asOf, model));
      Row totals = scores.agg(count(lit(1)), avg("churn_probability")).first();
      if (totals.getLong(0) == 0) {
        throw ConfigError.invalid(
            "churn.score.as-of",
            asOf,
            "has no customer with a purchase in the churn.lookback-days before it");
      }
      scoring = Optional.of(new ChurnResult.Scoring(asOf, totals.getLong(0), totals.getDouble(1)));
      LOG.info(
          "{} customers scored as of {}: mean churn probability {}",
          totals.getLong(0),
          asOf,
          String.format(Locale.ROOT, "%.4f", totals.getDouble(1)));
    }

    ChurnResult result =
        new ChurnResult(
            mode.name().toLowerCase(Locale.ROOT),
            model.card().modelVersion(),
            model.card().candidate(),
            training,
            scoring);
    out = Outputs.of(result);
    if (mode != Mode.SCORE) {
      ChurnRegistry.Saved saved = model;
      out.artifact(
              "churn model " + saved.card().modelVersion(),
              () -> ChurnRegistry.save(lake, saved.card(), saved.pipeline()))
          .write(
              ChurnTables.CHURN_MODEL_METRICS,
              lake.spark().createDataFrame(metricRows, ChurnTables.CHURN_MODEL_METRICS.schema()))
          .write(
              ChurnTables.CHURN_FEATURE_IMPORTANCE,
              lake.spark()
                  .createDataFrame(importanceRows, ChurnTables.CHURN_FEATURE_IMPORTANCE.schema()));
    }
    if (scores != null) {
      out.replace(ChurnTables.CHURN_SCORES, java.sql.Date.valueOf(asOf), scores);
    }
    return out.build();
  }

  private record Trained(ChurnRegistry.Saved saved, ChurnResult.Training summary) {}

  private Trained train(
      RunContext ctx,
      Lake lake,
      Dataset<Row> allDays,
      long customers,
      LocalDate first,
      LocalDate last,
      List<Row> metricRows,
      List<Row> importanceRows) {
    Population population = population(ctx, allDays, customers);
    Dataset<Row> days = population.days();
    List<LocalDate> cutoffs = Cutoffs.of(settings, first, last);
    LocalDate holdoutCutoff = cutoffs.get(cutoffs.size() - 1);
    LOG.info(
        "cutoffs {} (the last is the holdout), horizon {} days", cutoffs, settings.horizonDays());
    Dataset<Row> stacked = null;
    BgNbd bg = null;
    for (LocalDate c : cutoffs) {
      // Each cutoff sees the previous cutoff's data and the lines since: its fit starts there.
      bg = ChurnFeatures.fitBgNbd(days, c, settings.clv(), bg);
      LOG.info("cutoff {}: BG/NBD on the data before it: {}", c, bg);
      Dataset<Row> labelled =
          ChurnFeatures.label(
              ChurnFeatures.at(
                  days,
                  c,
                  settings.lookbackDays(),
                  bg,
                  settings.horizonUnits(),
                  settings.clv().timeUnit()),
              days,
              c,
              settings.horizonDays());
      stacked = stacked == null ? labelled : stacked.unionByName(labelled);
    }
    stacked = ctx.persist(stacked);
    // One row per cutoff: the leakage check and the class balance.
    List<String> perCutoff = new ArrayList<>();
    long trainRows = 0;
    double trainChurned = 0;
    double holdoutChurned = 0;
    long holdoutRows = 0;
    for (Row r :
        stacked
            .groupBy("cutoff")
            .agg(count(lit(1)), sum(ChurnModels.LABEL), max("last_line_date"))
            .orderBy("cutoff")
            .collectAsList()) {
      LocalDate c = r.getDate(0).toLocalDate();
      LocalDate latestLine = r.getDate(3).toLocalDate();
      if (!latestLine.isBefore(c)) {
        throw new IllegalStateException(
            "leakage: a feature row at cutoff " + c + " used a line dated " + latestLine);
      }
      long n = r.getLong(1);
      double churned = r.getDouble(2);
      if (churned == 0 || churned == n) {
        throw new ConfigError(
            "churn: at cutoff "
                + c
                + " all "
                + n
                + " customers are "
                + (churned == 0 ? "active" : "churned")
                + ": nothing to learn from; change churn.horizon-days or churn.cutoffs");
      }
      if (c.equals(holdoutCutoff)) {
        holdoutRows = n;
        holdoutChurned = churned;
      } else {
        trainRows += n;
        trainChurned += churned;
      }
      String line =
          String.format(
              Locale.ROOT,
              "%s: %d customers, %.1f %% churned, latest line %s",
              c,
              n,
              100 * churned / n,
              latestLine);
      perCutoff.add(line);
      LOG.info("cutoff {}", line);
    }

    // Iterative learners pass over the rows once per iteration, a Spark job each: a partition per
    // full 250,000 rows (at least one), not hundreds of small ones (the union has one set per
    // cutoff), so on small data one task per job (the grid runs two fits side by side). Their
    // partitions and order depend on the rows alone, not on the file layout of silver or the
    // cluster's cores: the forests' bootstrap samples and every learner's sums follow them, and a
    // re-run after a crash must train the same models (bit for bit up to two partitions, about
    // 500,000 rows; beyond, Spark adds the partitions' sums in the order their tasks finish).
    int partitions = (int) Math.max(1, (trainRows + holdoutRows) / 250_000);
    Dataset<Row> compact =
        ctx.materialize(
            stacked
                .repartition(partitions, col("cutoff"), col("customer_id"))
                .sortWithinPartitions("cutoff", "customer_id"));
    stacked.unpersist(false);
    stacked = compact;

    ctx.phase("model selection");
    java.sql.Date holdoutDate = java.sql.Date.valueOf(holdoutCutoff);
    Dataset<Row> trainSet =
        ctx.persist(
            ChurnModels.weighted(
                stacked.where(col("cutoff").lt(lit(holdoutDate))), settings.balanceClasses()));
    Dataset<Row> holdout = stacked.where(col("cutoff").equalTo(lit(holdoutDate)));
    Dataset<Row>[] grid = gridSplit(stacked, cutoffs);
    Dataset<Row> gridTrain = ctx.persist(ChurnModels.weighted(grid[0], settings.balanceClasses()));
    Dataset<Row> gridValid = ctx.persist(grid[1]);
    // Every grid point of every candidate, side by side (churn.parallelism); then the best of
    // each candidate refitted on all training cutoffs, side by side. The slowest learners start
    // first (boosted trees: a few Spark jobs per tree), so that the last fits to start are quick
    // ones and no thread ends up fitting alone while the others idle. Fits are independent: the
    // order changes no model.
    List<Candidate> slowestFirst =
        settings.candidates().stream()
            .sorted(java.util.Comparator.comparingInt(Candidate::ordinal).reversed())
            .toList();
    List<Map.Entry<Candidate, Map<String, Object>>> points = new ArrayList<>();
    for (Candidate c : slowestFirst) {
      for (Map<String, Object> p : ChurnModels.grid(c, settings.grid())) {
        points.add(Map.entry(c, p));
      }
    }
    List<Double> aps =
        Parallel.map(
            points,
            settings.parallelism(),
            point -> {
              PipelineModel m =
                  ChurnModels.fit(point.getKey(), point.getValue(), gridTrain, settings.seed());
              return ChurnEvaluation.ranking(
                      m.transform(gridValid).withColumn(ChurnModels.SCORE, ChurnModels.score()),
                      ChurnModels.SCORE,
                      ChurnModels.LABEL)
                  .prAuc();
            });
    Map<Candidate, Map<String, Object>> chosenParams = new LinkedHashMap<>();
    Map<Candidate, Double> gridScores = new LinkedHashMap<>();
    for (int i = 0; i < points.size(); i++) {
      Candidate c = points.get(i).getKey();
      double ap = aps.get(i);
      LOG.info(
          "grid {} {}: PR AUC {}",
          c.id,
          points.get(i).getValue(),
          String.format(Locale.ROOT, "%.4f", ap));
      if (ap > gridScores.getOrDefault(c, Double.NEGATIVE_INFINITY)) {
        gridScores.put(c, ap);
        chosenParams.put(c, points.get(i).getValue());
      }
    }
    List<PipelineModel> refits =
        Parallel.map(
            slowestFirst,
            settings.parallelism(),
            c -> ChurnModels.fit(c, chosenParams.get(c), trainSet, settings.seed()));
    Map<Candidate, PipelineModel> fitted = new LinkedHashMap<>();
    for (int i = 0; i < slowestFirst.size(); i++) {
      fitted.put(slowestFirst.get(i), refits.get(i));
    }

    ctx.phase("calibration and evaluation");
    Column half = abs(xxhash64(col("customer_id"), lit(settings.seed())).mod(2));
    Dataset<Row> calibrationHalf = ctx.persist(holdout.where(half.equalTo(0)));
    Dataset<Row> evaluationHalf = ctx.persist(holdout.where(half.equalTo(1)));
    long calibrationRows = calibrationHalf.count();
    long evaluationRows = evaluationHalf.count();
    List<Evaluated> evaluated = new ArrayList<>();
    for (Candidate c : settings.candidates()) {
      PipelineModel m = fitted.get(c);
      PipelineModel calibrated = ChurnModels.calibrate(m, calibrationHalf);
      evaluated.add(
          evaluate(
              c.id,
              false,
              stringParams(chosenParams.get(c)),
              gridScores.get(c),
              m.transform(holdout).withColumn(ChurnModels.SCORE, ChurnModels.score()),
              calibrated.transform(evaluationHalf),
              calibrated));
    }
    Map<String, Column> baselines = new LinkedHashMap<>();
    baselines.put("recency", col("recency_days"));
    baselines.put("p_alive", lit(1.0).minus(col("p_alive")));
    for (Map.Entry<String, Column> b : baselines.entrySet()) {
      PipelineModel calibrated =
          ChurnModels.calibrateScore(calibrationHalf.withColumn(ChurnModels.SCORE, b.getValue()));
      evaluated.add(
          evaluate(
              b.getKey(),
              true,
              Map.of(),
              null,
              holdout.withColumn(ChurnModels.SCORE, b.getValue()),
              calibrated.transform(evaluationHalf.withColumn(ChurnModels.SCORE, b.getValue())),
              null));
    }
    Evaluated chosen =
        evaluated.stream()
            .filter(e -> !e.baseline())
            .max(java.util.Comparator.comparingDouble(e -> e.ranking().prAuc()))
            .orElseThrow();
    List<String> summary = new ArrayList<>();
    for (Evaluated e : evaluated) {
      summary.add(
          String.format(
              Locale.ROOT,
              "%s: PR AUC %.4f, ROC AUC %.4f",
              e.candidate(),
              e.ranking().prAuc(),
              e.ranking().rocAuc()));
    }
    LOG.info("holdout {}; chose {}", summary, chosen.candidate());

    // Training medians (the reasons' reference point) and importances.
    double[][] q =
        trainSet
            .stat()
            .approxQuantile(ChurnFeatures.NAMES.toArray(new String[0]), new double[] {0.5}, 1e-3);
    double[] medians = new double[q.length];
    for (int i = 0; i < q.length; i++) {
      medians[i] = q[i][0];
    }
    String version = ctx.version();
    Timestamp trainedAt = new Timestamp(System.currentTimeMillis());
    double[] chosenImportance = null;
    for (Evaluated e : evaluated) {
      if (e.baseline()) {
        continue;
      }
      double[] imp = ChurnModels.importance(e.model(), trainSet);
      int[] order = ChurnModels.top(imp, imp.length);
      for (int rank = 0; rank < order.length; rank++) {
        importanceRows.add(
            RowFactory.create(
                version,
                e.candidate(),
                e == chosen,
                ChurnFeatures.NAMES.get(order[rank]),
                imp[order[rank]],
                rank + 1,
                ChurnModels.importanceMethod(e.model())));
      }
      if (e == chosen) {
        chosenImportance = imp;
      }
    }
    java.sql.Date[] trainCutoffs =
        cutoffs.subList(0, cutoffs.size() - 1).stream()
            .map(java.sql.Date::valueOf)
            .toArray(java.sql.Date[]::new);
    // From the per-cutoff counts above: no further pass over the rows.
    double trainRate = trainChurned / trainRows;
    double holdoutRate = holdoutChurned / holdoutRows;
    for (Evaluated e : evaluated) {
      metricRows.add(
          RowFactory.create(
              version,
              e.candidate(),
              e.baseline() ? "baseline" : "model",
              e == chosen,
              scala.jdk.javaapi.CollectionConverters.asScala(e.params()),
              e.gridPrAuc(),
              e.ranking().rocAuc(),
              e.ranking().prAuc(),
              e.logLoss(),
              e.brier(),
              e.calibrationError(),
              decileRows(e.deciles(), holdoutRate),
              calibrationRows(e.calibration()),
              e.curves()[0],
              e.curves()[1],
              trainRows,
              trainRate,
              holdoutRows,
              holdoutRate,
              calibrationRows,
              evaluationRows,
              trainCutoffs,
              holdoutDate,
              settings.horizonDays(),
              settings.lookbackDays(),
              trainedAt));
    }
    Map<String, Double> figures = new LinkedHashMap<>();
    figures.put("roc_auc", chosen.ranking().rocAuc());
    figures.put("pr_auc", chosen.ranking().prAuc());
    figures.put("log_loss", chosen.logLoss());
    figures.put("brier", chosen.brier());
    figures.put("calibration_error", chosen.calibrationError());
    ChurnRegistry.Card card =
        new ChurnRegistry.Card(
            version,
            chosen.candidate(),
            chosen.params(),
            ChurnFeatures.NAMES,
            ChurnFeatures.VERSION,
            medians,
            ChurnModels.top(chosenImportance, settings.reasonCandidates()),
            figures,
            cutoffs.subList(0, cutoffs.size() - 1).stream().map(LocalDate::toString).toList(),
            holdoutCutoff.toString(),
            settings.horizonDays(),
            settings.lookbackDays(),
            settings.clv().timeUnit().name().toLowerCase(Locale.ROOT),
            settings.effective());
    ChurnResult.Training t =
        new ChurnResult.Training(
            String.join("; ", perCutoff),
            population.customers(),
            population.training(),
            holdoutCutoff,
            trainRows,
            holdoutRows,
            String.join("; ", summary),
            chosen.ranking().prAuc(),
            chosen.ranking().rocAuc(),
            chosen.brier(),
            chosen.calibrationError());
    return new Trained(new ChurnRegistry.Saved(card, chosen.model()), t);
  }

  /** The customers training uses and their days. */
  private record Population(long customers, long training, Dataset<Row> days) {}

  /**
   * Every customer, or with more than {@code churn.training-customers} a fixed sample of about that
   * many: those whose hash of id (and seed) falls in the first share of the hash range. The same
   * customers at every cutoff and in every run over the same customers.
   */
  private Population population(RunContext ctx, Dataset<Row> days, long customers) {
    long limit = settings.trainingCustomers();
    if (limit == 0 || customers <= limit) {
      LOG.info("training on all {} customers", customers);
      return new Population(customers, customers, days);
    }
    Dataset<Row> sample = ctx.persist(trainingSample(days, customers, limit, settings.seed()));
    long training = sample.agg(countDistinct("customer_id")).first().getLong(0);
    LOG.info(
        "training on {} of {} customers (churn.training-customers = {}: a fixed sample by id hash)",
        training,
        customers,
        limit);
    return new Population(customers, training, sample);
  }

  /**
   * The rows of the customers whose hash of id and seed falls in the first {@code limit /
   * customers} of the hash range: about {@code limit} of {@code customers}, with all their rows.
   */
  static Dataset<Row> trainingSample(Dataset<Row> rows, long customers, long limit, long seed) {
    long buckets = 1_000_000L;
    long kept = Math.max(1, Math.round((double) limit / customers * buckets));
    Column hash = xxhash64(lit("churn.training-customers"), col("customer_id"), lit(seed));
    return rows.where(pmod(hash, lit(buckets)).lt(kept));
  }

  /**
   * The grid search's split, training cutoffs only: the earlier training cutoffs fit and the latest
   * validates; with a single training cutoff, a fifth of its customers (by id hash) validates.
   */
  @SuppressWarnings("unchecked")
  private Dataset<Row>[] gridSplit(Dataset<Row> stacked, List<LocalDate> cutoffs) {
    if (cutoffs.size() >= 3) {
      java.sql.Date valid = java.sql.Date.valueOf(cutoffs.get(cutoffs.size() - 2));
      return new Dataset[] {
        stacked.where(col("cutoff").lt(lit(valid))),
        stacked.where(col("cutoff").equalTo(lit(valid)))
      };
    }
    Dataset<Row> only =
        stacked.where(col("cutoff").equalTo(lit(java.sql.Date.valueOf(cutoffs.get(0)))));
    Column fifth = abs(xxhash64(col("customer_id"), lit(settings.seed() + 1)).mod(5)).equalTo(0);
    return new Dataset[] {only.where(fifth.unary_$bang()), only.where(fifth)};
  }

  /**
   * One candidate's holdout figures: ranking and lift on the whole holdout; log loss, Brier and the
   * reliability table of the calibrated probability on the evaluation half.
   */
  private static Evaluated evaluate(
      String candidate,
      boolean baseline,
      Map<String, String> params,
      Double gridPrAuc,
      Dataset<Row> holdoutScored,
      Dataset<Row> evaluationCalibrated,
      PipelineModel calibrated) {
    Dataset<Row> scored = holdoutScored.select(ChurnModels.SCORE, ChurnModels.LABEL).cache();
    Dataset<Row> probs =
        evaluationCalibrated.select(ChurnModels.PROBABILITY, ChurnModels.LABEL).cache();
    try {
      Ranking ranking = ChurnEvaluation.ranking(scored, ChurnModels.SCORE, ChurnModels.LABEL);
      List<Decile> deciles = ChurnEvaluation.deciles(scored, ChurnModels.SCORE, ChurnModels.LABEL);
      Row losses =
          probs
              .agg(
                  ChurnEvaluation.logLoss(col(ChurnModels.PROBABILITY), col(ChurnModels.LABEL)),
                  ChurnEvaluation.brier(col(ChurnModels.PROBABILITY), col(ChurnModels.LABEL)))
              .first();
      List<Decile> calibration =
          ChurnEvaluation.deciles(probs, ChurnModels.PROBABILITY, ChurnModels.LABEL);
      return new Evaluated(
          candidate,
          baseline,
          params,
          gridPrAuc,
          ranking,
          losses.getDouble(0),
          losses.getDouble(1),
          deciles,
          calibration,
          ChurnEvaluation.curves(scored, ChurnModels.SCORE, ChurnModels.LABEL),
          calibrated);
    } finally {
      scored.unpersist(false);
      probs.unpersist(false);
    }
  }

  private static Map<String, String> stringParams(Map<String, Object> p) {
    Map<String, String> out = new LinkedHashMap<>();
    p.forEach((k, v) -> out.put(k, String.valueOf(v)));
    return out;
  }

  private static Row[] decileRows(List<Decile> deciles, double overall) {
    long churners = deciles.stream().mapToLong(Decile::churners).sum();
    List<Row> rows = new ArrayList<>();
    long captured = 0;
    for (Decile d : deciles) {
      captured += d.churners();
      rows.add(
          RowFactory.create(
              d.decile(),
              d.customers(),
              d.churners(),
              d.churnRate(),
              d.churnRate() / overall,
              churners == 0 ? 0.0 : (double) captured / churners));
    }
    return rows.toArray(new Row[0]);
  }

  private static Row[] calibrationRows(List<Decile> deciles) {
    return deciles.stream()
        .map(d -> RowFactory.create(d.decile(), d.customers(), d.meanPredicted(), d.churnRate()))
        .toArray(Row[]::new);
  }

  /**
   * Scores the customers active as of {@code asOf}: calibrated probability, risk band, decile,
   * reasons and lifecycle stage, with the model's version.
   */
  Dataset<Row> score(Dataset<Row> days, LocalDate asOf, ChurnRegistry.Saved model) {
    // From the configured starts, never from a training run's fit: a score-only run of the same
    // date must give the same scores as a train-and-score run.
    BgNbd bg = ChurnFeatures.fitBgNbd(days, asOf, settings.clv());
    LOG.info("scoring as of {}: BG/NBD on the data before it: {}", asOf, bg);
    Dataset<Row> features =
        ChurnFeatures.at(
            days,
            asOf,
            settings.lookbackDays(),
            bg,
            settings.horizonUnits(),
            settings.clv().timeUnit());
    ChurnRegistry.Card card = model.card();
    Dataset<Row> scored =
        model
            .pipeline()
            .transform(features)
            .withColumn(ChurnModels.SCORE, ChurnModels.score())
            .withColumn(
                "top_reasons",
                ChurnModels.reasons(
                        model.pipeline(), card.medians(), card.reasonFeatures(), settings.reasons())
                    .apply(col(ChurnModels.VECTOR)));
    Column band = null;
    for (RiskBand b : settings.riskBands()) {
      Column cond = col(ChurnModels.PROBABILITY).geq(b.minProbability());
      band = band == null ? when(cond, b.name()) : band.when(cond, b.name());
    }
    Dataset<Row> withStages =
        scored.join(Lifecycle.stages(days, asOf, settings.lifecycle()), "customer_id");
    return withStages
        .withColumn("risk_decile", ChurnEvaluation.decile(withStages, ChurnModels.PROBABILITY))
        .select(
            col("customer_id"),
            lit(java.sql.Date.valueOf(asOf)).as("as_of_date"),
            col(ChurnModels.PROBABILITY),
            col(ChurnModels.SCORE),
            band.as("risk_band"),
            col("risk_decile").cast("int").as("risk_decile"),
            col("top_reasons"),
            col("lifecycle_stage"),
            col("left_stage"),
            col("churn_type"),
            col("recency_days").cast("int").as("recency_days"),
            col("purchase_days").cast("long").as("purchase_days"),
            col("tenure_days").cast("int").as("tenure_days"),
            col("p_alive"),
            col("expected_purchases"),
            lit(card.candidate()).as("model"),
            lit(card.modelVersion()).as("model_version"));
  }
}
