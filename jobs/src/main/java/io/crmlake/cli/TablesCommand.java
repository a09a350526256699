package io.crmlake.cli;

import io.crmlake.common.config.CrmlakeConfig;
import io.crmlake.common.lake.Lake;
import io.crmlake.common.lake.TableId;
import io.crmlake.common.spark.SparkSessions;
import io.delta.tables.DeltaTable;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructType;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

@Command(
    name = "tables",
    mixinStandardHelpOptions = true,
    description = "List every table of the lake with its row count, Delta version and last change.")
final class TablesCommand implements Callable<Integer> {
  @Mixin CommonOptions common;

  @Option(
      names = "--format",
      description = "table, csv or json; default ${DEFAULT-VALUE}.",
      defaultValue = "table")
  ResultPrinter.Format format;

  static final StructType SCHEMA =
      new StructType()
          .add("table", DataTypes.StringType)
          .add("rows", DataTypes.LongType)
          .add("version", DataTypes.LongType)
          .add("last_modified", DataTypes.TimestampType)
          .add("location", DataTypes.StringType);

  @Override
  public Integer call() {
    CrmlakeConfig config = common.load(List.of());
    return SparkSessions.with(
        config,
        "tables",
        spark -> {
          ResultPrinter.print(describe(new Lake(spark, config.lake())), format, 10_000, System.out);
          return 0;
        });
  }

  /** One row per table: name, rows, Delta version, time of the last commit, location. */
  static Dataset<Row> describe(Lake lake) {
    List<Row> rows = new ArrayList<>();
    for (TableId t : lake.listTables()) {
      Row last = DeltaTable.forPath(lake.spark(), lake.path(t)).history(1).first();
      rows.add(
          RowFactory.create(
              t.sqlName(),
              lake.spark().read().format("delta").load(lake.path(t)).count(),
              last.getAs("version"),
              last.getAs("timestamp"),
              lake.path(t)));
    }
    return lake.spark().createDataFrame(rows, SCHEMA);
  }
}
