package io.crmlake.cli;

import static org.apache.spark.sql.functions.col;
import static org.apache.spark.sql.functions.max_by;
import static org.apache.spark.sql.functions.struct;

import io.crmlake.common.lake.Lake;
import io.crmlake.common.lake.Table;
import io.crmlake.common.run.JobRunLog;
import io.crmlake.ingest.IngestTables;
import io.delta.tables.DeltaTable;
import java.sql.Timestamp;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.apache.spark.sql.Row;

/**
 * Whether the nightly pipeline has anything to do after ingest: it has not when silver did not
 * change since every later job's last run, and each of those runs succeeded with the same
 * configuration (its hash). Then the pipeline says so and runs nothing else; a failed, killed or
 * differently configured run, or new lines, make every job run. One row per job reaches the driver.
 */
final class PipelineFreshness {
  private PipelineFreshness() {}

  /** Why the jobs need not run, or empty when they must. */
  static Optional<String> nothingNew(Lake lake, List<String> jobs, String configHash) {
    List<Table> inputs = List.of(IngestTables.TRANSACTIONS, IngestTables.CUSTOMER_DAYS);
    if (!lake.exists(JobRunLog.JOB_RUNS) || !inputs.stream().allMatch(lake::exists)) {
      return Optional.empty();
    }
    Timestamp changed = null;
    for (Table t : inputs) {
      Timestamp last = lastCommit(lake, t);
      changed = changed == null || last.after(changed) ? last : changed;
    }
    Map<String, Row> last = new HashMap<>();
    for (Row r :
        lake.read(JobRunLog.JOB_RUNS)
            .where(col("job").isin(jobs.toArray()))
            .groupBy("job")
            .agg(
                max_by(struct("status", "started_at", "config_hash"), col("started_at")).as("last"))
            .collectAsList()) {
      last.put(r.getString(0), r.getStruct(1));
    }
    for (String job : jobs) {
      Row r = last.get(job);
      if (r == null
          || !"SUCCEEDED".equals(r.getString(0))
          || !r.getTimestamp(1).after(changed)
          || !configHash.equals(r.getString(2))) {
        return Optional.empty();
      }
    }
    return Optional.of(
        "silver has not changed since "
            + changed.toInstant()
            + " and every job's last run since then succeeded with this configuration");
  }

  /**
   * What the newest run of {@code job} in pipeline {@code pipelineId} did with its model, from its
   * metrics in ops.job_runs: "reused model V (N days old)" or "trained a new model (why)"; empty
   * for a job without a model refresh.
   */
  static String modelOf(Lake lake, String job, String pipelineId) {
    if (lake == null || !lake.exists(JobRunLog.JOB_RUNS)) {
      return "";
    }
    List<Row> runs =
        lake.read(JobRunLog.JOB_RUNS)
            .where(col("job").equalTo(job).and(col("pipeline_run_id").equalTo(pipelineId)))
            .orderBy(col("started_at").desc())
            .select("metrics")
            .limit(1)
            .collectAsList();
    if (runs.isEmpty()) {
      return "";
    }
    Map<String, String> m =
        scala.jdk.javaapi.CollectionConverters.asJava(runs.get(0).<String, String>getMap(0));
    if (!m.containsKey("refresh_train")) {
      return "";
    }
    if (m.get("refresh_train").equals("true")) {
      return "trained a new model (" + m.get("refresh_reason") + ")";
    }
    return "reused model "
        + m.get("refresh_model")
        + " ("
        + m.get("refresh_age_days")
        + " days old)";
  }

  private static Timestamp lastCommit(Lake lake, Table t) {
    return DeltaTable.forPath(lake.spark(), lake.path(t)).history(1).first().getAs("timestamp");
  }
}
