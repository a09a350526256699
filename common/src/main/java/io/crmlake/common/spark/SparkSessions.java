package io.crmlake.common.spark;

import io.crmlake.common.config.ConfigError;
import io.crmlake.common.config.CrmlakeConfig;
import io.crmlake.common.config.CrmlakeConfig.CatalogType;
import io.crmlake.common.lake.Lake;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import java.util.function.Function;
import org.apache.spark.SparkConf;
import org.apache.spark.sql.SparkSession;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The one place a SparkSession is built. It configures Delta (SQL extension and catalog), UTC
 * session time, the catalog mode and the application name {@code <spark.app-name>-<job>}. The
 * master comes from {@code spark.master} in the config only when spark-submit has not already set
 * one; it is never hard-coded. Likewise a {@code spark.conf} entry of the config applies unless
 * spark-submit ({@code --conf}) set that key.
 */
public final class SparkSessions {
  private static final Logger LOG = LoggerFactory.getLogger(SparkSessions.class);

  /** Delta's setting: the partitions a table's log is read in. */
  static final String SNAPSHOT_PARTITIONS = "spark.databricks.delta.snapshotPartitions";

  /** Spark's setting: the most fields of a plan node it describes before truncating. */
  static final String MAX_TO_STRING_FIELDS = "spark.sql.debug.maxToStringFields";

  private SparkSessions() {}

  /**
   * Runs {@code body} with a session for {@code job}, and stops the session afterwards unless it
   * was already running when called (an embedding application's or a test's).
   */
  public static <T> T with(CrmlakeConfig config, String job, Function<SparkSession, T> body) {
    boolean owned = SparkSession.getActiveSession().isEmpty();
    SparkSession spark = create(config, job);
    try {
      return body.apply(spark);
    } finally {
      if (owned) {
        spark.stop();
      }
    }
  }

  /**
   * A master from the config file or {@code --set} is used only when spark-submit did not set one,
   * that is when crmlake runs in the launcher's JVM: its classes then reach no executor of a
   * cluster (tasks would fail deep inside Spark). So a cluster master there is a usage error unless
   * {@code spark.jars} ships the application jar.
   */
  static String checkLocal(String master, CrmlakeConfig config) {
    boolean local = master.startsWith("local");
    boolean shipsJar =
        config.spark().conf().containsKey("spark.jars") || new SparkConf().contains("spark.jars");
    if (!local && !shipsJar) {
      throw ConfigError.invalid(
          "spark.master",
          master,
          "is a cluster, but bin/crmlake runs Spark inside its own JVM and the executors would"
              + " not have crmlake's classes: submit the application jar with bin/spark-submit"
              + " (README, Running on a cluster), or set spark.conf.\"spark.jars\" to it");
    }
    return master;
  }

  /**
   * A session for {@code job}: Delta, UTC, the catalog, the config's Spark settings (unless
   * spark-submit set them) and crmlake's defaults for local masters; the lake's tables registered.
   */
  public static SparkSession create(CrmlakeConfig config, String job) {
    SparkConf submitted = new SparkConf(); // what spark-submit or -Dspark.* already set
    SparkSession.Builder builder =
        SparkSession.builder()
            .appName(config.spark().appName() + "-" + job)
            .config("spark.sql.extensions", "io.delta.sql.DeltaSparkSessionExtension")
            .config(
                "spark.sql.catalog.spark_catalog",
                "org.apache.spark.sql.delta.catalog.DeltaCatalog")
            .config("spark.sql.session.timeZone", "UTC");
    if (!submitted.contains("spark.master")) {
      config.spark().master().ifPresent(master -> builder.master(checkLocal(master, config)));
    }
    catalog(builder, config);
    for (Map.Entry<String, String> e : config.spark().conf().entrySet()) {
      if (!submitted.contains(e.getKey())) { // spark-submit --conf wins over the config file
        builder.config(e.getKey(), e.getValue());
      }
    }
    defaults(submitted, config)
        .forEach(
            (k, v) -> {
              if (!submitted.contains(k) && !config.spark().conf().containsKey(k)) {
                builder.config(k, v);
              }
            });
    SparkSession spark = builder.getOrCreate();
    readDeltaLogsPerCore(spark);
    LOG.info(
        "Spark {} session {} on {} (catalog {}, lake {})",
        spark.version(),
        spark.sparkContext().appName(),
        spark.sparkContext().master(),
        config.lake().catalog().name().toLowerCase(Locale.ROOT),
        config.lake().root());
    if (config.lake().catalog() == CatalogType.LAKE) {
      new Lake(spark, config.lake()).registerAll(); // in hive mode the metastore has them
    }
    return spark;
  }

  /** The Hive metastore, or the lake's own folders as the catalog. */
  private static void catalog(SparkSession.Builder builder, CrmlakeConfig config) {
    if (config.lake().catalog() == CatalogType.HIVE) {
      builder.enableHiveSupport();
    } else {
      builder
          .config("spark.sql.catalogImplementation", "in-memory")
          .config("spark.sql.warehouse.dir", config.lake().root() + "/_catalog");
    }
  }

  /**
   * crmlake's defaults, each applied unless spark-submit or the config sets it. In local mode a
   * fatal error in a task (a StackOverflowError) would exit the JVM with code 50; this makes it
   * fail the job instead, so the run is logged and recorded ({@link FatalErrors}); local files are
   * created without a chmod process each ({@link LocalFiles}). Everywhere: plans are described with
   * all their columns (the gold tables are wider than Spark's default of 25, which made Spark warn
   * that it truncated a plan's description).
   */
  static Map<String, String> defaults(SparkConf submitted, CrmlakeConfig config) {
    String master =
        submitted.contains("spark.master")
            ? submitted.get("spark.master")
            : config.spark().master().orElse(null);
    Map<String, String> defaults = new LinkedHashMap<>(FatalErrors.sparkConf(master));
    defaults.putAll(LocalFiles.sparkConf(master));
    defaults.put(MAX_TO_STRING_FIELDS, "200");
    return defaults;
  }

  /**
   * Delta reads a table's log in 50 tasks by default: most of the time of every first read of a
   * small table on a laptop. There one task per core, up to Delta's 50, unless set. A cluster's
   * cores are not known before its executors join: it keeps Delta's 50.
   */
  private static void readDeltaLogsPerCore(SparkSession spark) {
    if (spark.sparkContext().isLocal() && !spark.conf().contains(SNAPSHOT_PARTITIONS)) {
      spark
          .conf()
          .set(
              SNAPSHOT_PARTITIONS,
              Math.min(50, Math.max(1, spark.sparkContext().defaultParallelism())));
    }
  }
}
