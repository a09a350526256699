package io.crmlake.cli;

import io.crmlake.common.config.ConfigError;
import io.crmlake.common.config.CrmlakeConfig;
import io.crmlake.common.spark.SparkSessions;
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.Callable;
import org.apache.spark.sql.SparkSession;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

@Command(
    name = "sql",
    mixinStandardHelpOptions = true,
    description = {
      "Query the lake's tables with SQL.",
      "Tables: bronze.*, silver.*, gold.*, ops.*. The result goes to stdout, logs to stderr.",
      "Without a query: an interactive prompt; end each statement with ;."
    })
final class SqlCommand implements Callable<Integer> {
  private static final Logger LOG = LoggerFactory.getLogger(SqlCommand.class);

  @Mixin CommonOptions common;

  @Parameters(arity = "0..1", paramLabel = "QUERY", description = "The SQL statement.")
  String query;

  @Option(
      names = "--format",
      description = "table, csv or json (JSON lines); default ${DEFAULT-VALUE}.",
      defaultValue = "table")
  ResultPrinter.Format format;

  @Option(
      names = "--file",
      paramLabel = "FILE",
      description =
          "Run the statements of a SQL file (e.g. notebooks/*.sql) in order, printing each"
              + " result; stops with exit code 1 at the first failing statement.")
  String file;

  @Option(
      names = "--max-rows",
      description = "Rows printed at most (default ${DEFAULT-VALUE}).",
      defaultValue = "10000")
  int maxRows;

  @Override
  public Integer call() {
    CrmlakeConfig config = common.load(List.of());
    return SparkSessions.with(
        config,
        "sql",
        spark -> {
          if (query != null) {
            ResultPrinter.print(spark.sql(query), format, maxRows, System.out);
            return 0;
          }
          if (file != null) {
            return script(spark, Path.of(CommonOptions.localFirst(file)));
          }
          return interactive(spark);
        });
  }

  /**
   * Runs a SQL file: statements end with {@code ;} at the end of a line; {@code --} comment lines
   * are printed as they come, so the output reads like the file. The first failure ends the run.
   */
  private int script(SparkSession spark, Path path) {
    List<String> lines;
    try {
      lines = Files.readAllLines(CommonOptions.home().resolve(path));
    } catch (java.io.IOException e) {
      throw new ConfigError("cannot read --file " + path + ": " + e.getMessage(), e);
    }
    StringBuilder statement = new StringBuilder();
    int number = 0;
    for (String line : lines) {
      String t = line.trim();
      if (statement.length() == 0 && (t.startsWith("--") || t.isEmpty())) {
        System.out.println(line);
        continue;
      }
      statement.append(line).append('\n');
      if (!t.endsWith(";")) {
        continue;
      }
      number++;
      String sql = statement.toString().trim();
      sql = sql.substring(0, sql.length() - 1);
      statement.setLength(0);
      try {
        ResultPrinter.print(spark.sql(sql), format, maxRows, System.out);
      } catch (RuntimeException e) {
        throw new IllegalStateException(
            "statement " + number + " of " + path + " failed: " + firstLine(e.getMessage()), e);
      }
    }
    return 0;
  }

  private int interactive(SparkSession spark) {
    boolean tty = System.console() != null;
    BufferedReader in =
        new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8));
    if (tty) {
      System.out.println("crmlake SQL: end statements with ';', quit with 'exit;' or Ctrl-D.");
    }
    StringBuilder statement = new StringBuilder();
    while (true) {
      String line;
      try {
        line = in.readLine();
      } catch (java.io.IOException e) {
        throw new java.io.UncheckedIOException(e);
      }
      if (tty) {
        System.out.print(statement.length() == 0 ? "crmlake> " : "      -> ");
        System.out.flush();
      }
      if (line == null) {
        break;
      }
      statement.append(line).append('\n');
      String text = statement.toString().trim();
      if (!text.endsWith(";")) {
        continue;
      }
      statement.setLength(0);
      String sql = text.substring(0, text.length() - 1).trim();
      if (sql.equalsIgnoreCase("exit") || sql.equalsIgnoreCase("quit")) {
        break;
      }
      if (sql.isEmpty()) {
        continue;
      }
      try {
        ResultPrinter.print(spark.sql(sql), format, maxRows, System.out);
      } catch (Exception e) {
        LOG.debug("query failed", e);
        System.out.println("error: " + firstLine(e.getMessage()));
      }
    }
    return 0;
  }

  private static String firstLine(String s) {
    if (s == null) {
      return "";
    }
    int nl = s.indexOf('\n');
    return nl < 0 ? s : s.substring(0, nl);
  }
}
