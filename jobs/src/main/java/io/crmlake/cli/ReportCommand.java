package io.crmlake.cli;

import io.crmlake.common.config.CrmlakeConfig;
import io.crmlake.common.lake.Lake;
import io.crmlake.common.spark.SparkSessions;
import io.crmlake.report.RunReport;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

@Command(
    name = "report",
    mixinStandardHelpOptions = true,
    description = {
      "Write an HTML report of the latest pipeline run and print its path.",
      "One self-contained page (charts as inline SVG, nothing loaded from elsewhere): run log,",
      "data quality, cohort retention, segments, churn, CLV, baskets and action lists."
    })
final class ReportCommand implements Callable<Integer> {
  @Mixin CommonOptions common;

  @Option(
      names = "--out",
      paramLabel = "DIR",
      description = "Folder of the report; default <lake.root>/reports.")
  String out;

  @Override
  public Integer call() {
    CrmlakeConfig config = common.load(List.of());
    String dir = out != null ? out : config.lake().root() + "/reports";
    return SparkSessions.with(
        config,
        "report",
        spark -> {
          String path = RunReport.write(new Lake(spark, config.lake()), dir);
          System.out.println("Report: " + path);
          return 0;
        });
  }
}
