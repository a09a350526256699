package io.crmlake.churn;

import static org.apache.spark.sql.functions.col;
import static org.apache.spark.sql.functions.count;
import static org.apache.spark.sql.functions.countDistinct;
import static org.apache.spark.sql.functions.lit;
import static org.apache.spark.sql.functions.max;
import static org.apache.spark.sql.functions.pmod;
import static org.apache.spark.sql.functions.sum;
import static org.apache.spark.sql.functions.xxhash64;

import io.crmlake.clv.BgNbd;
import io.crmlake.common.config.ConfigError;
import io.crmlake.common.run.RunContext;
import java.time.LocalDate;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import org.apache.spark.sql.Column;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The labelled rows a churn training run learns from, built by {@link #build} (the "training set"
 * phase): the customers training uses ({@link Population}: all, or a fixed sample of about {@code
 * churn.training-customers}); the cutoffs ({@link Cutoffs}); per cutoff, oldest first, a BG/NBD fit
 * on the data before it, the point-in-time features and the labels ({@link ChurnFeatures}),
 * stacked; the leakage check and class balance per cutoff ({@link #balance}); and the rows
 * materialised in an order of their own ({@link #forFits}).
 *
 * @param population the customers training uses
 * @param cutoffs the labelled cutoffs, oldest first; the last is the holdout
 * @param balance rows and churners per cutoff, and their sums over training and holdout
 * @param rows every cutoff's labelled feature rows, materialised
 */
record ChurnTrainingSet(
    Population population, List<LocalDate> cutoffs, Balance balance, Dataset<Row> rows) {
  private static final Logger LOG = LoggerFactory.getLogger(ChurnTrainingSet.class);

  /** The customers training uses and their days. */
  record Population(long customers, long training, Dataset<Row> days) {}

  /** One cutoff's rows: customers, of them churned, and the latest line any feature row used. */
  record CutoffCount(LocalDate cutoff, long customers, double churned, LocalDate latestLine) {
    /** E.g. "2024-03-01: 812 customers, 31.2 % churned, latest line 2024-02-29". */
    String describe() {
      return String.format(
          Locale.ROOT,
          "%s: %d customers, %.1f %% churned, latest line %s",
          cutoff,
          customers,
          100 * churned / customers,
          latestLine);
    }
  }

  /** The per-cutoff counts, oldest first, and their sums over the training cutoffs and holdout. */
  record Balance(
      List<CutoffCount> perCutoff,
      long trainRows,
      double trainChurned,
      long holdoutRows,
      double holdoutChurned) {
    double trainRate() {
      return trainChurned / trainRows;
    }

    double holdoutRate() {
      return holdoutChurned / holdoutRows;
    }

    /** The cutoffs' descriptions, joined by "; ". */
    String describe() {
      return String.join("; ", perCutoff.stream().map(CutoffCount::describe).toList());
    }
  }

  /**
   * The "training set" phase: population, cutoffs, labelled features, checks, materialised rows.
   */
  static ChurnTrainingSet build(RunContext ctx, ChurnSettings settings, ChurnHistory history) {
    Population population = population(ctx, settings, history);
    List<LocalDate> cutoffs = Cutoffs.of(settings, history.first(), history.last());
    Dataset<Row> stacked = ctx.persist(stack(population.days(), cutoffs, settings));
    Balance balance = balance(stacked, cutoffs.get(cutoffs.size() - 1));
    Dataset<Row> rows =
        ctx.materialize(forFits(stacked, balance.trainRows() + balance.holdoutRows()));
    stacked.unpersist(false);
    LOG.info(
        "training set: {} of {} customers, horizon {} days, {} training rows, {} holdout rows;"
            + " cutoffs (the last is the holdout): {}",
        population.training(),
        population.customers(),
        settings.horizonDays(),
        balance.trainRows(),
        balance.holdoutRows(),
        balance.describe());
    return new ChurnTrainingSet(population, cutoffs, balance, rows);
  }

  LocalDate holdoutCutoff() {
    return cutoffs.get(cutoffs.size() - 1);
  }

  List<LocalDate> trainCutoffs() {
    return cutoffs.subList(0, cutoffs.size() - 1);
  }

  /** The rows of the training cutoffs. */
  Dataset<Row> training() {
    return rows.where(col("cutoff").lt(lit(java.sql.Date.valueOf(holdoutCutoff()))));
  }

  /** The rows of the holdout cutoff. */
  Dataset<Row> holdout() {
    return rows.where(col("cutoff").equalTo(lit(java.sql.Date.valueOf(holdoutCutoff()))));
  }

  /**
   * Every customer, or with more than {@code churn.training-customers} a fixed sample of about that
   * many: those whose hash of id (and seed) falls in the first share of the hash range. The same
   * customers at every cutoff and in every run over the same customers.
   */
  static Population population(RunContext ctx, ChurnSettings settings, ChurnHistory history) {
    long customers = history.customers();
    long limit = settings.trainingCustomers();
    if (limit == 0 || customers <= limit) {
      LOG.debug("training on all {} customers", customers);
      return new Population(customers, customers, history.days());
    }
    Dataset<Row> sample =
        ctx.persist(trainingSample(history.days(), customers, limit, settings.seed()));
    long training = sample.agg(countDistinct("customer_id")).first().getLong(0);
    LOG.debug(
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
   * Every cutoff's labelled features, oldest cutoff first (the union's order), each with a BG/NBD
   * fit on the data before the cutoff.
   */
  static Dataset<Row> stack(Dataset<Row> days, List<LocalDate> cutoffs, ChurnSettings settings) {
    Dataset<Row> stacked = null;
    BgNbd bg = null;
    for (LocalDate c : cutoffs) {
      // Each cutoff sees the previous cutoff's data and the lines since: its fit starts there.
      bg = ChurnFeatures.fitBgNbd(days, c, settings.clv(), bg);
      LOG.debug("cutoff {}: BG/NBD on the data before it: {}", c, bg);
      Dataset<Row> features =
          ChurnFeatures.at(
              days,
              c,
              settings.lookbackDays(),
              bg,
              settings.horizonUnits(),
              settings.clv().timeUnit());
      Dataset<Row> labelled = ChurnFeatures.label(features, days, c, settings.horizonDays());
      stacked = stacked == null ? labelled : stacked.unionByName(labelled);
    }
    return stacked;
  }

  /**
   * Counts the stacked rows per cutoff and checks them ({@link #check}): one small row per cutoff
   * reaches the driver.
   */
  static Balance balance(Dataset<Row> stacked, LocalDate holdoutCutoff) {
    List<CutoffCount> counts = new ArrayList<>();
    for (Row r :
        stacked
            .groupBy("cutoff")
            .agg(count(lit(1)), sum(ChurnModels.LABEL), max("last_line_date"))
            .orderBy("cutoff")
            .collectAsList()) {
      counts.add(
          new CutoffCount(
              r.getDate(0).toLocalDate(),
              r.getLong(1),
              r.getDouble(2),
              r.getDate(3).toLocalDate()));
    }
    return check(counts, holdoutCutoff);
  }

  /**
   * The leakage check and the class balance, cutoff by cutoff (oldest first): fails (a bug) when a
   * feature row used a line on or after its cutoff, and refuses (exit 2) a cutoff whose customers
   * all churned or all stayed; sums the rows and churners of the training cutoffs and the holdout.
   */
  static Balance check(List<CutoffCount> perCutoff, LocalDate holdoutCutoff) {
    long trainRows = 0;
    double trainChurned = 0;
    long holdoutRows = 0;
    double holdoutChurned = 0;
    for (CutoffCount c : perCutoff) {
      if (!c.latestLine().isBefore(c.cutoff())) {
        throw new IllegalStateException(
            "leakage: a feature row at cutoff "
                + c.cutoff()
                + " used a line dated "
                + c.latestLine());
      }
      if (c.churned() == 0 || c.churned() == c.customers()) {
        throw new ConfigError(
            "churn: at cutoff "
                + c.cutoff()
                + " all "
                + c.customers()
                + " customers are "
                + (c.churned() == 0 ? "active" : "churned")
                + ": nothing to learn from; change churn.horizon-days or churn.cutoffs");
      }
      if (c.cutoff().equals(holdoutCutoff)) {
        holdoutRows = c.customers();
        holdoutChurned = c.churned();
      } else {
        trainRows += c.customers();
        trainChurned += c.churned();
      }
    }
    return new Balance(
        List.copyOf(perCutoff), trainRows, trainChurned, holdoutRows, holdoutChurned);
  }

  /**
   * The stacked rows in partitions and an order of their own, for the model fits.
   *
   * <p>Iterative learners pass over the rows once per iteration, a Spark job each: a partition per
   * full 250,000 rows (at least one), not hundreds of small ones (the union has one set per
   * cutoff), so on small data one task per job (the grid runs two fits side by side). Their
   * partitions and order depend on the rows alone, not on the file layout of silver or the
   * cluster's cores: the forests' bootstrap samples and every learner's sums follow them, and a
   * re-run after a crash must train the same models (bit for bit up to two partitions, about
   * 500,000 rows; beyond, Spark adds the partitions' sums in the order their tasks finish).
   */
  static Dataset<Row> forFits(Dataset<Row> stacked, long rows) {
    int partitions = (int) Math.max(1, rows / 250_000);
    return stacked
        .repartition(partitions, col("cutoff"), col("customer_id"))
        .sortWithinPartitions("cutoff", "customer_id");
  }
}
