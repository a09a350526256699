package io.crmlake.churn;

import static org.apache.spark.sql.functions.col;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.crmlake.clv.BgNbd;
import io.crmlake.clv.ClvModels;
import io.crmlake.clv.ClvSettings;
import io.crmlake.clv.ClvSummary;
import io.crmlake.clv.MaximumLikelihood;
import io.crmlake.common.config.ConfigError;
import io.crmlake.common.config.CrmlakeConfig;
import io.crmlake.common.lake.Lake;
import io.crmlake.common.run.JobRunLog;
import io.crmlake.common.run.ModelRefresh;
import io.crmlake.common.testing.DatasetAssert;
import io.crmlake.common.testing.SparkTestBase;
import io.crmlake.features.CustomerDays;
import io.crmlake.ingest.IngestTables;
import io.crmlake.testing.FitAssert;
import io.crmlake.testing.Jobs;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.LocalDate;
import java.util.List;
import java.util.function.Supplier;
import java.util.stream.Stream;
import org.apache.spark.sql.Column;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.functions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.io.TempDir;

/**
 * Churn on a generated lake, where churn is planted by the generator's dropout process (a customer
 * drops out after a purchase with a probability of their own): training, the holdout's quality
 * against the baselines and the calibration, the labels against a brute-force count, the leakage
 * guard, scoring with a saved model, and the refusal of a model trained on other features.
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class ChurnJobTest extends SparkTestBase {
  @TempDir static Path dir;
  static CrmlakeConfig config;
  static Lake lake;
  static ChurnResult trained;

  static String[] settings(String... more) {
    return Stream.concat(
            Stream.of(
                "generate.customers=4000",
                "generate.start=2023-01-01",
                "generate.end=2024-12-31",
                "generate.customers-per-partition=1000",
                "churn.horizon-days=180",
                "churn.max-cutoffs=3",
                "churn.grid.logistic.reg-param=[0.01]",
                "churn.grid.random-forest.num-trees=[40]",
                "churn.grid.random-forest.max-depth=[6]",
                "churn.grid.gbt.max-iter=[20]",
                "churn.grid.gbt.max-depth=[4]",
                "clv.starts=1"),
            Stream.of(more))
        .toArray(String[]::new);
  }

  @BeforeAll
  static void lake() {
    config = config(dir, settings());
    lake = lake(config);
    Jobs.generate(lake, config);
    Jobs.ingest(lake, config);
    trained = Jobs.churn(lake, config);
  }

  @Test
  @Order(1)
  void theChosenModelBeatsBothBaselinesAndIsCalibrated() {
    Dataset<Row> metrics =
        lake.read(ChurnTables.CHURN_MODEL_METRICS)
            .where(col("model_version").equalTo(trained.modelVersion()));
    assertEquals(5, metrics.count(), "three candidates and two baselines");
    Row chosen = metrics.where(col("chosen")).first();
    assertEquals(trained.model(), chosen.getAs("candidate"));
    assertEquals("model", chosen.getAs("kind"));
    double roc = chosen.getAs("roc_auc");
    double pr = chosen.getAs("pr_auc");
    // Measured on this lake: 0.737 (gbt); 0.727 on the 5,000-customer demo lake with a 90-day
    // horizon, 0.740 with 365 days. The 0.75 is not reached (see the closing note).
    assertTrue(roc >= 0.70, "holdout ROC AUC " + roc);
    for (Row b : metrics.where(col("kind").equalTo("baseline")).collectAsList()) {
      assertTrue(
          pr > b.<Double>getAs("pr_auc"),
          "PR AUC " + pr + " vs " + b.getAs("candidate") + " " + b.getAs("pr_auc"));
    }
    double ece = chosen.getAs("calibration_error");
    assertTrue(ece <= 0.05, "expected calibration error " + ece);
    // The chosen model has the highest holdout PR AUC of the candidates.
    for (Row m : metrics.where(col("kind").equalTo("model")).collectAsList()) {
      assertTrue(pr >= m.<Double>getAs("pr_auc"), m.getAs("candidate").toString());
    }
    assertEquals(
        3 * ChurnFeatures.NAMES.size(),
        lake.read(ChurnTables.CHURN_FEATURE_IMPORTANCE)
            .where(col("model_version").equalTo(trained.modelVersion()))
            .count());
  }

  /** The holdout's size and churn rate, counted again from silver in plain SQL. */
  @Test
  @Order(2)
  void holdoutLabelsMatchABruteForceCount() {
    Row chosen =
        lake.read(ChurnTables.CHURN_MODEL_METRICS)
            .where(col("model_version").equalTo(trained.modelVersion()).and(col("chosen")))
            .first();
    LocalDate t = ((java.sql.Date) chosen.getAs("holdout_cutoff")).toLocalDate();
    lake.read(IngestTables.TRANSACTIONS).createOrReplaceTempView("tx");
    Row counted =
        spark
            .sql(
                "WITH sales AS (SELECT customer_id, order_date FROM tx WHERE customer_id IS NOT"
                    + " NULL AND NOT is_return), pop AS (SELECT DISTINCT customer_id FROM sales"
                    + " WHERE order_date < DATE'"
                    + t
                    + "' AND order_date >= DATE'"
                    + t.minusDays(365)
                    + "'), buyers AS (SELECT DISTINCT customer_id FROM sales WHERE order_date >="
                    + " DATE'"
                    + t
                    + "' AND order_date < DATE'"
                    + t.plusDays(180)
                    + "') SELECT count(*), count(b.customer_id) FROM pop p LEFT JOIN buyers b ON"
                    + " p.customer_id = b.customer_id")
            .first();
    assertEquals(counted.getLong(0), chosen.<Long>getAs("holdout_rows"));
    double churned = counted.getLong(0) - counted.getLong(1);
    assertEquals(churned / counted.getLong(0), chosen.<Double>getAs("holdout_churn_rate"), 1e-12);
    assertTrue(trained.training().get().cutoffs().contains("latest line"));
    long customers = spark.sql("SELECT count(DISTINCT customer_id) FROM tx").first().getLong(0);
    assertEquals(customers, trained.training().get().customers());
    assertEquals(
        customers, trained.training().get().trainingCustomers(), "no sample below the limit");
  }

  /**
   * Above {@code churn.training-customers}, training keeps about that many customers (here 1,000 of
   * the lake's, within four binomial standard deviations) with every one of their days, the same
   * customers on every call.
   */
  @Test
  @Order(3)
  void aTrainingSampleKeepsAboutTheLimitWithAllTheirDays() {
    Dataset<Row> days =
        CustomerDays.of(ChurnFeatures.lines(lake.read(IngestTables.TRANSACTIONS))).cache();
    long customers = days.select("customer_id").distinct().count();
    Dataset<Row> sample = ChurnTrainingSet.trainingSample(days, customers, 1000, 42).cache();
    Dataset<Row> kept = sample.select("customer_id").distinct();
    long n = kept.count();
    double p = 1000.0 / customers;
    assertEquals(1000, n, 4 * Math.sqrt(customers * p * (1 - p)), "customers kept of " + customers);
    DatasetAssert.assertSameRows(days.join(kept, "customer_id"), sample);
    DatasetAssert.assertSameRows(
        sample, ChurnTrainingSet.trainingSample(days, customers, 1000, 42));
    long otherSeed =
        ChurnTrainingSet.trainingSample(days, customers, 1000, 43)
            .join(sample, new String[] {"customer_id", "order_date"})
            .count();
    assertTrue(otherSeed < sample.count(), "another seed draws other customers");
    sample.unpersist();
    days.unpersist();
  }

  /**
   * Each cutoff's BG/NBD fit starts from the previous cutoff's parameters alone: on the data of
   * 2024-06-01, a fit started from the fit on the data a month earlier reaches the optimum of the
   * fit from three configured starts (the same log-likelihood; r and alpha, which this lake
   * identifies well, to 1e-3; P(alive) and expected purchases alike) in fewer iterations in all. A
   * start from which the fit cannot converge falls back to the configured starts.
   */
  @Test
  @Order(3)
  void aFitStartedAtTheNeighbouringCutoffReachesTheSameOptimumSooner() {
    Dataset<Row> lines = ChurnFeatures.lines(lake.read(IngestTables.TRANSACTIONS)).cache();
    ClvSettings clv = ClvSettings.from(config);
    ClvSettings threeStarts = ClvSettings.from(config(dir, settings("clv.starts=3")));
    LocalDate t = LocalDate.parse("2024-06-01");
    Dataset<Row> earlier =
        ClvSummary.summarize(lines, t.minusMonths(1).minusDays(1), clv.timeUnit());
    Dataset<Row> now = ClvSummary.summarize(lines, t.minusDays(1), clv.timeUnit()).cache();
    double[] near = ClvModels.fitBgNbd(earlier, clv).fit().params();
    MaximumLikelihood.Fit cold = ClvModels.fitBgNbd(now, threeStarts).fit();
    MaximumLikelihood.Fit warm = ClvModels.fitBgNbd(now, clv, near).fit();
    assertEquals(cold.logLikelihood(), warm.logLikelihood(), 1e-9 * Math.abs(cold.logLikelihood()));
    for (int i = 0; i < 2; i++) {
      assertEquals(cold.params()[i], warm.params()[i], 1e-3 * cold.params()[i], BgNbd.NAMES[i]);
    }
    assertTrue(
        warm.iterations() < cold.iterations(),
        "iterations from the neighbour "
            + warm.iterations()
            + ", from three starts "
            + cold.iterations());
    // What the fits say of customers: P(alive) and expected purchases for a range of histories.
    FitAssert.assertSamePredictions(BgNbd.of(cold.params()), BgNbd.of(warm.params()), 26);
    // The churn job's path (customer days) reaches the same fit, up to the order of the sums.
    double[] viaDays =
        ChurnFeatures.fitBgNbd(CustomerDays.of(lines), t, clv, BgNbd.of(near)).toArray();
    for (int i = 0; i < viaDays.length; i++) {
      assertEquals(warm.params()[i], viaDays[i], 1e-9 * warm.params()[i], BgNbd.NAMES[i]);
    }
    // A start that cannot converge falls back to the configured starts: the cold fit, exactly.
    double[] nowhere = {Double.NaN, Double.NaN, Double.NaN, Double.NaN};
    assertEquals(
        BgNbd.of(ClvModels.fitBgNbd(now, clv).fit().params()),
        BgNbd.of(ClvModels.fitBgNbd(now, clv, nowhere).fit().params()));
    now.unpersist();
    lines.unpersist();
  }

  /**
   * Changing, adding or deleting lines on or after the cutoff changes no feature row at the cutoff
   * (nor the BG/NBD fit on the data before it).
   */
  @Test
  @Order(3)
  void linesOnOrAfterTheCutoffChangeNoFeature() {
    LocalDate t = LocalDate.parse("2024-06-01");
    Dataset<Row> lines = ChurnFeatures.lines(lake.read(IngestTables.TRANSACTIONS)).cache();
    Column after = col("order_date").geq(functions.lit(java.sql.Date.valueOf(t)));
    Dataset<Row> changed =
        lines
            .where(after.and(functions.xxhash64(col("order_id")).mod(3).equalTo(0)))
            .withColumn("amount", col("amount").multiply(2).cast("decimal(18,2)"))
            .withColumn("category", functions.lit("changed"));
    Dataset<Row> kept =
        lines.where(after.and(functions.xxhash64(col("order_id")).mod(3).equalTo(1)));
    // Deleted: the last third. Added: every line before the cutoff again, on the cutoff day,
    // and a new customer.
    Dataset<Row> added =
        lines
            .where(functions.not(after))
            .withColumn("order_date", functions.lit(java.sql.Date.valueOf(t)))
            .withColumn("order_id", functions.concat(col("order_id"), functions.lit("-new")));
    Dataset<Row> mutated =
        lines
            .where(functions.not(after))
            .unionByName(changed)
            .unionByName(kept)
            .unionByName(added)
            .unionByName(
                added.withColumn(
                    "customer_id", functions.concat(col("customer_id"), functions.lit("-x"))));
    ClvSettings clv = ClvSettings.from(config);
    Dataset<Row> days = CustomerDays.of(lines).cache();
    Dataset<Row> mutatedDays = CustomerDays.of(mutated).cache();
    BgNbd original = ChurnFeatures.fitBgNbd(days, t, clv);
    BgNbd other = ChurnFeatures.fitBgNbd(mutatedDays, t, clv);
    double[] a = original.toArray();
    double[] b = other.toArray();
    for (int i = 0; i < a.length; i++) {
      assertEquals(a[i], b[i], 1e-6 * Math.abs(a[i]), BgNbd.NAMES[i]);
    }
    DatasetAssert.assertSameRows(
        ChurnFeatures.at(days, t, 365, original, 180 / 7.0, clv.timeUnit()),
        ChurnFeatures.at(mutatedDays, t, 365, original, 180 / 7.0, clv.timeUnit()));
    days.unpersist();
    mutatedDays.unpersist();
    lines.unpersist();
  }

  @Test
  @Order(4)
  void everyActiveCustomerIsScoredOnceWithBandDecileAndReasons() {
    java.sql.Date asOf = java.sql.Date.valueOf(trained.scoring().get().asOfDate());
    Dataset<Row> scores =
        lake.read(ChurnTables.CHURN_SCORES).where(col("as_of_date").equalTo(asOf));
    lake.read(IngestTables.TRANSACTIONS).createOrReplaceTempView("tx");
    long active =
        spark
            .sql(
                "SELECT count(DISTINCT customer_id) FROM tx WHERE customer_id IS NOT NULL AND NOT"
                    + " is_return AND order_date < DATE'"
                    + asOf
                    + "' AND order_date >= date_sub(DATE'"
                    + asOf
                    + "', 365)")
            .first()
            .getLong(0);
    assertEquals(active, scores.count());
    assertEquals(active, scores.select("customer_id").distinct().count());
    assertEquals(
        0,
        scores
            .where(
                "churn_probability < 0 OR churn_probability > 1"
                    + " OR (risk_band = 'high' AND churn_probability < 0.6)"
                    + " OR (risk_band = 'medium' AND (churn_probability < 0.3 OR churn_probability >= 0.6))"
                    + " OR (risk_band = 'low' AND churn_probability >= 0.3)"
                    + " OR risk_decile NOT BETWEEN 1 AND 10 OR size(top_reasons) > 3"
                    + " OR model_version <> '"
                    + trained.modelVersion()
                    + "'")
            .count());
    // Reasons are feature names; decile 1 holds the highest probabilities.
    List<String> reasons =
        scores
            .select(functions.explode(col("top_reasons")))
            .distinct()
            .as(org.apache.spark.sql.Encoders.STRING())
            .collectAsList();
    assertTrue(!reasons.isEmpty() && ChurnFeatures.NAMES.containsAll(reasons), reasons.toString());
    Row top = scores.where("risk_decile = 1").agg(functions.min("churn_probability")).first();
    Row rest = scores.where("risk_decile > 1").agg(functions.max("churn_probability")).first();
    assertTrue(top.getDouble(0) >= rest.getDouble(0));
    // A churned customer bought nothing in the last horizon; stages are the five names.
    assertEquals(0, scores.where("lifecycle_stage = 'churned' AND recency_days <= 180").count());
    assertEquals(
        0,
        scores
            .where(
                "lifecycle_stage NOT IN ('exploration', 'formation', 'stability', 'decline',"
                    + " 'churned')")
            .count());
  }

  @Test
  @Order(5)
  void scoreAloneUsesTheLatestModelAndReplacesItsDate() {
    CrmlakeConfig earlier = config(dir, settings("churn.score.as-of=2024-10-01"));
    ChurnResult first = Jobs.churn(lake, earlier, ChurnJob.Mode.SCORE);
    assertEquals(trained.modelVersion(), first.modelVersion());
    assertTrue(first.training().isEmpty());
    Dataset<Row> day =
        lake.read(ChurnTables.CHURN_SCORES)
            .where(col("as_of_date").equalTo(java.sql.Date.valueOf("2024-10-01")));
    long n = day.count();
    assertEquals(first.scoring().get().customers(), n);
    Jobs.churn(lake, earlier, ChurnJob.Mode.SCORE);
    assertEquals(n, day.count(), "a re-run replaces the date's rows");
    assertTrue(
        lake.read(ChurnTables.CHURN_SCORES)
                .where(
                    col("as_of_date")
                        .equalTo(java.sql.Date.valueOf(trained.scoring().get().asOfDate())))
                .count()
            > 0,
        "other dates stay");
  }

  @Test
  @Order(6)
  void refusesAModelTrainedOnOtherFeatures() throws Exception {
    Path models = dir.resolve("models/churn");
    Path saved = models.resolve(trained.modelVersion());
    Path tampered = models.resolve("tampered");
    try (Stream<Path> files = Files.walk(saved)) {
      for (Path p : files.toList()) {
        Path target = tampered.resolve(saved.relativize(p).toString());
        if (Files.isDirectory(p)) {
          Files.createDirectories(target);
        } else {
          Files.copy(p, target);
        }
      }
    }
    Path card = tampered.resolve("model.json");
    Files.writeString(card, Files.readString(card).replace("\"avg_basket_lines\",", ""));
    Files.deleteIfExists(tampered.resolve(".model.json.crc"));
    Supplier<ConfigError> scoreTampered =
        () ->
            assertThrows(
                ConfigError.class,
                () ->
                    Jobs.churn(
                        lake,
                        config(dir, settings("churn.score.model-version=tampered")),
                        ChurnJob.Mode.SCORE));
    ConfigError e = scoreTampered.get();
    assertTrue(
        e.getMessage().contains("churn model tampered was trained on the features"),
        e.getMessage());
    assertTrue(e.getMessage().contains("bin/crmlake churn train"), e.getMessage());
    // The same feature names under older definitions (or a card saved before versions) too.
    String original = Files.readString(saved.resolve("model.json"));
    assertTrue(original.contains("\"featureVersion\" : " + ChurnFeatures.VERSION), original);
    Files.writeString(
        card,
        original.replace(
            "\"featureVersion\" : " + ChurnFeatures.VERSION, "\"featureVersion\" : 1"));
    ConfigError older = scoreTampered.get();
    assertTrue(older.getMessage().contains("(definitions version 1)"), older.getMessage());
  }

  /**
   * A run over more customers than {@code churn.training-customers} trains on the sample (about
   * 1,000 of the lake's, with every cutoff's population drawn from them) and still scores everyone.
   * Last: it saves a newer model.
   */
  @Test
  @Order(7)
  void aRunAboveTheLimitTrainsOnTheSampleAndScoresEveryone() {
    ChurnResult full = trained;
    ChurnResult sampled = Jobs.churn(lake, config(dir, settings("churn.training-customers=1000")));
    ChurnResult.Training t = sampled.training().get();
    long customers = full.training().get().customers();
    assertEquals(customers, t.customers());
    double p = 1000.0 / customers;
    assertEquals(
        1000, t.trainingCustomers(), 4 * Math.sqrt(customers * p * (1 - p)), "training customers");
    double share = (double) t.trainingCustomers() / customers;
    long fullRows = full.training().get().trainRows() + full.training().get().holdoutRows();
    long rows = t.trainRows() + t.holdoutRows();
    assertEquals(share * fullRows, rows, 0.1 * share * fullRows, "rows follow the customers");
    assertEquals(full.scoring().get().customers(), sampled.scoring().get().customers());
  }

  /**
   * The refresh policy ({@code bin/crmlake churn}, the pipeline): with the newest committed model 0
   * days old and churn.retrain-after-days 30, a run only scores, with that model, and records why.
   */
  @Test
  @Order(8)
  void theAutoModeScoresWithTheCommittedModelUntilItIsDue() {
    String newest = ChurnRegistry.newestCommitted(lake).orElseThrow();
    ChurnResult auto = Jobs.churn(lake, config, ChurnJob.Mode.AUTO);
    assertTrue(auto.training().isEmpty(), "not due: no training");
    assertTrue(auto.scoring().isPresent());
    assertEquals(newest, auto.modelVersion());
    ModelRefresh.Decision d = auto.refresh().orElseThrow();
    assertFalse(d.train(), d.describe());
    long age = Jobs.ageToday(newest); // 0, or 1 past midnight (UTC)
    assertEquals(age, d.ageDays());
    assertEquals(age + " days old; retrained at 30 days (churn.retrain-after-days)", d.reason());
    Row run =
        lake.read(JobRunLog.JOB_RUNS)
            .where("job = 'churn' AND status = 'SUCCEEDED'")
            .orderBy(col("started_at").desc())
            .first();
    java.util.Map<String, String> metrics =
        scala.jdk.javaapi.CollectionConverters.asJava(
            run.<String, String>getMap(run.fieldIndex("metrics")));
    assertEquals("false", metrics.get("refresh_train"));
    assertEquals(newest, metrics.get("refresh_model"));
    assertEquals("score", metrics.get("mode"));
  }

  /**
   * The committed model's card says it was trained on definitions version 1 (as a model saved by an
   * older crmlake would): pinned, it is refused with a message naming the setting; under the
   * policy, although 0 days old, it is retrained and the reason says why.
   */
  @Test
  @Order(9)
  void aModelOnOtherFeatureDefinitionsIsRetrainedOrRefusedWhenPinned() throws Exception {
    String newest = ChurnRegistry.newestCommitted(lake).orElseThrow();
    java.nio.file.Path card =
        Path.of(
            new org.apache.hadoop.fs.Path(ChurnRegistry.dir(lake, newest) + "/model.json")
                .toUri()
                .getPath());
    String json = Files.readString(card);
    String older =
        json.replace("\"featureVersion\" : " + ChurnFeatures.VERSION, "\"featureVersion\" : 1");
    assertTrue(!older.equals(json), "the card names its definitions version: " + json);
    Files.writeString(card, older);
    // Hadoop's local file system keeps a checksum beside the file: the edited card has none.
    Files.deleteIfExists(card.resolveSibling(".model.json.crc"));

    CrmlakeConfig pinned = config(dir, settings("churn.score.model-version=" + newest));
    ConfigError refused =
        assertThrows(ConfigError.class, () -> Jobs.churn(lake, pinned, ChurnJob.Mode.AUTO));
    assertTrue(
        refused.getMessage().startsWith("churn model " + newest + " was trained on the features"),
        refused.getMessage());
    assertTrue(refused.getMessage().contains("(definitions version 1)"), refused.getMessage());

    // One candidate, one grid point: what is tested is the decision, not the training.
    CrmlakeConfig quick =
        config(
            dir, settings("churn.candidates=[logistic]", "churn.grid.logistic.reg-param=[0.01]"));
    ChurnResult auto = Jobs.churn(lake, quick, ChurnJob.Mode.AUTO);
    ModelRefresh.Decision d = auto.refresh().orElseThrow();
    assertTrue(d.train(), d.describe());
    assertTrue(
        d.reason().startsWith("model " + newest + " cannot score: churn model " + newest),
        d.reason());
    assertTrue(auto.training().isPresent(), "retrained");
    assertTrue(auto.modelVersion().compareTo(newest) > 0, auto.modelVersion());
  }
}
