package io.crmlake.common.lake;

import io.crmlake.common.config.ConfigError;
import io.crmlake.common.config.CrmlakeConfig.CatalogType;
import io.crmlake.common.config.CrmlakeConfig.LakeSettings;
import io.crmlake.common.config.LakePaths;
import io.delta.tables.DeltaTable;
import java.io.IOException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.stream.Collectors;
import org.apache.hadoop.fs.FileStatus;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;
import org.apache.spark.sql.Column;
import org.apache.spark.sql.DataFrameWriterV2;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.connector.catalog.TableCatalog;
import org.apache.spark.sql.functions;
import org.apache.spark.sql.types.StructField;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The thin I/O layer around the jobs: where each table lives ({@code <root>/<layer>/<table>}),
 * Delta reads, writes in the mode each table's declaration gives (atomic overwrites, partition
 * replacements, appends and insert-only merges) with the declared comments, and catalog
 * registration so that {@code silver.transactions} resolves by name.
 *
 * <p>With {@code lake.catalog = lake} (the local default) the lake folder is the catalog: each new
 * session registers the Delta tables it finds under the root in Spark's in-memory catalog. There is
 * no metastore database, hence no single-process lock: a query can run while a job writes. With
 * {@code lake.catalog = hive} the tables are registered in the cluster's metastore.
 */
public final class Lake {
  private static final Logger LOG = LoggerFactory.getLogger(Lake.class);

  /** Tables whose comments this JVM has checked (path and declaration). */
  private static final java.util.Set<String> DESCRIBED =
      java.util.concurrent.ConcurrentHashMap.newKeySet();

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

  public boolean exists(Table table) {
    return exists(table.id());
  }

  public boolean exists(TableId table) {
    return DeltaTable.isDeltaTable(spark, path(table));
  }

  public String path(Table table) {
    return path(table.id());
  }

  /** Reads a table; a missing table is an error (exit 2) that names the job that writes it. */
  public Dataset<Row> read(Table table) {
    if (!exists(table)) {
      throw new MissingTableException(table, path(table));
    }
    return spark.read().format("delta").load(path(table));
  }

  /** The bytes of a table's current data files (its Delta snapshot), 0 when it does not exist. */
  public long sizeInBytes(Table table) {
    if (!exists(table)) {
      return 0;
    }
    return DeltaTable.forPath(spark, path(table)).detail().select("sizeInBytes").first().getLong(0);
  }

  /**
   * Writes a run's rows to a table the way its declaration says, in one Delta commit, then brings
   * the Delta table and column comments in line with the declaration. {@code rows} must already
   * conform to the declaration ({@link Table#conform}); {@code partition} is the value a
   * replace-partition write replaces.
   */
  public void write(Table table, Dataset<Row> rows, Optional<Object> partition) {
    if (!exists(table)) {
      create(table, rows);
      return;
    }
    switch (table.mode()) {
      case OVERWRITE -> overwrite(table, rows);
      case REPLACE_PARTITION ->
          replacePartition(
              table,
              rows,
              table.partitionBy().get(0),
              partition.orElseThrow(
                  () -> new IllegalArgumentException(table + ": no partition value to replace")));
      case APPEND -> append(table, rows);
      case INSERT_NEW -> insertNew(table, rows);
      case MERGE -> merge(table, rows, stampsOf(table, partition));
      case UPSERT -> upsert(table, rows, partition.filter(WHOLE::equals).isPresent());
    }
    if (DESCRIBED.add(path(table) + "\u0000" + table.hashCode())) {
      describe(table);
    }
  }

  /**
   * Replaces the table's content in one Delta commit. Jobs write through the runner ({@code
   * JobRunner}, a layer above); this is for test fixtures and tools.
   */
  public void overwrite(Table table, Dataset<Row> data) {
    if (!exists(table)) {
      create(table, data);
      return;
    }
    data.write()
        .format("delta")
        .mode("overwrite")
        .option("overwriteSchema", "true")
        .partitionBy(table.partitionBy().toArray(new String[0]))
        .save(path(table));
    register(table.id());
  }

  /**
   * Replaces the rows whose partition column equals {@code value} (a date or string), leaving every
   * other value's rows as they were. New columns are added to the table's schema. Each row of
   * {@code data} must carry that value (Delta checks it).
   */
  private void replacePartition(Table table, Dataset<Row> data, String column, Object value) {
    // Only called for an existing table: write() creates new ones.
    data.write()
        .format("delta")
        .mode("overwrite")
        .option("replaceWhere", column + " = '" + String.valueOf(value).replace("'", "''") + "'")
        .option("mergeSchema", "true")
        .save(path(table));
    register(table.id());
  }

  private void append(Table table, Dataset<Row> data) {
    data.write().format("delta").mode("append").option("mergeSchema", "true").save(path(table));
    register(table.id());
  }

  /**
   * Inserts the rows whose key is not yet in the table (MERGE with only a not-matched insert). The
   * caller makes keys unique within {@code data}. A merge that inserts nothing commits nothing.
   */
  private void insertNew(Table table, Dataset<Row> data) {
    String condition = keysMatch(table);
    DeltaTable.forPath(spark, path(table))
        .as("t")
        .merge(data.as("s"), condition)
        .whenNotMatched()
        .insertAll()
        .execute();
    register(table.id());
  }

  /** The MERGE condition of a keyed table: target t and source s agree on every key. */
  private static String keysMatch(Table table) {
    return table.keys().stream()
        .map(k -> "t." + k + " = s." + k)
        .collect(Collectors.joining(" AND "));
  }

  /**
   * Upserts a run's rows into a {@link Table.WriteMode#UPSERT} table in one commit: a row whose key
   * is in the table is updated only when a column differs (null-safe), a new key is inserted, and
   * no other row is touched, unless {@code whole} says the rows are all of the table's: then the
   * rows whose keys they lack are deleted. {@code data} must have unique keys.
   */
  private void upsert(Table table, Dataset<Row> data, boolean whole) {
    io.delta.tables.DeltaMergeBuilder merge =
        DeltaTable.forPath(spark, path(table))
            .as("t")
            .merge(data.as("s"), keysMatch(table))
            .whenMatched(changed(table, List.of()))
            .updateAll()
            .whenNotMatched()
            .insertAll();
    if (whole) {
      merge = merge.whenNotMatchedBySource().delete();
    }
    merge.execute();
    register(table.id());
  }

  /** Marks an upsert's rows as all of the table's rows: keys they lack are deleted. */
  public static final String WHOLE = "whole table";

  /** True when a column other than the keys and {@code except} differs between t and s. */
  private static String changed(Table table, List<String> except) {
    return Arrays.stream(table.schema().fieldNames())
        .filter(c -> !table.keys().contains(c) && !except.contains(c))
        .map(c -> "NOT (t.`" + c + "` <=> s.`" + c + "`)")
        .collect(Collectors.joining(" OR "));
  }

  @SuppressWarnings("unchecked")
  private static Map<String, Object> stampsOf(Table table, Optional<Object> values) {
    if (values.isEmpty() || !(values.get() instanceof Map<?, ?>)) {
      throw new IllegalArgumentException(table + ": no stamp values for the rows it flags");
    }
    return (Map<String, Object>) values.get();
  }

  /**
   * Merges a run's rows into a {@link Table.WriteMode#MERGE} table in one commit: a row whose key
   * is in the table is updated only when a column other than the stamps differs (null-safe); a new
   * key is inserted; a row still flagged in scope whose key the run no longer has gets the flag set
   * to false and {@code stamps} (the run's stamp values). {@code data} must have unique keys.
   */
  private void merge(Table table, Dataset<Row> data, Map<String, Object> stamps) {
    Table.Merge m = table.merge().orElseThrow();
    String on = keysMatch(table);
    String changed = changed(table, m.stamps());
    Map<String, Column> flagged = new HashMap<>();
    flagged.put(m.flag(), functions.lit(false));
    for (String c : m.stamps()) {
      if (!stamps.containsKey(c)) {
        throw new IllegalArgumentException(table + ": no value for stamp column " + c);
      }
      flagged.put(c, functions.lit(stamps.get(c)).cast(table.schema().apply(c).dataType()));
    }
    DeltaTable.forPath(spark, path(table))
        .as("t")
        .merge(data.as("s"), on)
        .whenMatched(changed)
        .updateAll()
        .whenNotMatched()
        .insertAll()
        .whenNotMatchedBySource("t.`" + m.flag() + "`")
        .update(flagged)
        .execute();
    register(table.id());
  }

  /**
   * The operation metrics Delta recorded for the newest commit of {@code table} whose operation is
   * {@code operation} (e.g. MERGE or CREATE TABLE AS SELECT), with the commit's version and
   * userMetadata; empty if the last 20 commits have none.
   */
  public Map<String, String> lastCommitMetrics(Table table, String... operations) {
    List<String> wanted = List.of(operations);
    for (Row r :
        DeltaTable.forPath(spark, path(table))
            .history(20)
            .select("version", "operation", "operationMetrics", "userMetadata")
            .collectAsList()) {
      if (wanted.contains(r.getString(1))) {
        Map<String, String> out = new java.util.LinkedHashMap<>();
        out.put("version", String.valueOf(r.getLong(0)));
        out.put("operation", r.getString(1));
        out.put("userMetadata", r.isNullAt(3) ? "" : r.getString(3));
        if (!r.isNullAt(2)) {
          out.putAll(scala.jdk.javaapi.CollectionConverters.asJava(r.<String, String>getMap(2)));
        }
        return out;
      }
    }
    return Map.of();
  }

  /**
   * Creates the table with its first rows, its comment, its column comments and its partitioning in
   * one Delta commit (version 0), so that a table's first run, like every later one, is one commit.
   */
  private void create(Table table, Dataset<Row> data) {
    removeLeftover(table);
    DataFrameWriterV2<Row> writer =
        data.writeTo("delta.`" + path(table).replace("`", "``") + "`")
            .using("delta")
            .tableProperty(TableCatalog.PROP_COMMENT, table.comment());
    for (Map.Entry<String, String> p : table.properties().entrySet()) {
      writer = writer.tableProperty(p.getKey(), p.getValue());
    }
    if (!table.partitionBy().isEmpty()) {
      Column[] cols = table.partitionBy().stream().map(functions::col).toArray(Column[]::new);
      writer = writer.partitionedBy(cols[0], java.util.Arrays.copyOfRange(cols, 1, cols.length));
    }
    try {
      writer.create();
    } catch (org.apache.spark.sql.AnalysisException e) {
      throw new IllegalStateException(
          "cannot create " + table + " at " + path(table) + ": " + e, e);
    }
    register(table.id());
  }

  /**
   * Deletes what a killed first write of {@code table} left at its path — data files, maybe an
   * empty {@code _delta_log}, but no committed transaction log — which is not a table and would
   * make creating it fail. Only the job that writes the table, holding its job lock, gets here.
   */
  private void removeLeftover(Table table) {
    Path p = new Path(path(table));
    try {
      FileSystem fs = p.getFileSystem(spark.sparkContext().hadoopConfiguration());
      if (fs.exists(p)) {
        Path log = new Path(p, "_delta_log");
        if (fs.exists(log)
            && java.util.Arrays.stream(fs.listStatus(log))
                .anyMatch(s -> s.getPath().getName().matches("\\d+\\.(json|checkpoint.*)"))) {
          // Its first commit landed after we looked: another run created it meanwhile.
          throw new IllegalStateException(
              table + " at " + p + " was created by another run while this one was writing it");
        }
        LOG.warn(
            "{}: {} holds files but no committed Delta transaction log (a first write that was"
                + " killed); deleting them before creating the table",
            table,
            p);
        fs.delete(p, true);
      }
    } catch (IOException e) {
      throw new IllegalStateException(
          "cannot remove the uncommitted files at " + p + " before creating " + table + ": " + e,
          e);
    }
  }

  /**
   * Sets the Delta table comment and column comments to the declaration's where they differ, and
   * the declared table properties the table lacks (a table written before they were declared, or
   * whose comments changed; a property no longer declared is left as it is). A table that already
   * agrees gets no commit. Checked once per table and declaration in a JVM.
   */
  void describe(Table table) {
    String target = "delta.`" + path(table).replace("`", "``") + "`";
    // DESCRIBE reads the table's metadata only (DeltaTable.detail() would compute file statistics).
    String description = null;
    Map<String, String> comments = new HashMap<>();
    boolean columns = true;
    for (Row r : spark.sql("DESCRIBE TABLE EXTENDED " + target).collectAsList()) {
      String name = r.getString(0);
      if (name == null || name.isBlank() || name.startsWith("#")) {
        columns = false;
      } else if (columns) {
        comments.put(name, r.isNullAt(2) ? "" : r.getString(2));
      } else if (name.equals("Comment")) {
        description = r.getString(1);
      }
    }
    if (!table.comment().equals(description)) {
      spark.sql(
          "ALTER TABLE "
              + target
              + " SET TBLPROPERTIES ('comment' = "
              + quote(table.comment())
              + ")");
    }
    Map<String, String> properties = new HashMap<>();
    for (Row r : spark.sql("SHOW TBLPROPERTIES " + target).collectAsList()) {
      properties.put(r.getString(0), r.getString(1));
    }
    String missing =
        table.properties().entrySet().stream()
            .filter(p -> !p.getValue().equals(properties.get(p.getKey())))
            .map(p -> quote(p.getKey()) + " = " + quote(p.getValue()))
            .collect(Collectors.joining(", "));
    if (!missing.isEmpty()) {
      spark.sql("ALTER TABLE " + target + " SET TBLPROPERTIES (" + missing + ")");
    }
    for (StructField f : table.schema().fields()) {
      String want = Table.commentOf(f);
      if (comments.containsKey(f.name()) && !want.equals(comments.get(f.name()))) {
        spark.sql(
            "ALTER TABLE " + target + " ALTER COLUMN `" + f.name() + "` COMMENT " + quote(want));
      }
    }
  }

  private static String quote(String text) {
    return "'" + text.replace("\\", "\\\\").replace("'", "\\'") + "'";
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
      for (String layer : TableId.LAYERS) {
        Path layerPath = new Path(root, layer);
        if (!fs.exists(layerPath)) {
          continue;
        }
        FileStatus[] children = fs.listStatus(layerPath);
        Arrays.sort(children);
        for (FileStatus child : children) {
          if (!child.isDirectory() || child.getPath().getName().startsWith("_")) {
            continue;
          }
          if (DeltaTable.isDeltaTable(spark, child.getPath().toString())) {
            found.add(TableId.of(layer, child.getPath().getName()));
          } else if (fs.listStatus(child.getPath()).length > 0) {
            LOG.warn(
                "{} holds files but no committed Delta transaction log (a first write that was"
                    + " killed?): not a table, skipped; the next write of {}.{} starts it afresh",
                child.getPath(),
                layer,
                child.getPath().getName());
          }
        }
      }
    } catch (IOException e) {
      throw new IllegalStateException("cannot list the lake at " + root + ": " + e, e);
    }
    return found;
  }

  /** A table a job needs does not exist yet: names the job to run first. */
  public static final class MissingTableException extends ConfigError {
    public MissingTableException(Table table, String path) {
      super(
          table
              + " does not exist yet: "
              + table.howToCreate()
              + " first (no Delta table at "
              + path
              + ")");
    }
  }
}
