package io.crmlake.common.run;

import io.crmlake.common.config.CrmlakeConfig;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.UUID;
import org.apache.spark.sql.SparkSession;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Identity of one job run: run id ({@code <job>-<utc time>-<random>}), job name, config hash and
 * start time. {@link #phase} names the Spark job group so the Spark UI reads like the pipeline, and
 * logs the phase.
 */
public final class RunContext {
  private static final Logger LOG = LoggerFactory.getLogger(RunContext.class);
  private static final DateTimeFormatter ID_TIME =
      DateTimeFormatter.ofPattern("yyyyMMdd'T'HHmmss").withZone(ZoneOffset.UTC);

  private final String runId;
  private final String job;
  private final String configHash;
  private final Instant startedAt;
  private final SparkSession spark;

  public RunContext(SparkSession spark, String job, CrmlakeConfig config) {
    this.spark = spark;
    this.job = job;
    this.startedAt = Instant.now();
    this.configHash = config.hash();
    this.runId =
        job + "-" + ID_TIME.format(startedAt) + "-" + UUID.randomUUID().toString().substring(0, 8);
  }

  public String runId() {
    return runId;
  }

  public String job() {
    return job;
  }

  public String configHash() {
    return configHash;
  }

  public Instant startedAt() {
    return startedAt;
  }

  public SparkSession spark() {
    return spark;
  }

  /** Starts a named phase: sets the Spark job group and logs it. */
  public void phase(String name) {
    spark.sparkContext().setJobGroup(job + ": " + name, runId + " " + name, false);
    LOG.info("[{}] {}", job, name);
  }
}
