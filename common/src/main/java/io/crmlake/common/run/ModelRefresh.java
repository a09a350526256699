package io.crmlake.common.run;

import static org.apache.spark.sql.functions.col;
import static org.apache.spark.sql.functions.concat;
import static org.apache.spark.sql.functions.lit;

import io.crmlake.common.config.Settings;
import io.crmlake.common.lake.Lake;
import java.time.Instant;
import java.util.Optional;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.functions;

/**
 * When a model family is retrained. A run reuses the newest committed model while it is younger
 * than {@code <prefix>.retrain-after-days}; it trains when that age is reached, when {@code
 * <prefix>.retrain-now} is set, or when there is no committed model. A model is committed when the
 * run that trained it succeeded ({@code ops.job_runs}): the model of a killed or failed training
 * run is never reused, so its re-run trains again, as the run that never failed did.
 *
 * <p>A job may override the policy's "reuse" with a reason of its own (a model trained on other
 * feature definitions: {@link Decision#train(String)}). The decision is logged by the job and
 * recorded with its run ({@code ops.job_runs.metrics}: {@code refresh_train}, {@code
 * refresh_model}, {@code refresh_age_days}, {@code refresh_reason}).
 *
 * @param family what is trained, in words ("churn classifier")
 * @param prefix the settings' prefix ("churn")
 * @param retrainAfterDays the age at which a model is retrained; 0: every run trains
 * @param retrainNow train this run whatever the age
 */
public record ModelRefresh(String family, String prefix, int retrainAfterDays, boolean retrainNow) {
  /** Reads {@code <prefix>.retrain-after-days} and {@code <prefix>.retrain-now}. */
  public static ModelRefresh of(Settings s, String prefix, String family) {
    return new ModelRefresh(
        family,
        prefix,
        s.intAtLeast(prefix + ".retrain-after-days", 0),
        s.bool(prefix + ".retrain-now"));
  }

  /**
   * What a run does with its model.
   *
   * @param train whether the run trains
   * @param model the model reused, or the newest committed one when training
   * @param ageDays the age of {@code model} in whole days, -1 without one
   * @param reason why, in words
   */
  public record Decision(
      String family, boolean train, Optional<String> model, long ageDays, String reason)
      implements JobResult.Figures {
    /** A reuse overruled: trained anyway, for {@code why}. */
    public Decision train(String why) {
      return new Decision(family, true, model, ageDays, why);
    }

    /** One line for the log and the pipeline's summary. */
    public String describe() {
      return family
          + ": "
          + (train ? "train" : "reuse model " + model.orElseThrow())
          + " ("
          + reason
          + ")";
    }
  }

  /**
   * Decides for the newest of {@code versions} (a {@code model_version} column of the family's
   * table of trained models) whose training run of {@code job} succeeded.
   */
  public Decision decide(Lake lake, String job, Dataset<Row> versions, Instant now) {
    return decide(newestCommitted(lake, job, versions), now);
  }

  /**
   * Decides for {@code newest}, the newest committed model (empty: none), or for {@code pinned} (a
   * model version a setting names), which is reused whatever its age unless retrain-now is set.
   */
  public Decision decide(Optional<String> newest, Optional<String> pinned, Instant now) {
    if (pinned.isPresent() && !retrainNow) {
      long age = ageDays(pinnedAt(pinned.get()), now);
      return new Decision(family, false, pinned, age, age + " days old; pinned by a setting");
    }
    return decide(pinned.isPresent() ? pinned : newest, now);
  }

  /** Decides for {@code newest}, the newest committed model (empty: none). */
  public Decision decide(Optional<String> newest, Instant now) {
    if (newest.isEmpty()) {
      return new Decision(family, true, newest, -1, "no committed model yet");
    }
    long age = ageDays(trainedAt(newest.get()), now);
    if (retrainNow) {
      return new Decision(family, true, newest, age, prefix + ".retrain-now is set");
    }
    if (age >= retrainAfterDays) {
      return new Decision(
          family,
          true,
          newest,
          age,
          String.format(
              "model %s is %d days old; %s.retrain-after-days = %d",
              newest.get(), age, prefix, retrainAfterDays));
    }
    return new Decision(
        family,
        false,
        newest,
        age,
        String.format(
            "%d days old; retrained at %d days (%s.retrain-after-days)",
            age, retrainAfterDays, prefix));
  }

  /** The newest of {@code versions} whose training run of {@code job} succeeded. */
  public static Optional<String> newestCommitted(Lake lake, String job, Dataset<Row> versions) {
    if (!lake.exists(JobRunLog.JOB_RUNS)) {
      return Optional.empty();
    }
    Dataset<Row> succeeded =
        lake.read(JobRunLog.JOB_RUNS)
            .where(col("job").equalTo(job).and(col("status").equalTo("SUCCEEDED")))
            .select("run_id");
    Row r =
        versions
            .select("model_version")
            .distinct()
            .join(
                succeeded,
                concat(lit(job + "-"), col("model_version")).equalTo(col("run_id")),
                "left_semi")
            .agg(functions.max("model_version"))
            .first();
    return r.isNullAt(0) ? Optional.empty() : Optional.of(r.getString(0));
  }

  private Instant pinnedAt(String version) {
    try {
      return trainedAt(version);
    } catch (RuntimeException e) {
      throw new io.crmlake.common.config.ConfigError(
          "the "
              + family
              + " model version "
              + version
              + " that a "
              + prefix
              + " setting pins is not a model version (yyyyMMdd'T'HHmmss-xxxxxxxx, as in"
              + " model_version)");
    }
  }

  /**
   * A model's age in days: the UTC calendar days from the day it was trained to {@code now}'s, so
   * that a nightly run retrains on the same night whatever the minutes its start drifts by (a model
   * trained at 02:10 is 7 days old at 01:50 a week later).
   */
  public static long ageDays(Instant trained, Instant now) {
    return java.time.temporal.ChronoUnit.DAYS.between(
        trained.atZone(java.time.ZoneOffset.UTC).toLocalDate(),
        now.atZone(java.time.ZoneOffset.UTC).toLocalDate());
  }

  /** When the run of a model version started: versions begin with its UTC time. */
  public static Instant trainedAt(String version) {
    return Instant.from(RunContext.ID_TIME.parse(version.substring(0, 15)));
  }
}
