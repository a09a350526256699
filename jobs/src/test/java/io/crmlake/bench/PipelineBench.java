package io.crmlake.bench;

import static org.apache.spark.sql.functions.col;

import io.crmlake.baskets.BasketMiner;
import io.crmlake.baskets.BasketsSettings;
import io.crmlake.churn.ChurnFeatures;
import io.crmlake.churn.ChurnSettings;
import io.crmlake.clv.BgNbd;
import io.crmlake.clv.ClvSettings;
import io.crmlake.clv.ClvSummary;
import io.crmlake.common.config.CrmlakeConfig;
import io.crmlake.common.lake.Lake;
import io.crmlake.common.run.JobRunLog;
import io.crmlake.common.spark.ShufflePartitions;
import io.crmlake.common.spark.SparkSessions;
import io.crmlake.features.CustomerDays;
import io.crmlake.ingest.IngestTables;
import io.crmlake.publish.EmbeddedServer;
import io.crmlake.publish.PublishSettings;
import io.crmlake.publish.PublishTables;
import io.crmlake.segments.SegmentsSettings;
import io.crmlake.segments.SegmentsTables;
import io.crmlake.tables.TableRegistry;
import io.crmlake.testing.Jobs;
import java.lang.management.ManagementFactory;
import java.lang.management.MemoryPoolMXBean;
import java.lang.management.MemoryType;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.LocalDate;
import java.time.LocalDateTime;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import org.apache.commons.math3.analysis.MultivariateFunction;
import org.apache.commons.math3.analysis.MultivariateVectorFunction;
import org.apache.commons.math3.optim.InitialGuess;
import org.apache.commons.math3.optim.MaxEval;
import org.apache.commons.math3.optim.PointValuePair;
import org.apache.commons.math3.optim.SimpleValueChecker;
import org.apache.commons.math3.optim.nonlinear.scalar.GoalType;
import org.apache.commons.math3.optim.nonlinear.scalar.ObjectiveFunction;
import org.apache.commons.math3.optim.nonlinear.scalar.ObjectiveFunctionGradient;
import org.apache.commons.math3.optim.nonlinear.scalar.gradient.NonLinearConjugateGradientOptimizer;
import org.apache.hadoop.fs.FileSystem;
import org.apache.spark.ml.classification.GBTClassifier;
import org.apache.spark.ml.classification.LogisticRegression;
import org.apache.spark.ml.classification.RandomForestClassifier;
import org.apache.spark.ml.clustering.KMeans;
import org.apache.spark.ml.feature.VectorAssembler;
import org.apache.spark.ml.fpm.FPGrowth;
import org.apache.spark.ml.fpm.FPGrowthModel;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.functions;

/**
 * Benchmark (bench/run, not a test): every job of the pipeline on a generated lake of N customers,
 * and in the same JVM with the same flags the bare-Spark reference of each job on the same data;
 * per job the input and output rows, wall seconds (median of K runs), rows per second, peak driver
 * heap and the ratio to the reference. Prints a Markdown table and writes it to {@code
 * bench/results/<date>-<customers>.md}, and appends it to {@code ops.bench_runs} of the results
 * lake ({@code <work>/results-lake}).
 *
 * <p>References: ingest — {@code spark.read.csv(header).write.format("delta")} of the same landing
 * files; baskets — {@code FPGrowth.fit} + counts of itemsets and rules on the same baskets;
 * segments — {@code KMeans.fit} on the job's feature table plus one {@code groupBy(customer)}
 * aggregation of silver; churn — a bare MLlib fit of each candidate classifier (first grid point)
 * on one labelled cutoff of the job's features; clv — a single-machine plain-Java fit of the same
 * BG/NBD likelihood over the same summary (collected: a benchmark may, a job may not); publish — a
 * bare Spark JDBC write of {@code gold.customer_scores}.
 *
 * <p>Arguments: {@code --customers N} (default 1,000,000), {@code --repeat K} (default 1), {@code
 * --work DIR} (lakes are kept there per N and reused), then any {@code key=value} settings.
 */
public final class PipelineBench {
  private PipelineBench() {}

  /** One job's figures. */
  record Figure(
      String job,
      long inputRows,
      long outputRows,
      double seconds,
      double[] runs,
      long peakHeap,
      String reference,
      double referenceSeconds,
      long referencePeakHeap) {
    double ratio() {
      return referenceSeconds > 0 ? seconds / referenceSeconds : Double.NaN;
    }
  }

  public static void main(String[] args) throws Exception {
    long customers = 1_000_000;
    int repeat = 1;
    Path work = Path.of("/tmp/crmlake-bench");
    List<String> overrides = new ArrayList<>();
    for (int i = 0; i < args.length; i++) {
      switch (args[i]) {
        case "--customers" -> customers = Long.parseLong(args[++i].replace("_", ""));
        case "--repeat" -> repeat = Integer.parseInt(args[++i]);
        case "--work" -> work = Path.of(args[++i]);
        default -> overrides.add(args[i]);
      }
    }
    Path home = Path.of(System.getProperty("crmlake.home", ".")).toAbsolutePath();
    Path lakeRoot = work.resolve("lake-" + customers).toAbsolutePath();
    Path landing = work.resolve("landing-" + customers).toAbsolutePath();
    List<String> settings =
        new ArrayList<>(
            List.of(
                "lake.root=" + lakeRoot,
                "lake.landing=" + landing,
                "generate.customers=" + customers));
    // Every repetition trains (it is measured against bare training): the refresh policy would
    // reuse the first repetition's models (bench/run --nightly measures the policy).
    settings.addAll(
        List.of(
            "baskets.retrain-now=true",
            "segments.kmeans.retrain-now=true",
            "churn.retrain-now=true",
            "clv.retrain-now=true"));
    settings.addAll(overrides);
    CrmlakeConfig config = CrmlakeConfig.load("conf/local.conf", home, settings);
    SparkSession spark = SparkSessions.create(config, "bench-pipeline");
    Lake lake = new Lake(spark, config.lake());
    Path refDir = work.resolve("reference-" + customers).toAbsolutePath();

    if (!Files.exists(landing.resolve("orders"))) {
      double s =
          seconds(
              () -> {
                Jobs.generate(lake, config);
              });
      System.out.printf(Locale.ROOT, "generated %d customers in %.1f s%n", customers, s);
    }

    long landingBytes = bytesUnder(landing.resolve("orders"));
    java.sql.Timestamp started = java.sql.Timestamp.from(java.time.Instant.now());
    List<Figure> out = new ArrayList<>();
    // ingest: each run on an empty lake (a second run would find nothing new).
    out.add(
        measure(
            spark,
            config,
            landingBytes,
            lake,
            "ingest",
            repeat,
            () -> {
              delete(spark, lakeRoot.toString());
              Jobs.ingest(lake, config);
            },
            "read.csv(header).write.delta",
            () ->
                spark
                    .read()
                    .option("header", "true")
                    .csv(landing.resolve("orders").toString())
                    .write()
                    .format("delta")
                    .mode("overwrite")
                    .save(refDir.resolve("ingest").toString())));

    BasketsSettings bs = BasketsSettings.from(config);
    out.add(
        measure(
            spark,
            config,
            landingBytes,
            lake,
            "baskets",
            repeat,
            () -> Jobs.baskets(lake, config),
            "FPGrowth.fit + itemsets + rules",
            bareFpGrowth(lake, bs)));

    SegmentsSettings ss = SegmentsSettings.from(config);
    out.add(
        measure(
            spark,
            config,
            landingBytes,
            lake,
            "segments",
            repeat,
            () -> Jobs.segments(lake, config),
            "KMeans.fit + groupBy(customer)",
            () -> bareSegments(lake, ss)));

    ChurnSettings cs = ChurnSettings.from(config);
    Dataset<Row> churnTrain =
        sized(
            spark,
            config,
            lake.sizeInBytes(IngestTables.TRANSACTIONS),
            () -> bareChurnTrainingSet(lake, cs));
    out.add(
        measure(
            spark,
            config,
            landingBytes,
            lake,
            "churn",
            repeat,
            () -> Jobs.churn(lake, config),
            "classifier fits on one cutoff",
            () -> bareChurnFits(churnTrain, cs)));
    churnTrain.unpersist();

    ClvSettings clv = ClvSettings.from(config);
    out.add(
        measure(
            spark,
            config,
            landingBytes,
            lake,
            "clv",
            repeat,
            () -> Jobs.clv(lake, config),
            "single-machine BG/NBD fit",
            singleMachineBgNbd(lake, clv)));

    PublishSettings ps = PublishSettings.from(config);
    try {
      out.add(
          measure(
              spark,
              config,
              landingBytes,
              lake,
              "publish",
              repeat,
              () -> Jobs.publish(lake, config, System.getenv()),
              "JDBC write of customer_scores",
              () -> bareJdbc(lake, ps)));
    } finally {
      if (ps.serving().url().isEmpty()) {
        // The embedded server would keep its port, and another lake's publish would fail on it.
        EmbeddedServer.stop(ps.serving().embeddedDir());
      }
    }

    // The results lake outlives the benchmark lakes (ingest's runs start from an empty lake).
    Lake resultsLake =
        new Lake(
            spark,
            CrmlakeConfig.load(
                    "conf/local.conf",
                    home,
                    List.of("lake.root=" + work.resolve("results-lake").toAbsolutePath()))
                .lake());
    record(spark, resultsLake, customers, started, out);
    String table = render(customers, repeat, out);
    System.out.println(table);
    Path results = home.resolve("bench/results");
    Files.createDirectories(results);
    Path file = results.resolve(LocalDate.now(ZoneOffset.UTC) + "-" + customers + ".md");
    Files.writeString(file, table, StandardCharsets.UTF_8);
    System.out.println("written to " + file);
    spark.stop();
  }

  /** The bytes of the regular files under {@code dir}. */
  static long bytesUnder(Path dir) throws java.io.IOException {
    try (java.util.stream.Stream<Path> files = Files.walk(dir)) {
      return files.filter(Files::isRegularFile).mapToLong(p -> p.toFile().length()).sum();
    }
  }

  /**
   * Runs {@code body} with the shuffle partitions a job sizes for {@code inputBytes} of input,
   * unless the config fixes them (as {@code RunContext} does for the jobs).
   */
  static <T> T sized(
      SparkSession spark,
      CrmlakeConfig config,
      long inputBytes,
      java.util.function.Supplier<T> body) {
    if (spark.conf().contains(ShufflePartitions.KEY)) {
      return body.get();
    }
    spark
        .conf()
        .set(
            ShufflePartitions.KEY,
            ShufflePartitions.of(
                inputBytes,
                config.spark().bytesPerShufflePartition(),
                spark.sparkContext().defaultParallelism(),
                config.spark().maxShufflePartitions()));
    try {
      return body.get();
    } finally {
      spark.conf().unset(ShufflePartitions.KEY);
    }
  }

  /** Runs {@code job} and {@code reference} K times each; the median wall time of each. */
  static Figure measure(
      SparkSession spark,
      CrmlakeConfig config,
      long landingBytes,
      Lake lake,
      String job,
      int repeat,
      Runnable run,
      String reference,
      Runnable bare) {
    double[] secs = new double[repeat];
    long heap = 0;
    for (int i = 0; i < repeat; i++) {
      resetPeaks();
      secs[i] = seconds(run);
      heap = Math.max(heap, peakHeap());
    }
    Row last =
        lake.read(JobRunLog.JOB_RUNS)
            .where(col("job").equalTo(job).and(col("status").equalTo("SUCCEEDED")))
            .orderBy(col("started_at").desc())
            .select("input_rows", "output_rows")
            .first();
    // The reference runs with the shuffle partitions the job sized for itself (unless the config
    // fixes them): silver's bytes, and for ingest the landing files it read.
    long input = job.equals("ingest") ? landingBytes : lake.sizeInBytes(IngestTables.TRANSACTIONS);
    double[] ref = new double[repeat];
    long[] refHeap = {0};
    sized(
        spark,
        config,
        input,
        () -> {
          for (int i = 0; i < repeat; i++) {
            resetPeaks();
            ref[i] = seconds(bare);
            refHeap[0] = Math.max(refHeap[0], peakHeap());
          }
          return null;
        });
    Figure f =
        new Figure(
            job,
            last.isNullAt(0) ? 0 : last.getLong(0),
            last.isNullAt(1) ? 0 : last.getLong(1),
            median(secs),
            secs,
            heap,
            reference,
            median(ref),
            refHeap[0]);
    System.out.printf(
        Locale.ROOT,
        "bench: %s %.1f s (runs %s), reference %.1f s (runs %s), ratio %.2f%n",
        job,
        f.seconds(),
        Arrays.toString(secs),
        f.referenceSeconds(),
        Arrays.toString(ref),
        f.ratio());
    return f;
  }

  static Runnable bareFpGrowth(Lake lake, BasketsSettings s) {
    return () -> {
      Dataset<Row> baskets =
          BasketMiner.baskets(lake.read(IngestTables.TRANSACTIONS), s).select("items").cache();
      try {
        baskets.count();
        FPGrowthModel model =
            new FPGrowth()
                .setItemsCol("items")
                .setMinSupport(s.minSupport())
                .setMinConfidence(s.minConfidence())
                .fit(baskets);
        model.freqItemsets().count();
        model.associationRules().count();
      } finally {
        baskets.unpersist();
      }
    };
  }

  static void bareSegments(Lake lake, SegmentsSettings s) {
    lake.read(IngestTables.TRANSACTIONS)
        .where(col("customer_id").isNotNull())
        .groupBy("customer_id")
        .agg(
            functions.countDistinct("order_id"),
            functions.sum("amount"),
            functions.min("order_ts"),
            functions.max("order_ts"))
        .write()
        .format("noop")
        .mode("overwrite")
        .save();
    Dataset<Row> features = lake.read(SegmentsTables.CUSTOMER_FEATURES);
    Dataset<Row> vectors =
        new VectorAssembler()
            .setInputCols(s.kmeans().features().toArray(new String[0]))
            .setOutputCol("features")
            .setHandleInvalid("keep")
            .transform(features.na().fill(0.0))
            .select("features")
            .cache();
    try {
      vectors.count();
      new KMeans().setK(s.kmeans().kMax()).setSeed(1).setMaxIter(s.kmeans().maxIter()).fit(vectors);
    } finally {
      vectors.unpersist();
    }
  }

  /**
   * The reference's training set: one labelled cutoff (the last one a full horizon before the
   * data's end), built before the reference is timed and cached.
   */
  static Dataset<Row> bareChurnTrainingSet(Lake lake, ChurnSettings s) {
    Dataset<Row> days =
        CustomerDays.of(ChurnFeatures.lines(lake.read(IngestTables.TRANSACTIONS))).cache();
    LocalDate last = days.agg(functions.max("order_date")).first().getDate(0).toLocalDate();
    LocalDate cutoff = last.plusDays(1).minusDays(s.horizonDays());
    BgNbd bg = ChurnFeatures.fitBgNbd(days, cutoff, s.clv());
    double horizonUnits = s.horizonDays() / (double) s.clv().timeUnit().days;
    Dataset<Row> train =
        new VectorAssembler()
            .setInputCols(ChurnFeatures.NAMES.toArray(new String[0]))
            .setOutputCol("features")
            .setHandleInvalid("keep")
            .transform(
                ChurnFeatures.label(
                        ChurnFeatures.at(
                            days, cutoff, s.lookbackDays(), bg, horizonUnits, s.clv().timeUnit()),
                        days,
                        cutoff,
                        s.horizonDays())
                    .na()
                    .fill(0.0))
            .select("features", "churned")
            .cache();
    train.count();
    days.unpersist();
    return train;
  }

  /** A bare MLlib fit of each candidate classifier, at its first grid point. */
  static void bareChurnFits(Dataset<Row> train, ChurnSettings s) {
    for (ChurnSettings.Candidate c : s.candidates()) {
      switch (c) {
        case LOGISTIC ->
            new LogisticRegression()
                .setLabelCol("churned")
                .setRegParam(s.grid().logisticRegParam().get(0))
                .fit(train);
        case RANDOM_FOREST ->
            new RandomForestClassifier()
                .setLabelCol("churned")
                .setNumTrees(s.grid().forestNumTrees().get(0))
                .setMaxDepth(s.grid().forestMaxDepth().get(0))
                .setSeed(s.seed())
                .fit(train);
        case GBT ->
            new GBTClassifier()
                .setLabelCol("churned")
                .setMaxIter(s.grid().gbtMaxIter().get(0))
                .setMaxDepth(s.grid().gbtMaxDepth().get(0))
                .setStepSize(s.grid().gbtStepSize().get(0))
                .setSeed(s.seed())
                .fit(train);
      }
    }
  }

  /**
   * BG/NBD fitted on one machine: the summary grouped to (x, t_x, T, count) rows is collected and
   * the weighted log-likelihood maximised over log-parameters by Commons Math's conjugate gradient.
   */
  static Runnable singleMachineBgNbd(Lake lake, ClvSettings s) {
    return () -> {
      Dataset<Row> tx = lake.read(IngestTables.TRANSACTIONS).where(col("customer_id").isNotNull());
      LocalDate end =
          s.calibrationEnd()
              .orElseGet(
                  () -> tx.agg(functions.max("order_date")).first().getDate(0).toLocalDate());
      List<Row> rows =
          ClvSummary.summarize(tx, end, s.timeUnit())
              .groupBy("frequency", "recency", "t")
              .count()
              .collectAsList();
      double[][] data = new double[rows.size()][];
      double weight = 0;
      for (int i = 0; i < data.length; i++) {
        Row r = rows.get(i);
        data[i] = new double[] {r.getDouble(0), r.getDouble(1), r.getDouble(2), r.getLong(3)};
        weight += r.getLong(3);
      }
      double total = weight;
      MultivariateFunction ll =
          logTheta -> {
            BgNbd m = BgNbd.of(exp(logTheta));
            double sum = 0;
            for (double[] d : data) {
              sum += d[3] * m.logLikelihood(d[0], d[1], d[2], null);
            }
            return sum / total;
          };
      MultivariateVectorFunction grad =
          logTheta -> {
            double[] theta = exp(logTheta);
            BgNbd m = BgNbd.of(theta);
            double[] g = new double[4];
            double[] one = new double[4];
            for (double[] d : data) {
              Arrays.fill(one, 0);
              m.logLikelihood(d[0], d[1], d[2], one);
              for (int j = 0; j < 4; j++) {
                g[j] += d[3] * one[j];
              }
            }
            for (int j = 0; j < 4; j++) {
              g[j] = g[j] * theta[j] / total;
            }
            return g;
          };
      PointValuePair best =
          new NonLinearConjugateGradientOptimizer(
                  NonLinearConjugateGradientOptimizer.Formula.POLAK_RIBIERE,
                  new SimpleValueChecker(1e-10, 1e-12))
              .optimize(
                  new MaxEval(100_000),
                  new ObjectiveFunction(ll),
                  new ObjectiveFunctionGradient(grad),
                  GoalType.MAXIMIZE,
                  new InitialGuess(new double[] {0, Math.log(10), 0, 0}));
      System.out.printf(
          Locale.ROOT,
          "bench: single-machine BG/NBD over %d rows (%d customers): %s, mean LL %.6f%n",
          data.length,
          (long) total,
          Arrays.toString(exp(best.getPoint())),
          best.getValue());
    };
  }

  static void bareJdbc(Lake lake, PublishSettings s) {
    PublishSettings.Serving serving = s.serving();
    String url =
        serving
            .url()
            .orElseGet(
                () ->
                    EmbeddedServer.ensureRunning(serving.embeddedDir(), serving.embeddedPort())
                        .jdbcUrl());
    java.util.Properties p = new java.util.Properties();
    p.setProperty("user", serving.user());
    String password = System.getenv(serving.passwordEnv());
    if (password != null) {
      p.setProperty("password", password);
    }
    p.setProperty("reWriteBatchedInserts", "true");
    p.setProperty("batchsize", String.valueOf(serving.batchSize()));
    lake.read(PublishTables.CUSTOMER_SCORES)
        .write()
        .mode("overwrite")
        .jdbc(url, "public.bench_customer_scores", p);
  }

  /** Appends the run's figures to ops.bench_runs of the results lake, in one commit. */
  static void record(
      SparkSession spark,
      Lake lake,
      long customers,
      java.sql.Timestamp started,
      List<Figure> figures) {
    String id =
        "bench-"
            + java.time.format.DateTimeFormatter.ofPattern("yyyyMMdd'T'HHmmss'Z'")
                .withZone(ZoneOffset.UTC)
                .format(started.toInstant());
    Runtime rt = Runtime.getRuntime();
    List<Row> rows = new ArrayList<>();
    for (Figure f : figures) {
      rows.add(
          org.apache.spark.sql.RowFactory.create(
              id,
              started,
              customers,
              f.job(),
              f.inputRows(),
              f.outputRows(),
              f.seconds(),
              scala.jdk.javaapi.CollectionConverters.asScala(
                      Arrays.stream(f.runs()).boxed().toList())
                  .toSeq(),
              f.inputRows() / Math.max(1e-9, f.seconds()),
              f.peakHeap() >> 20,
              f.reference(),
              f.referenceSeconds(),
              f.referencePeakHeap() >> 20,
              f.ratio(),
              rt.availableProcessors(),
              rt.maxMemory() >> 20,
              System.getProperty("java.version")));
    }
    lake.write(
        TableRegistry.BENCH_RUNS,
        spark.createDataFrame(rows, TableRegistry.BENCH_RUNS.schema()),
        java.util.Optional.empty());
    System.out.println("recorded in " + TableRegistry.BENCH_RUNS.sqlName() + " of " + lake.root());
  }

  static double[] exp(double[] v) {
    double[] out = new double[v.length];
    for (int i = 0; i < v.length; i++) {
      out[i] = Math.exp(v[i]);
    }
    return out;
  }

  static void delete(SparkSession spark, String root) {
    try {
      org.apache.hadoop.fs.Path p = new org.apache.hadoop.fs.Path(root);
      FileSystem fs = p.getFileSystem(spark.sparkContext().hadoopConfiguration());
      fs.delete(p, true);
    } catch (java.io.IOException e) {
      throw new IllegalStateException("cannot delete " + root + ": " + e, e);
    }
  }

  static double seconds(Runnable r) {
    long t0 = System.nanoTime();
    r.run();
    return (System.nanoTime() - t0) / 1e9;
  }

  static double median(double[] v) {
    double[] s = v.clone();
    Arrays.sort(s);
    return s.length % 2 == 1 ? s[s.length / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
  }

  static void resetPeaks() {
    System.gc();
    for (MemoryPoolMXBean pool : ManagementFactory.getMemoryPoolMXBeans()) {
      pool.resetPeakUsage();
    }
  }

  /** The sum of the heap pools' peaks since the last reset: an upper bound of the peak heap. */
  static long peakHeap() {
    long sum = 0;
    for (MemoryPoolMXBean pool : ManagementFactory.getMemoryPoolMXBeans()) {
      if (pool.getType() == MemoryType.HEAP && pool.getPeakUsage() != null) {
        sum += pool.getPeakUsage().getUsed();
      }
    }
    return sum;
  }

  static String render(long customers, int repeat, List<Figure> figures) {
    StringBuilder b = new StringBuilder();
    Runtime rt = Runtime.getRuntime();
    b.append(
        String.format(
            Locale.ROOT,
            "# Pipeline benchmark, %d customers%n%n%s UTC; %d cores, max heap %d MB; Java %s; median"
                + " of %d run(s) each; job and reference in one JVM with the same flags.%n%n",
            customers,
            LocalDateTime.now(ZoneOffset.UTC).withNano(0),
            rt.availableProcessors(),
            rt.maxMemory() >> 20,
            System.getProperty("java.version"),
            repeat));
    b.append(
        "| job | input rows | output rows | wall s | rows/s | peak heap MB | reference | ref s |"
            + " ref peak heap MB | ratio |\n");
    b.append("|---|---:|---:|---:|---:|---:|---|---:|---:|---:|\n");
    double total = 0;
    for (Figure f : figures) {
      total += f.seconds();
      b.append(
          String.format(
              Locale.ROOT,
              "| %s | %,d | %,d | %.1f | %,.0f | %d | %s | %.1f | %d | %.2f |%n",
              f.job(),
              f.inputRows(),
              f.outputRows(),
              f.seconds(),
              f.inputRows() / Math.max(1e-9, f.seconds()),
              f.peakHeap() >> 20,
              f.reference(),
              f.referenceSeconds(),
              f.referencePeakHeap() >> 20,
              f.ratio()));
    }
    b.append(String.format(Locale.ROOT, "%nWhole pipeline: %.1f s.%n", total));
    return b.toString();
  }
}
