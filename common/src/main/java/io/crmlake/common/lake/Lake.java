package io.crmlake.common.lake;

import io.crmlake.common.config.ConfigError;
import io.crmlake.common.config.CrmlakeConfig.CatalogType;
import io.crmlake.common.config.CrmlakeConfig.LakeSettings;
import io.crmlake.common.config.LakePaths;
import io.delta.tables.DeltaTable;
import java.io.IOException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.stream.Collectors;
import org.apache.hadoop.fs.FileStatus;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The thin I/O layer around the jobs: where each table lives ({@code <root>/<layer>/<table>}),
 * Delta reads, atomic overwrites, appends and insert-only merges, and catalog registration so that
 * {@code silver.transactions} resolves by name.
 *
 * <p>With {@code lake.catalog = lake} (the local default) the lake folder is the catalog: each new
 * session registers the Delta tables it finds under the root in Spark's in-memory catalog. There is
 * no metastore database, hence no single-process lock: a query can run while a job writes. With
 * {@code lake.catalog = hive} the tables are registered in the cluster's metastore.
 */
public final class Lake {
  private static final Logger LOG = LoggerFactory.getLogger(Lake.class);

  private final SparkSession spark;
  private final LakeSettings settings;

  public Lake(SparkSession spark, LakeSettings settings) {
    this.spark = spark;
    this.settings = settings;
  }

  public SparkSession spark() {
    return spark;
  }

  public String root() {
    return settings.root();
  }

  public String path(TableId table) {
    return settings.root() + "/" + table.layer() + "/" + table.name();
  }

  public boolean exists(TableId table) {
    return DeltaTable.isDeltaTable(spark, path(table));
  }

  /** Reads a table; a missing table is an error that says which job writes it. */
  public Dataset<Row> read(TableId table) {
    if (!exists(table)) {
      throw new MissingTableException(table, path(table));
    }
    return spark.read().format("delta").load(path(table));
  }

  /** Replaces the table's content in one Delta commit; readers see the old or the new version. */
  public void overwrite(TableId table, Dataset<Row> data, String... partitionBy) {
    data.write()
        .format("delta")
        .mode("overwrite")
        .option("overwriteSchema", "true")
        .partitionBy(partitionBy)
        .save(path(table));
    register(table);
  }

  /**
   * Replaces the rows whose {@code column} equals {@code value} (a date or string) in one Delta
   * commit, leaving every other value's rows as they were; the table is partitioned by {@code
   * column}. New columns are added to the table's schema. Each row of {@code data} must carry that
   * value (Delta checks it).
   */
  public void replacePartition(TableId table, Dataset<Row> data, String column, Object value) {
    if (!exists(table)) {
      data.write().format("delta").partitionBy(column).save(path(table));
    } else {
      data.write()
          .format("delta")
          .mode("overwrite")
          .option("replaceWhere", column + " = '" + String.valueOf(value).replace("'", "''") + "'")
          .option("mergeSchema", "true")
          .save(path(table));
    }
    register(table);
  }

  /** Appends in one Delta commit (creating the table if needed). */
  public void append(TableId table, Dataset<Row> data) {
    data.write().format("delta").mode("append").save(path(table));
    register(table);
  }

  /**
   * Inserts the rows whose key is not yet in the table, in one Delta commit (MERGE with only a
   * not-matched insert). The caller makes keys unique within {@code data}. Returns the number of
   * rows inserted.
   */
  public long insertNew(TableId table, Dataset<Row> data, String... keys) {
    if (!exists(table)) {
      append(table, data);
      return lastOperationMetric(table, "numOutputRows");
    }
    String condition =
        Arrays.stream(keys).map(k -> "t." + k + " = s." + k).collect(Collectors.joining(" AND "));
    DeltaTable target = DeltaTable.forPath(spark, path(table));
    long before = target.history(1).first().<Long>getAs("version");
    target.as("t").merge(data.as("s"), condition).whenNotMatched().insertAll().execute();
    register(table);
    // A merge that inserts nothing commits nothing: the version tells.
    long after = target.history(1).first().<Long>getAs("version");
    return after == before ? 0L : lastOperationMetric(table, "numTargetRowsInserted");
  }

  private long lastOperationMetric(TableId table, String metric) {
    Row last = DeltaTable.forPath(spark, path(table)).history(1).select("operationMetrics").first();
    scala.collection.Map<String, String> metrics = last.getMap(0);
    return metrics.contains(metric) ? Long.parseLong(metrics.apply(metric)) : -1L;
  }

  /**
   * Registers a table by name (idempotent). In the lake catalog the name is re-pointed at this
   * lake's path: the registration is session metadata only (the tables are external, so dropping
   * the name never touches the data), and a session may have registered the name for another lake
   * root before.
   */
  public void register(TableId table) {
    String location = path(table).replace("'", "\\'");
    if (settings.catalog() == CatalogType.LAKE) {
      spark.sql(
          "CREATE DATABASE IF NOT EXISTS "
              + table.layer()
              + " LOCATION '"
              + settings.root().replace("'", "\\'")
              + "/"
              + table.layer()
              + "'");
      spark.sql("DROP TABLE IF EXISTS " + table.sqlName());
    } else {
      spark.sql("CREATE DATABASE IF NOT EXISTS " + table.layer());
    }
    spark.sql(
        "CREATE TABLE IF NOT EXISTS "
            + table.sqlName()
            + " USING delta LOCATION '"
            + location
            + "'");
  }

  /** Registers every Delta table found under the lake root. Returns what it registered. */
  public List<TableId> registerAll() {
    List<TableId> found = listTables();
    for (TableId t : found) {
      register(t);
    }
    LOG.debug("registered {} tables from {}", found.size(), settings.root());
    return found;
  }

  /** The Delta tables present in the lake, by layer then name. */
  public List<TableId> listTables() {
    List<TableId> found = new ArrayList<>();
    Path root = new Path(settings.root());
    FileSystem fs =
        LakePaths.fileSystem(root, spark.sparkContext().hadoopConfiguration(), "lake.root");
    try {
      for (String layer : Tables.LAYERS) {
        Path layerPath = new Path(root, layer);
        if (!fs.exists(layerPath)) {
          continue;
        }
        FileStatus[] children = fs.listStatus(layerPath);
        Arrays.sort(children);
        for (FileStatus child : children) {
          if (child.isDirectory() && fs.exists(new Path(child.getPath(), "_delta_log"))) {
            found.add(TableId.of(layer, child.getPath().getName()));
          }
        }
      }
    } catch (IOException e) {
      throw new IllegalStateException("cannot list the lake at " + root + ": " + e, e);
    }
    return found;
  }

  /** A table a job needs does not exist yet. */
  public static final class MissingTableException extends ConfigError {
    public MissingTableException(TableId table, String path) {
      super(
          "table "
              + table
              + " does not exist yet (expected at "
              + path
              + "); run the job that writes it first (see README, table reference)");
    }
  }
}
