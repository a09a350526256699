package io.crmlake.common.lake;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.crmlake.common.config.CrmlakeConfig;
import io.crmlake.common.testing.DatasetAssert;
import io.crmlake.common.testing.SparkTestBase;
import io.delta.tables.DeltaTable;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructType;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class LakeTest extends SparkTestBase {
  static final Table T =
      Table.builder("silver", "things", "test")
          .comment("Things, by id.")
          .insertNew("id")
          .column("id", DataTypes.StringType, "The thing's id.")
          .column("n", DataTypes.IntegerType, "How many.")
          .build();
  static final StructType SCHEMA = T.schema();

  @TempDir Path dir;

  private Dataset<Row> rows(Object[]... values) {
    return spark.createDataFrame(
        java.util.Arrays.stream(values).map(RowFactory::create).toList(), SCHEMA);
  }

  private long versions(Lake lake) {
    return DeltaTable.forPath(spark, lake.path(T)).history().count();
  }

  /**
   * A first write killed before its commit leaves data files (and perhaps an empty {@code
   * _delta_log}) but no transaction log: that folder is not a table — the catalog skips it, reads
   * say the table does not exist — and the next write creates the table as if nothing happened.
   */
  @Test
  void aFolderLeftByAKilledFirstWriteIsNotATableAndTheNextWriteStartsAfresh() throws Exception {
    Lake lake = lake(config(dir));
    rows(new Object[] {"ghost", 9}).write().parquet(lake.path(T) + "/part-leftover");
    java.nio.file.Files.createDirectories(
        Path.of(java.net.URI.create(lake.path(T))).resolve("_delta_log"));
    assertFalse(lake.exists(T));
    assertEquals(List.of(), lake.listTables());
    lake.registerAll();
    assertThrows(Lake.MissingTableException.class, () -> lake.read(T));

    lake.write(T, rows(new Object[] {"a", 1}), Optional.empty());
    DatasetAssert.assertSameRows(rows(new Object[] {"a", 1}), lake.read(T));
    assertEquals(List.of(T.id()), lake.listTables());
    lake.registerAll();
    assertEquals(1L, spark.table("silver.things").count());
  }

  @Test
  void insertNewKeepsExistingKeysAndAddsOnlyNewOnes() {
    Lake lake = lake(config(dir));
    lake.write(T, rows(new Object[] {"a", 1}, new Object[] {"b", 2}), Optional.empty());
    long created = versions(lake);
    lake.write(T, rows(new Object[] {"b", 20}, new Object[] {"c", 3}), Optional.empty());
    assertEquals(created + 1, versions(lake), "one commit");
    lake.write(T, rows(new Object[] {"a", 10}), Optional.empty());
    assertEquals(created + 1, versions(lake), "a merge that inserts nothing commits nothing");
    DatasetAssert.assertSameRows(
        rows(new Object[] {"a", 1}, new Object[] {"b", 2}, new Object[] {"c", 3}), lake.read(T));
    Row detail = DeltaTable.forPath(spark, lake.path(T)).detail().first();
    assertEquals("Things, by id.", detail.getAs("description"));
    assertEquals(
        "How many.",
        Table.commentOf(DeltaTable.forPath(spark, lake.path(T)).toDF().schema().apply("n")));
  }

  @Test
  void aTableWrittenBeforeItsCommentsWereDeclaredGetsThem() {
    Lake lake = lake(config(dir));
    rows(new Object[] {"a", 1}).write().format("delta").save(lake.path(T));
    assertNull(DeltaTable.forPath(spark, lake.path(T)).detail().first().getAs("description"));
    lake.write(T, rows(new Object[] {"b", 2}), Optional.empty());
    DeltaTable delta = DeltaTable.forPath(spark, lake.path(T));
    assertEquals("Things, by id.", delta.detail().first().getAs("description"));
    assertEquals("The thing's id.", Table.commentOf(delta.toDF().schema().apply("id")));
    assertEquals("How many.", Table.commentOf(delta.toDF().schema().apply("n")));
    assertEquals(2, lake.read(T).count());
  }

  static final Table TAGGED =
      Table.builder("silver", "tagged", "test")
          .comment("Tagged things, by id.")
          .insertNew("id")
          .withoutDictionary("kind", "tags.key_value.value")
          .column("id", DataTypes.StringType, "The thing's id.")
          .column("kind", DataTypes.StringType, "One of three kinds.")
          .column("size", DataTypes.StringType, "One of two sizes.")
          .column(
              "tags",
              DataTypes.createMapType(DataTypes.StringType, DataTypes.StringType),
              "Tag values by tag name.")
          .build();

  private Dataset<Row> tagged(int from, int to) {
    List<Row> rows = new java.util.ArrayList<>();
    for (int i = from; i < to; i++) {
      rows.add(
          RowFactory.create(
              "id-" + i,
              "kind-" + (i % 3),
              "size-" + (i % 2),
              scala.jdk.javaapi.CollectionConverters.asScala(
                  java.util.Map.of("batch", "b-" + (i % 5), "colour", "c-" + (i % 2)))));
    }
    return spark.createDataFrame(rows, TAGGED.schema());
  }

  /**
   * Whether each Parquet column (by dotted path) of the table's data files has a dictionary page in
   * any row group, read from the files' footers.
   */
  private java.util.Map<String, Boolean> dictionaryPages(String tablePath) throws Exception {
    return dictionaryPages(tablePath, java.util.Set.of());
  }

  /** As {@link #dictionaryPages(String)}, over the data files not in {@code skip}. */
  private java.util.Map<String, Boolean> dictionaryPages(String tablePath, java.util.Set<Path> skip)
      throws Exception {
    java.util.Map<String, Boolean> out = new java.util.TreeMap<>();
    for (Path f : dataFiles(tablePath)) {
      if (skip.contains(f)) {
        continue;
      }
      try (var reader =
          org.apache.parquet.hadoop.ParquetFileReader.open(
              org.apache.parquet.hadoop.util.HadoopInputFile.fromPath(
                  new org.apache.hadoop.fs.Path(f.toUri()),
                  spark.sparkContext().hadoopConfiguration()))) {
        for (var block : reader.getFooter().getBlocks()) {
          for (var column : block.getColumns()) {
            out.merge(
                column.getPath().toDotString(), column.hasDictionaryPage(), Boolean::logicalOr);
          }
        }
      }
    }
    return out;
  }

  private static java.util.Set<Path> dataFiles(String tablePath) throws Exception {
    try (var files = java.nio.file.Files.walk(Path.of(java.net.URI.create(tablePath)))) {
      return files
          .filter(x -> x.toString().endsWith(".parquet") && !x.toString().contains("_delta_log"))
          .collect(java.util.stream.Collectors.toSet());
    }
  }

  /**
   * Columns declared without dictionary are written without one, by the write that creates the
   * table and by later merges; the others keep theirs. (The test declares columns of few values,
   * which Parquet would otherwise encode with a dictionary; for nearly unique values it builds one
   * and then drops it.) A table created before the declaration gets the property from its next
   * write on.
   */
  @Test
  void columnsDeclaredWithoutDictionaryAreWrittenWithoutOne() throws Exception {
    Lake lake = lake(config(dir));
    lake.write(TAGGED, tagged(0, 500), Optional.empty());
    lake.write(TAGGED, tagged(400, 900), Optional.empty());
    assertEquals(900, lake.read(TAGGED).count());
    assertEquals(
        java.util.Map.of(
            // id is undeclared: Parquet drops the dictionary of unique values by itself.
            "id", false,
            "kind", false,
            "size", true,
            "tags.key_value.key", true,
            "tags.key_value.value", false),
        dictionaryPages(lake.path(TAGGED)));

    Lake other = lake(config(dir.resolve("old")));
    tagged(0, 500).write().format("delta").save(other.path(TAGGED));
    assertEquals(true, dictionaryPages(other.path(TAGGED)).get("kind"), "Parquet's default");
    other.write(TAGGED, tagged(500, 600), Optional.empty());
    java.util.Map<String, String> properties = new java.util.HashMap<>();
    for (Row r :
        spark.sql("SHOW TBLPROPERTIES delta.`" + other.path(TAGGED) + "`").collectAsList()) {
      properties.put(r.getString(0), r.getString(1));
    }
    assertEquals("false", properties.get("parquet.enable.dictionary#kind"));
    assertEquals("false", properties.get("parquet.enable.dictionary#tags.key_value.value"));
    java.util.Set<Path> before = dataFiles(other.path(TAGGED));
    other.write(TAGGED, tagged(600, 900), Optional.empty());
    java.util.Map<String, Boolean> added = dictionaryPages(other.path(TAGGED), before);
    assertEquals(false, added.get("kind"), "files written after the property was set: " + added);
    assertEquals(true, added.get("size"), "files written after the property was set: " + added);
  }

  @Test
  void aColumnDeclaredWithoutDictionaryMustBeAParquetColumn() {
    IllegalStateException e =
        assertThrows(
            IllegalStateException.class,
            () ->
                Table.builder("silver", "bad", "test")
                    .comment("Bad.")
                    .withoutDictionary("tags.value")
                    .column(
                        "tags",
                        DataTypes.createMapType(DataTypes.StringType, DataTypes.StringType),
                        "Tags.")
                    .build());
    assertTrue(
        e.getMessage().contains("tags.value (without dictionary) is not a Parquet column")
            && e.getMessage().contains("tags.key_value.value"),
        e.getMessage());
  }

  @Test
  void tablesResolveByNameAndFollowTheLakeRoot() {
    Lake first = lake(config(dir.resolve("one")));
    first.overwrite(T, rows(new Object[] {"x", 1}));
    assertEquals(1L, spark.sql("SELECT count(*) FROM silver.things").first().getLong(0));
    Lake second = lake(config(dir.resolve("two")));
    second.overwrite(T, rows(new Object[] {"y", 1}, new Object[] {"z", 2}));
    assertEquals(2L, spark.sql("SELECT count(*) FROM silver.things").first().getLong(0));
    // Re-pointing the name leaves the first lake's data alone.
    assertEquals(1L, first.read(T).count());
    assertEquals(List.of(TableId.of("silver", "things")), first.listTables());
  }

  @Test
  void overwriteIsOneNewVersionAndKeepsHistory() {
    Lake lake = lake(config(dir));
    lake.overwrite(T, rows(new Object[] {"a", 1}));
    lake.overwrite(T, rows(new Object[] {"b", 2}));
    DatasetAssert.assertSameRows(rows(new Object[] {"b", 2}), lake.read(T));
    Dataset<Row> v0 = spark.read().format("delta").option("versionAsOf", 0).load(lake.path(T));
    DatasetAssert.assertSameRows(rows(new Object[] {"a", 1}), v0);
  }

  @Test
  void missingTableSaysWhatToRun() {
    CrmlakeConfig c = config(dir);
    Lake lake = lake(c);
    assertFalse(lake.exists(T));
    Lake.MissingTableException e =
        assertThrows(Lake.MissingTableException.class, () -> lake.read(T));
    assertTrue(
        e.getMessage().startsWith("silver.things does not exist yet: run `bin/crmlake test` first"),
        e.getMessage());
  }
}
