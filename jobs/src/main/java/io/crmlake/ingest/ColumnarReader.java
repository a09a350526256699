package io.crmlake.ingest;

import static org.apache.spark.sql.functions.col;
import static org.apache.spark.sql.functions.lit;

import io.crmlake.common.config.ConfigError;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.apache.hadoop.fs.Path;
import org.apache.spark.sql.Column;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.functions;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructType;

/**
 * Reads the formats whose records are typed columns, Parquet files and a Delta table, into raw
 * records: every value as text in {@code fields}, the record as JSON in {@code raw_record}. A
 * Parquet record's position is its row index in its file; a Delta table's records have none.
 */
final class ColumnarReader {
  private ColumnarReader() {}

  /**
   * Reads Parquet files one schema at a time (files whose footers agree), so a column typed
   * differently in some files never fails the read: every value reaches the validator as text.
   */
  static Dataset<Row> readParquet(
      SparkSession spark, SourceSpec spec, List<LandingFile> files, Inspection inspection) {
    Map<String, List<LandingFile>> bySchema = new LinkedHashMap<>();
    for (LandingFile f : files) {
      bySchema
          .computeIfAbsent(inspection.schemas().getOrDefault(f.uri(), ""), k -> new ArrayList<>())
          .add(f);
    }
    Dataset<Row> all = null;
    for (List<LandingFile> group : bySchema.values()) {
      Dataset<Row> one = readParquetGroup(spark, spec, group);
      all = all == null ? one : all.unionByName(one);
    }
    return all;
  }

  private static Dataset<Row> readParquetGroup(
      SparkSession spark, SourceSpec spec, List<LandingFile> files) {
    Dataset<Row> df =
        spark.read().parquet(files.stream().map(LandingFile::uri).toArray(String[]::new));
    checkColumns(spec, df.columns(), spec.location());
    Dataset<Row> paths = relativePaths(spark, files);
    Dataset<Row> withMeta =
        df.select(
            col("_metadata.file_path").as("_key"),
            col("_metadata.row_index").as("_pos"),
            functions.to_json(functions.struct(col("*"))).as("_raw"),
            fieldsMap(df.columns()).as("_fields"));
    return withMeta
        .join(functions.broadcast(paths), withMeta.col("_key").equalTo(paths.col("_key")), "left")
        .select(
            functions.coalesce(col("_uri"), withMeta.col("_key")).as("source_file"),
            functions.coalesce(col("_rel"), withMeta.col("_key")).as("file_path"),
            col("_pos").as("record_pos"),
            lit(0).as("item_pos"),
            col("_raw").as("raw_record"),
            col("_fields").as("fields"),
            lit(null).cast("string").as("parse_error"),
            lit(null).cast("string").as("parse_code"));
  }

  /**
   * Per file: {@code _key}, the URL-encoded URI that {@code _metadata.file_path} gives (spaces as
   * %20), its listed {@code _uri} and its {@code _rel} path. Joined left, so a row is kept even if
   * a path were spelled otherwise.
   */
  private static Dataset<Row> relativePaths(SparkSession spark, List<LandingFile> files) {
    List<Row> rel = new ArrayList<>();
    for (LandingFile f : files) {
      rel.add(RowFactory.create(new Path(f.uri()).toUri().toString(), f.uri(), f.relativePath()));
    }
    return spark.createDataFrame(
        rel,
        new StructType()
            .add("_key", DataTypes.StringType)
            .add("_uri", DataTypes.StringType)
            .add("_rel", DataTypes.StringType));
  }

  static Dataset<Row> readDelta(SparkSession spark, SourceSpec spec, LandingFile table) {
    Dataset<Row> df = spark.read().format("delta").load(table.uri());
    checkColumns(spec, df.columns(), table.uri());
    return df.select(
        lit(table.uri()).as("source_file"),
        lit("").as("file_path"),
        lit(null).cast("long").as("record_pos"),
        lit(0).as("item_pos"),
        functions.to_json(functions.struct(col("*"))).as("raw_record"),
        fieldsMap(df.columns()).as("fields"),
        lit(null).cast("string").as("parse_error"),
        lit(null).cast("string").as("parse_code"));
  }

  private static void checkColumns(SourceSpec spec, String[] columns, String where) {
    List<String> have = List.of(columns);
    for (String required : spec.requiredColumns()) {
      if (!have.contains(required)) {
        throw new ConfigError(
            String.format(
                "source %s: %s has no column '%s' (its columns: %s; %s maps it)",
                spec.name(), where, required, have, spec.file()));
      }
    }
  }

  private static Column fieldsMap(String[] columns) {
    List<Column> kv = new ArrayList<>();
    for (String c : columns) {
      kv.add(lit(c));
      kv.add(col("`" + c + "`").cast("string"));
    }
    return functions.map(kv.toArray(Column[]::new));
  }
}
