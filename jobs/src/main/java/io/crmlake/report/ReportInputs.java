package io.crmlake.report;

import static org.apache.spark.sql.functions.col;
import static org.apache.spark.sql.functions.lit;
import static org.apache.spark.sql.functions.max;

import io.crmlake.common.lake.Lake;
import io.crmlake.common.lake.Table;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;

/**
 * What every section reads: the lake's tables and the run the report describes. Reading a table
 * that does not exist throws {@link Lake.MissingTableException}.
 */
record ReportInputs(Lake lake, ReportedRun run) {

  Dataset<Row> read(Table table) {
    return lake.read(table);
  }

  /** The rows of the latest value of {@code column} (a partition column: the filter prunes). */
  Dataset<Row> latest(Table table, String column) {
    Dataset<Row> t = lake.read(table);
    Object last = t.agg(max(column)).first().get(0);
    return last == null ? t.limit(0) : t.where(col(column).equalTo(lit(last)));
  }
}
