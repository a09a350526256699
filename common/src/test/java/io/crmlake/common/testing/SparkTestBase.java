package io.crmlake.common.testing;

import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.crmlake.common.config.CrmlakeConfig;
import io.crmlake.common.lake.Lake;
import io.crmlake.common.spark.SparkSessions;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.apache.spark.sql.SparkSession;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;

/**
 * One {@code local[2]} session per test class (UI off, two shuffle partitions), built by the
 * production factory; each test makes its own lake in a temporary folder with {@link #config}.
 */
public abstract class SparkTestBase {
  protected static SparkSession spark;
  private static Path bootLake;

  @BeforeAll
  static void startSpark() throws Exception {
    bootLake = Files.createTempDirectory("crmlake-boot");
    spark = SparkSessions.create(config(bootLake), "test");
  }

  @AfterAll
  static void stopSpark() {
    if (spark != null) {
      spark.stop();
      spark = null;
    }
  }

  /** The project folder (set by surefire), against which relative config paths resolve. */
  public static Path projectDir() {
    return Path.of(System.getProperty("crmlake.project.dir", "..")).toAbsolutePath().normalize();
  }

  /** {@code ../shared/data}; tests that need it are skipped, saying why, when it is absent. */
  public static Path sharedData() {
    Path p = projectDir().resolve("../shared/data").normalize();
    assumeTrue(Files.isDirectory(p), "reference data not found at " + p + "; test skipped");
    return p;
  }

  /** A test config: defaults, a lake at {@code lakeRoot}, local[2], plus {@code sets}. */
  public static CrmlakeConfig config(Path lakeRoot, String... sets) {
    List<String> all = new ArrayList<>();
    all.add("lake.root=" + lakeRoot.toAbsolutePath());
    all.add("spark.master=local[2]");
    all.add("spark.conf.\"spark.ui.enabled\"=false");
    all.add("spark.conf.\"spark.sql.shuffle.partitions\"=2");
    all.add("spark.conf.\"spark.default.parallelism\"=2");
    all.addAll(Arrays.asList(sets));
    return CrmlakeConfig.load(null, projectDir(), all);
  }

  public static Lake lake(CrmlakeConfig config) {
    return new Lake(spark, config.lake());
  }
}
