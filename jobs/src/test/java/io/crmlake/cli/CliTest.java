package io.crmlake.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.crmlake.common.config.CrmlakeConfig;
import io.crmlake.common.testing.SparkTestBase;
import io.crmlake.testing.ChildJvm;
import io.crmlake.testing.Cli;
import io.crmlake.testing.Jobs;
import java.io.File;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class CliTest extends SparkTestBase {
  @TempDir Path dir;

  @Test
  void helpDescribesEveryCommand() {
    Cli.Result r = Cli.run("--help");
    assertEquals(0, r.code());
    for (String c :
        List.of(
            "demo",
            "docs",
            "generate",
            "ingest",
            "baskets",
            "segments",
            "clv",
            "sql",
            "tables",
            "pipeline",
            "publish",
            "serve-db")) {
      assertTrue(r.out().contains(c), c);
      Cli.Result sub = Cli.run(c, "--help");
      assertEquals(0, sub.code());
      assertTrue(
          c.equals("docs") || sub.out().contains("--conf") && sub.out().contains("--set"),
          sub.out());
    }
  }

  @Test
  void badUsageAndBadSettingsExitWith2AndNameTheProblem() {
    Cli.Result unknown = Cli.run("ingest", "--frobnicate");
    assertEquals(2, unknown.code());
    assertTrue(unknown.err().contains("--frobnicate"), unknown.err());

    Cli.Result badValue =
        Cli.run("generate", "--lake", dir.toString(), "--set", "generate.customers=0");
    assertEquals(2, badValue.code());
    assertTrue(
        badValue.err().contains("generate.customers must be at least 1, cannot be: 0"),
        badValue.err());

    Cli.Result badK =
        Cli.run("segments", "--lake", dir.toString(), "--set", "segments.kmeans.k-max=1");
    assertEquals(2, badK.code());
    assertTrue(
        badK.err().contains("segments.kmeans.k-max must be at least 2, cannot be: 1"), badK.err());
    Cli.Result badStep =
        Cli.run("churn", "--lake", dir.toString(), "--set", "churn.grid.gbt.step-size=[0.2, 0]");
    assertEquals(2, badStep.code());
    assertTrue(
        badStep
            .err()
            .contains("churn.grid.gbt.step-size must be between 0.001 and 1.0, cannot be: 0"),
        badStep.err());
    Cli.Result badUnit =
        Cli.run("clv", "--lake", dir.toString(), "--set", "clv.time-unit=fortnight");
    assertEquals(2, badUnit.code());
    assertTrue(
        badUnit.err().contains("clv.time-unit must be one of [day, week, month], cannot be:"),
        badUnit.err());
    Cli.Result noSilver = Cli.run("clv", "--lake", dir.toString()); // clv reads the customer days
    assertEquals(2, noSilver.code());
    assertTrue(
        noSilver
            .err()
            .contains("silver.customer_days does not exist yet: run `bin/crmlake ingest` first"),
        noSilver.err());

    // A cluster master outside spark-submit: the executors would lack crmlake's classes.
    Cli.Result cluster =
        Cli.run("baskets", "--lake", dir.toString(), "--set", "spark.master=spark://host:7077");
    assertEquals(2, cluster.code(), cluster.err());
    assertTrue(
        cluster.err().contains("spark.master")
            && cluster.err().contains("spark://host:7077")
            && cluster.err().contains("bin/spark-submit"),
        cluster.err());

    // A typo is an error, not a silently ignored setting.
    Cli.Result typo =
        Cli.run("baskets", "--lake", dir.toString(), "--set", "baskets.min-suport=0.1");
    assertEquals(2, typo.code(), typo.err());
    assertTrue(
        typo.err()
            .contains(
                "unknown setting baskets.min-suport (--set baskets.min-suport): did you mean"
                    + " baskets.min-support?"),
        typo.err());

    // Inside a list's objects too.
    Cli.Result band =
        Cli.run(
            "churn",
            "--lake",
            dir.toString(),
            "--set",
            "churn.risk-bands=[{name=high, min-probabilty=0.6}, {name=low, min-probability=0}]");
    assertEquals(2, band.code(), band.err());
    assertTrue(
        band.err().contains("unknown setting churn.risk-bands[0].min-probabilty")
            && band.err().contains("did you mean churn.risk-bands[0].min-probability?"),
        band.err());

    Cli.Result badFile = Cli.run("tables", "--conf", dir.resolve("missing.conf").toString());
    assertEquals(2, badFile.code());
    assertTrue(badFile.err().contains("missing.conf"), badFile.err());

    Cli.Result badSource =
        Cli.run("ingest", "--lake", dir.toString(), "--source", "conf/sources/nope.conf");
    assertEquals(2, badSource.code());
    assertTrue(badSource.err().contains("nope.conf"), badSource.err());
  }

  @Test
  void theDataDictionaryAndTheReadmeIndexAreUpToDate() {
    Cli.Result r = Cli.run("docs", "--check");
    assertEquals(
        0, r.code(), "docs/tables.md or README.md is stale: run `bin/crmlake docs`\n" + r.err());
  }

  @Test
  void aCloudLakeWithoutItsConnectorNamesTheConnector() {
    Cli.Result r = Cli.run("tables", "--lake", "s3a://some-bucket/lake");
    assertEquals(2, r.code(), r.err());
    assertTrue(r.err().contains("org.apache.hadoop:hadoop-aws"), r.err());
    assertTrue(r.err().contains("s3a://"), r.err());
  }

  @Test
  void sqlCsvPrintsAHeaderThenRowsAndNothingElse() {
    sharedData();
    CrmlakeConfig config = config(dir);
    Jobs.ingest(lake(config), config, "conf/sources/cdnow_sample.conf");
    Cli.Result r =
        Cli.run(
            "sql",
            "--lake",
            dir.toString(),
            "--format",
            "csv",
            "SELECT customer_id, count(*) AS n, 'a,b' AS s FROM silver.transactions"
                + " GROUP BY customer_id ORDER BY n DESC, customer_id LIMIT 3");
    assertEquals(0, r.code(), r.err());
    List<String> lines = r.out().lines().toList();
    assertEquals(4, lines.size(), r.out());
    assertEquals("customer_id,n,s", lines.get(0));
    assertTrue(lines.get(1).matches("\\d+,\\d+,\"a,b\""), lines.get(1));
  }

  @Test
  void tablesInteractiveSqlAndNotebooksWorkOnALake() {
    sharedData();
    CrmlakeConfig config = config(dir);
    Jobs.ingest(lake(config), config, "conf/sources/cdnow_sample.conf");

    Cli.Result tables = Cli.run("tables", "--lake", dir.toString(), "--format", "csv");
    assertEquals(0, tables.code(), tables.err());
    List<String> rows = tables.out().lines().toList();
    assertEquals("table,rows,version,last_modified,location", rows.get(0));
    assertTrue(
        rows.stream().anyMatch(l -> l.startsWith("silver.transactions,6919,0,")), tables.out());
    assertTrue(rows.stream().anyMatch(l -> l.startsWith("ops.job_runs,1,")), tables.out());

    Cli.Result prompt =
        Cli.runWithInput(
            "SELECT count(*) AS n\nFROM silver.transactions;\nSELECT nope FROM nowhere;\nexit;\n",
            "sql",
            "--lake",
            dir.toString());
    assertEquals(0, prompt.code(), prompt.err());
    assertTrue(prompt.out().contains("6919"), prompt.out());
    assertTrue(prompt.out().contains("error:"), "a bad statement is reported, the prompt goes on");

    Cli.Result notebook =
        Cli.run(
            "sql", "--lake", dir.toString(), "--file", "notebooks/01_transactions_overview.sql");
    assertEquals(0, notebook.code(), notebook.err());
    assertTrue(notebook.out().contains("cdnow_sample | 6919"), notebook.out());
    assertTrue(notebook.out().contains("-- Monthly revenue"), notebook.out());
  }

  /**
   * Two processes on one lake: a query in a second JVM while this one holds a session on the same
   * lake (no single-process metastore lock in the way).
   */
  @Test
  void anotherProcessCanQueryTheLakeWhileThisOneUsesIt() throws Exception {
    sharedData();
    CrmlakeConfig config = config(dir);
    Jobs.ingest(lake(config), config, "conf/sources/cdnow_sample.conf");
    assertEquals(6919L, spark.sql("SELECT count(*) FROM silver.transactions").first().getLong(0));

    // The lake root comes from the environment, as on a cluster (Typesafe Config's convention).
    ChildJvm child =
        ChildJvm.start(
            dir,
            "child",
            // SPARK_LOCAL_IP as bin/crmlake sets it (else Spark warns about the host's address).
            java.util.Map.of(
                "CONFIG_FORCE_lake_root", dir.toString(), "SPARK_LOCAL_IP", "127.0.0.1"),
            List.of(
                "sql",
                "--set",
                "spark.master=local[1]",
                "--set",
                "spark.conf.\"spark.ui.enabled\"=false",
                "--format",
                "csv",
                "SELECT count(*) AS n FROM silver.transactions"));
    assertEquals(0, child.waitFor(java.time.Duration.ofMinutes(3)), child.err());
    String out = child.out();
    assertEquals(List.of("n", "6919"), out.lines().toList());
    // A quiet terminal with the shipped log settings: the configuration as one line of what
    // differs from the defaults (the whole of it only at DEBUG), the session, and no warning.
    List<String> log = child.err().lines().toList();
    assertTrue(log.size() <= 3, child.err());
    assertTrue(log.stream().noneMatch(l -> l.contains(" WARN ")), child.err());
    assertTrue(
        log.stream()
            .anyMatch(
                l ->
                    l.contains("changed from the defaults: ")
                        && l.contains("lake.root=" + dir)
                        && l.contains("spark.master=local[1]")),
        child.err());
    // And this process still works on the same lake afterwards.
    assertEquals(6919L, spark.sql("SELECT count(*) FROM silver.transactions").first().getLong(0));
    assertTrue(new File(dir.toFile(), "ops/job_runs/_delta_log").isDirectory());
  }
}
