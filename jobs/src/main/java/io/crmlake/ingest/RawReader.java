package io.crmlake.ingest;

import java.util.List;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructType;

/**
 * Reads a source's landing files into raw records: one row per source record (per item for basket
 * lists) with its file, position, raw text and fields as strings. Nothing is validated here and
 * nothing is dropped but blank lines and header lines. The files are listed by {@link
 * LandingFolder}, their heads inspected by {@link FileHeads}; text formats are read by {@link
 * TextReader}, Parquet and Delta by {@link ColumnarReader}.
 *
 * <p>A text record's position is its byte offset in the file (in the decompressed stream of a
 * compressed file): deterministic, which makes line ids stable across re-deliveries. Lines are
 * decoded strictly in the source's encoding; a line with bytes not valid in it gets a parse error,
 * never replacement characters.
 */
final class RawReader {
  static final StructType RAW_SCHEMA =
      new StructType()
          .add("source_file", DataTypes.StringType, false)
          .add("file_path", DataTypes.StringType, false)
          .add("record_pos", DataTypes.LongType, true)
          .add("item_pos", DataTypes.IntegerType, false)
          .add("raw_record", DataTypes.StringType, true)
          .add(
              "fields",
              DataTypes.createMapType(DataTypes.StringType, DataTypes.StringType, true),
              true)
          .add("parse_error", DataTypes.StringType, true)
          .add("parse_code", DataTypes.StringType, true);

  /** {@code parse_code} of the row that stands for a file that vanished while being read. */
  static final String FILE_MISSING = "FILE_MISSING";

  /** {@code parse_code} of the row that stands for a file that could not be read to its end. */
  static final String FILE_UNREADABLE = "FILE_UNREADABLE";

  private RawReader() {}

  /**
   * Reads the given files of a source (which must not be empty) into {@link #RAW_SCHEMA} rows.
   * {@code inspection} is what {@link FileHeads#inspect} found for them.
   */
  static Dataset<Row> read(
      SparkSession spark, SourceSpec spec, List<LandingFile> files, Inspection inspection) {
    return switch (spec.format()) {
      case PARQUET -> ColumnarReader.readParquet(spark, spec, files, inspection);
      case DELTA -> ColumnarReader.readDelta(spark, spec, files.get(0));
      default -> TextReader.read(spark, spec, files, inspection);
    };
  }
}
