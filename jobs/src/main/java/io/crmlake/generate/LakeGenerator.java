package io.crmlake.generate;

import static org.apache.spark.sql.functions.col;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.crmlake.common.config.LakePaths;
import io.crmlake.common.run.RunContext;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.apache.hadoop.fs.FileStatus;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;
import org.apache.spark.api.java.JavaRDD;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructType;
import org.apache.spark.storage.StorageLevel;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Generates a realistic, deterministic transaction lake: {@code bin/crmlake generate [--set
 * generate.customers=N]}. Customers are simulated in parallel on the executors ({@link
 * CustomerSimulator}), never on the driver, so the size is bounded by the cluster only.
 *
 * <p>Writes under {@code generate.output}:
 *
 * <ul>
 *   <li>{@code orders/orders-YYYY-MM-DD.csv} (or .parquet, .json): one file per day, as a lake
 *       receives drops; columns order_id, line_no, customer_id, order_ts, product_id, product_name,
 *       category, quantity, unit_price;
 *   <li>{@code customers/}: profiles (customer_id, signup_date, country, channel, age_band);
 *   <li>{@code truth/customers} and {@code truth/anomalies} (Parquet): hidden ground truth —
 *       persona, rate, dropout of each customer; every corrupted, duplicated or returned line;
 *   <li>{@code _manifest.json}: the parameters and the counts of each kind of line.
 * </ul>
 *
 * Re-running with the same parameters finds the manifest and does nothing; other parameters replace
 * the output.
 */
public final class LakeGenerator {
  private static final Logger LOG = LoggerFactory.getLogger(LakeGenerator.class);
  public static final String MANIFEST = "_manifest.json";

  static final StructType LINE_SCHEMA =
      new StructType()
          .add("order_id", DataTypes.StringType)
          .add("line_no", DataTypes.StringType)
          .add("customer_id", DataTypes.StringType)
          .add("order_ts", DataTypes.StringType)
          .add("product_id", DataTypes.StringType)
          .add("product_name", DataTypes.StringType)
          .add("category", DataTypes.StringType)
          .add("quantity", DataTypes.StringType)
          .add("unit_price", DataTypes.StringType)
          .add("file_date", DataTypes.DateType)
          .add("kind", DataTypes.StringType);

  /** Profile columns (written to customers/) then ground truth (written to truth/customers). */
  static final StructType CUSTOMER_SCHEMA =
      new StructType()
          .add("customer_id", DataTypes.StringType)
          .add("signup_date", DataTypes.DateType)
          .add("country", DataTypes.StringType)
          .add("channel", DataTypes.StringType)
          .add("age_band", DataTypes.StringType)
          .add("persona", DataTypes.StringType)
          .add("purchases_per_year", DataTypes.DoubleType)
          .add("dropout_probability", DataTypes.DoubleType)
          .add("spend_factor", DataTypes.DoubleType)
          .add("orders", DataTypes.IntegerType)
          .add("dropped_out", DataTypes.BooleanType)
          .add("last_purchase_date", DataTypes.DateType);

  static final String[] PROFILE = {"customer_id", "signup_date", "country", "channel", "age_band"};
  static final String[] TRUTH = {
    "customer_id",
    "persona",
    "purchases_per_year",
    "dropout_probability",
    "spend_factor",
    "orders",
    "dropped_out",
    "last_purchase_date"
  };

  private final SparkSession spark;
  private final GenerateSettings settings;

  public LakeGenerator(SparkSession spark, GenerateSettings settings) {
    this.spark = spark;
    this.settings = settings;
  }

  /** The generated order lines (with their kind), computed lazily on the executors. */
  public Dataset<Row> lines() {
    return simulate(true);
  }

  /** One row per customer: profile and ground truth ({@link #CUSTOMER_SCHEMA}). */
  public Dataset<Row> customers() {
    CustomerSimulator sim = new CustomerSimulator(settings, catalogue());
    JavaRDD<Row> rows =
        partitions()
            .flatMap(
                range ->
                    java.util.stream.LongStream.range(range[0], range[1])
                        .mapToObj(i -> sim.simulate(i, false).customer())
                        .iterator());
    return spark.createDataFrame(rows, CUSTOMER_SCHEMA);
  }

  private Dataset<Row> simulate(boolean withLines) {
    CustomerSimulator sim = new CustomerSimulator(settings, catalogue());
    JavaRDD<Row> rows =
        partitions()
            .flatMap(
                range ->
                    java.util.stream.LongStream.range(range[0], range[1])
                        .mapToObj(i -> sim.simulate(i, withLines).lines())
                        .flatMap(List::stream)
                        .iterator());
    return spark.createDataFrame(rows, LINE_SCHEMA);
  }

  private JavaRDD<long[]> partitions() {
    long n = settings.customers();
    int per = settings.customersPerPartition();
    List<long[]> ranges = new ArrayList<>();
    for (long lo = 0; lo < n; lo += per) {
      ranges.add(new long[] {lo, Math.min(n, lo + per)});
    }
    return JavaSparkContext.fromSparkContext(spark.sparkContext())
        .parallelize(ranges, ranges.size());
  }

  public Catalogue catalogue() {
    return new Catalogue(settings.products(), settings.seed());
  }

  /** Writes the lake (its own body: files, not tables); a run with the same parameters skips. */
  public GenerateResult generate(RunContext ctx) {
    Path out = new Path(settings.output());
    FileSystem fs =
        LakePaths.fileSystem(out, spark.sparkContext().hadoopConfiguration(), "generate.output");
    try {
      if (settings.fingerprint().equals(readManifestFingerprint(fs, out))) {
        LOG.info("{} already holds a lake generated with these parameters; nothing to do", out);
        return GenerateResult.skipped(settings.customers());
      }
      clearOutput(fs, out);

      ctx.phase("simulate " + settings.customers() + " customers and write order lines");
      Dataset<Row> lines = lines().persist(StorageLevel.MEMORY_AND_DISK());
      try {
        int files = writeOrderFiles(fs, out, lines);

        ctx.phase("write ground truth");
        Map<String, Long> kinds = writeGroundTruth(out, lines);
        long total = kinds.values().stream().mapToLong(Long::longValue).sum();

        ctx.phase("write customers");
        writeCustomers(out);
        writeManifest(fs, out, files, total, kinds);
        return new GenerateResult(settings.customers(), total, files, kinds, false);
      } finally {
        lines.unpersist();
      }
    } catch (IOException e) {
      throw new IllegalStateException("cannot write the generated lake to " + out + ": " + e, e);
    }
  }

  /** Deletes what a run with other parameters wrote. */
  private static void clearOutput(FileSystem fs, Path out) throws IOException {
    if (fs.exists(out)) {
      for (String sub : List.of("orders", "customers", "truth", MANIFEST)) {
        fs.delete(new Path(out, sub), true);
      }
    }
  }

  /**
   * One file per day of lines (without their kind), sorted by time, order and line, as a lake
   * receives drops: written partitioned by file_date to a staging folder, then moved into {@code
   * orders/}. Returns the number of files.
   */
  private int writeOrderFiles(FileSystem fs, Path out, Dataset<Row> lines) throws IOException {
    String ext = settings.format().extension;
    Path staging = new Path(out, "_staging_orders");
    fs.delete(staging, true);
    lines
        .drop("kind")
        .repartition(col("file_date"))
        .sortWithinPartitions("file_date", "order_ts", "order_id", "line_no")
        .write()
        .partitionBy("file_date")
        .option("header", "true")
        .format(ext)
        .save(staging.toString());
    int files = publishDailyFiles(fs, staging, new Path(out, "orders"), ext);
    LOG.info("{} daily order files under {}", files, new Path(out, "orders"));
    return files;
  }

  /**
   * {@code truth/anomalies}: every line that is not a clean sale (one file). Returns the lines per
   * kind, in the order of the kinds' names.
   */
  private static Map<String, Long> writeGroundTruth(Path out, Dataset<Row> lines) {
    lines
        .where(col("kind").notEqual(CustomerSimulator.OK))
        .select("order_id", "line_no", "customer_id", "file_date", "kind")
        .coalesce(1)
        .write()
        .parquet(new Path(out, "truth/anomalies").toString());
    Map<String, Long> kinds = new LinkedHashMap<>();
    for (Row r : lines.groupBy("kind").count().orderBy("kind").collectAsList()) {
      kinds.put(r.getString(0), r.getLong(1));
    }
    LOG.info("lines by kind: {}", kinds);
    return kinds;
  }

  /** {@code customers/}: the profiles (CSV); {@code truth/customers}: their ground truth. */
  private void writeCustomers(Path out) {
    Dataset<Row> customers = customers().persist(StorageLevel.MEMORY_AND_DISK());
    try {
      customers
          .selectExpr(PROFILE)
          .write()
          .option("header", "true")
          .csv(new Path(out, "customers").toString());
      customers.selectExpr(TRUTH).write().parquet(new Path(out, "truth/customers").toString());
    } finally {
      customers.unpersist();
    }
    LOG.info("{} customer profiles and their ground truth under {}", settings.customers(), out);
  }

  /** Moves {@code staging/file_date=D/part-*} to {@code orders/orders-D.ext}; returns the count. */
  private static int publishDailyFiles(FileSystem fs, Path staging, Path orders, String ext)
      throws IOException {
    fs.mkdirs(orders);
    int count = 0;
    for (FileStatus dir : fs.listStatus(staging)) {
      String name = dir.getPath().getName();
      if (!dir.isDirectory() || !name.startsWith("file_date=")) {
        continue;
      }
      String date = name.substring("file_date=".length());
      int part = 0;
      for (FileStatus f : fs.listStatus(dir.getPath())) {
        String fn = f.getPath().getName();
        if (!fn.startsWith("part-")) {
          continue;
        }
        String target = "orders-" + date + (part == 0 ? "" : "-" + part) + "." + ext;
        if (!fs.rename(f.getPath(), new Path(orders, target))) {
          throw new IOException("cannot move " + f.getPath() + " to " + orders);
        }
        part++;
        count++;
      }
    }
    fs.delete(staging, true);
    return count;
  }

  private void writeManifest(
      FileSystem fs, Path out, int files, long total, Map<String, Long> kinds) throws IOException {
    ObjectMapper json = new ObjectMapper();
    ObjectNode m = json.createObjectNode();
    m.put("fingerprint", settings.fingerprint());
    m.put("customers", settings.customers());
    m.put("start", settings.start().toString());
    m.put("end", settings.end().toString());
    m.put("seed", settings.seed());
    m.put("format", settings.format().extension);
    m.put("files", files);
    m.put("lines", total);
    ObjectNode k = m.putObject("lines_by_kind");
    kinds.forEach(k::put);
    try (OutputStream os = fs.create(new Path(out, MANIFEST), true)) {
      os.write(json.writerWithDefaultPrettyPrinter().writeValueAsBytes(m));
    }
  }

  private static String readManifestFingerprint(FileSystem fs, Path out) throws IOException {
    Path p = new Path(out, MANIFEST);
    if (!fs.exists(p)) {
      return null;
    }
    try (InputStream in = fs.open(p)) {
      return new ObjectMapper()
          .readTree(new String(in.readAllBytes(), StandardCharsets.UTF_8))
          .path("fingerprint")
          .asText(null);
    }
  }
}
