package io.crmlake.clv;

import static org.apache.spark.sql.functions.col;
import static org.apache.spark.sql.functions.count;
import static org.apache.spark.sql.functions.lit;

import io.crmlake.clv.ClvSettings.Likelihood;
import io.crmlake.clv.MaximumLikelihood.Family;
import io.crmlake.clv.MaximumLikelihood.Fit;
import java.util.Arrays;
import java.util.List;
import java.util.function.Supplier;
import org.apache.spark.api.java.JavaRDD;
import org.apache.spark.mllib.linalg.Vector;
import org.apache.spark.mllib.linalg.Vectors;
import org.apache.spark.sql.Column;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.api.java.UDF4;
import org.apache.spark.sql.expressions.UserDefinedFunction;
import org.apache.spark.sql.functions;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructType;
import org.apache.spark.storage.StorageLevel;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import scala.Tuple2;

/**
 * Fitting and scoring of BG/NBD and Gamma-Gamma on a {@link ClvSummary}, as functions of datasets:
 * the likelihood rows are built and cached on the executors, only parameters reach the driver.
 */
public final class ClvModels {
  private static final Logger LOG = LoggerFactory.getLogger(ClvModels.class);

  private ClvModels() {}

  /** BG/NBD as a likelihood family over rows (x, t_x, T). */
  public static final Family BGNBD =
      new Family() {
        @Override
        public String name() {
          return "bgnbd";
        }

        @Override
        public String[] names() {
          return BgNbd.NAMES;
        }

        @Override
        public double logLikelihood(double[] theta, double[] d, double[] grad) {
          return BgNbd.of(theta).logLikelihood(d[0], d[1], d[2], grad);
        }
      };

  /** Gamma-Gamma as a likelihood family over rows (x, mean repeat value). */
  public static final Family GAMMA_GAMMA =
      new Family() {
        @Override
        public String name() {
          return "gamma_gamma";
        }

        @Override
        public String[] names() {
          return GammaGamma.NAMES;
        }

        @Override
        public double logLikelihood(double[] theta, double[] d, double[] grad) {
          return GammaGamma.of(theta).logLikelihood(d[0], d[1], grad);
        }
      };

  /** Likelihood rows (weight, data) of the given columns: grouped with counts, or one per row. */
  static JavaRDD<Tuple2<Object, Vector>> rows(
      Dataset<Row> summary, Likelihood likelihood, String... columns) {
    Column[] cols = Arrays.stream(columns).map(functions::col).toArray(Column[]::new);
    Dataset<Row> weighted =
        likelihood == Likelihood.GROUPED
            ? summary.groupBy(cols).agg(count(lit(1)).cast("double").as("weight"))
            : summary.select(cols).withColumn("weight", lit(1.0));
    int n = columns.length;
    // Every optimiser iteration is a Spark job over these rows: one partition per 100,000
    // customers of the (cached) summary, at most one per core. The shuffle's partition count (sized
    // for the order lines) would make each iteration hundreds of tiny tasks, and on small data one
    // task does the job of several. Up to two partitions, the sums do not depend on the order in
    // which the tasks finish. A repartition, not a coalesce, so the aggregation before it keeps its
    // parallelism.
    int partitions =
        (int)
            Math.max(
                1,
                Math.min(
                    summary.sparkSession().sparkContext().defaultParallelism(),
                    summary.count() / 100_000));
    return weighted
        .repartition(partitions)
        .javaRDD()
        .map(
            r -> {
              double[] v = new double[n];
              for (int i = 0; i < n; i++) {
                v[i] = ((Number) r.get(i)).doubleValue();
              }
              return new Tuple2<Object, Vector>(r.getDouble(n), Vectors.dense(v));
            })
        .persist(StorageLevel.MEMORY_AND_DISK());
  }

  /** A fit and the number of likelihood rows it summed over. */
  public record Fitted(Fit fit, long rows) {}

  /** Fits BG/NBD on every customer of the summary, from the configured starting points. */
  public static Fitted fitBgNbd(Dataset<Row> summary, ClvSettings s) {
    return fitBgNbd(summary, s, null);
  }

  /**
   * Fits BG/NBD on every customer of the summary, first from {@code from} alone when given: the
   * parameters of a fit on nearly the same data (churn's previous cutoff, CLV's calibration fit for
   * its full fit). That one start replaces the configured starts (three by default), each a descent
   * of about twenty iterations over all customers. If it does not converge, the configured starts
   * are tried as usual.
   */
  public static Fitted fitBgNbd(Dataset<Row> summary, ClvSettings s, double[] from) {
    JavaRDD<Tuple2<Object, Vector>> rows =
        rows(summary, s.likelihood(), "frequency", "recency", "t");
    try {
      return new Fitted(
          fit(
              rows,
              BGNBD,
              from,
              () -> {
                double meanT = summary.agg(functions.avg("t")).first().getDouble(0);
                double scale = Math.max(meanT, 1e-3);
                return List.of(
                    new double[] {1, scale / 4, 1, 1},
                    new double[] {0.25, scale / 10, 0.8, 2.5},
                    new double[] {2, scale, 0.5, 0.5});
              },
              s),
          rows.count());
    } finally {
      rows.unpersist(false);
    }
  }

  /** Fits Gamma-Gamma on the customers with a repeat purchase of positive mean value. */
  public static Fitted fitGammaGamma(Dataset<Row> summary, ClvSettings s) {
    return fitGammaGamma(summary, s, null);
  }

  /**
   * Fits Gamma-Gamma on the customers with a repeat purchase of positive mean value, first from
   * {@code from} alone when given (a fit on nearly the same customers), as {@link
   * #fitBgNbd(Dataset, ClvSettings, double[])} does.
   */
  public static Fitted fitGammaGamma(Dataset<Row> summary, ClvSettings s, double[] from) {
    Dataset<Row> repeat = spenders(summary);
    JavaRDD<Tuple2<Object, Vector>> rows =
        rows(repeat, s.likelihood(), "frequency", "monetary_value");
    try {
      return new Fitted(
          fit(
              rows,
              GAMMA_GAMMA,
              from,
              () -> {
                double meanM = repeat.agg(functions.avg("monetary_value")).first().getDouble(0);
                return List.of(
                    new double[] {1, 1, Math.max(meanM, 1e-3)},
                    new double[] {5, 4, Math.max(meanM, 1e-3) / 2},
                    new double[] {2, 2, 1});
              },
              s),
          rows.count());
    } finally {
      rows.unpersist(false);
    }
  }

  /**
   * The fit from {@code from} alone when given and it converges; otherwise from the first {@code
   * clv.starts} of {@code starts} (computed only then).
   */
  private static Fit fit(
      JavaRDD<Tuple2<Object, Vector>> rows,
      Family family,
      double[] from,
      Supplier<List<double[]>> starts,
      ClvSettings s) {
    if (from != null) {
      try {
        return MaximumLikelihood.fit(rows, family, List.of(from), s.options());
      } catch (MaximumLikelihood.FitException e) {
        LOG.warn(
            "{} from {} did not converge ({}); trying the configured starts",
            family.name(),
            Arrays.toString(from),
            e.getMessage());
      }
    }
    return MaximumLikelihood.fit(rows, family, starts.get().subList(0, s.starts()), s.options());
  }

  /** Customers Gamma-Gamma is fitted on: at least one repeat purchase, mean repeat value > 0. */
  public static Dataset<Row> spenders(Dataset<Row> summary) {
    return summary.where(col("frequency").gt(0).and(col("monetary_value").gt(0)));
  }

  static final StructType SCORES =
      new StructType()
          .add("p_alive", DataTypes.DoubleType)
          .add("expected_purchases", DataTypes.DoubleType)
          .add("expected_avg_order_value", DataTypes.DoubleType)
          .add("clv", DataTypes.DoubleType);

  /**
   * Adds p_alive, expected_purchases (over the horizon), expected_avg_order_value and clv: margin ×
   * E[M] × Σ_i (E[Y(t_i)] − E[Y(t_{i−1})]) / (1 + d)^(t_i in years), over monthly steps t_i up to
   * the horizon, d the annual discount rate.
   */
  public static Dataset<Row> score(Dataset<Row> summary, BgNbd bg, GammaGamma gg, ClvSettings s) {
    double horizon = s.horizon();
    double unitDays = s.timeUnit().days;
    double step = (365.25 / 12) / unitDays;
    double rate = s.discountRate();
    double margin = s.margin();
    UserDefinedFunction udf =
        functions.udf(
            (UDF4<Double, Double, Double, Double, Row>)
                (x, tx, t, m) -> {
                  double spend = gg.expectedSpend(m == null || x == 0 ? 0 : x, m == null ? 0 : m);
                  double previous = 0;
                  double discounted = 0;
                  int n = (int) Math.ceil(horizon / step - 1e-9);
                  for (int i = 1; i <= n; i++) {
                    double ti = Math.min(i * step, horizon);
                    double cumulative = bg.expectedPurchases(ti, x, tx, t);
                    discounted +=
                        (cumulative - previous) / Math.pow(1 + rate, ti * unitDays / 365.25);
                    previous = cumulative;
                  }
                  return RowFactory.create(
                      bg.probabilityAlive(x, tx, t), previous, spend, margin * spend * discounted);
                },
            SCORES);
    return summary
        .withColumn(
            "scores", udf.apply(col("frequency"), col("recency"), col("t"), col("monetary_value")))
        .select(
            col("*"),
            col("scores.p_alive"),
            col("scores.expected_purchases"),
            col("scores.expected_avg_order_value"),
            col("scores.clv"))
        .drop("scores");
  }

  /** Adds predicted: E[Y(h) | x, t_x, T] for a holdout of length h. */
  public static Dataset<Row> predictHoldout(Dataset<Row> summary, BgNbd bg, double h) {
    UserDefinedFunction udf =
        functions.udf(
            (org.apache.spark.sql.api.java.UDF3<Double, Double, Double, Double>)
                (x, tx, t) -> bg.expectedPurchases(h, x, tx, t),
            DataTypes.DoubleType);
    return summary.withColumn("predicted", udf.apply(col("frequency"), col("recency"), col("t")));
  }
}
