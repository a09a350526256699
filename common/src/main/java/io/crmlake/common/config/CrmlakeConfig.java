package io.crmlake.common.config;

import com.typesafe.config.Config;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * The effective configuration of one run: the raw merged HOCON (for the job settings records that
 * each job parses from it) and the typed settings every job shares. Built once at start by {@link
 * #load}.
 *
 * @param home the folder relative paths are resolved against
 * @param raw the merged config (overrides, environment, file, defaults)
 * @param lake where the lake lives and how its tables are catalogued
 * @param spark Spark master (absent: spark-submit decides), application name and extra conf
 */
public record CrmlakeConfig(
    Path home, Config raw, LakeSettings lake, SparkSettings spark, RunSettings run) {

  /** How table names are resolved: from the lake folder itself, or from a Hive metastore. */
  public enum CatalogType {
    /** Tables are discovered from the lake's folders at session start: no metastore, no lock. */
    LAKE,
    /** The cluster's Hive-compatible metastore (Hive, Glue): tables are registered there. */
    HIVE
  }

  /**
   * @param root lake root URI; tables live at {@code <root>/<layer>/<table>}
   * @param catalog how names like {@code silver.transactions} are resolved
   */
  public record LakeSettings(String root, CatalogType catalog) {}

  /**
   * @param master the master URL, only for local runs; empty on a cluster (spark-submit sets it)
   * @param appName prefix of the Spark application name; the job name is appended
   * @param conf extra Spark settings (any {@code spark.*} key)
   * @param bytesPerShufflePartition when {@code conf} leaves {@code spark.sql.shuffle.partitions}
   *     unset, each job takes one shuffle partition per this many bytes of its input
   * @param maxShufflePartitions the most shuffle partitions that sizing gives
   */
  public record SparkSettings(
      Optional<String> master,
      String appName,
      Map<String, String> conf,
      long bytesPerShufflePartition,
      int maxShufflePartitions) {}

  /**
   * @param lockTimeout a job's lock is taken over this long after its holder's last heartbeat
   * @param haltJob crash drills: the run of this job blocks (to be killed) right after its n-th
   *     Delta commit ({@code haltAfterCommit}) or its commit to {@code haltAfterTable}; empty = off
   */
  public record RunSettings(
      java.time.Duration lockTimeout,
      Optional<String> haltJob,
      int haltAfterCommit,
      Optional<String> haltAfterTable) {}

  public Settings settings() {
    return new Settings(raw, home);
  }

  /** Loads and validates; every problem is a {@link ConfigError} naming the key or file. */
  public static CrmlakeConfig load(String confFile, Path home, List<String> sets) {
    return of(ConfigLoader.load(confFile, home, sets), home);
  }

  public static CrmlakeConfig of(Config raw, Path home) {
    Settings s = new Settings(raw, home);
    LakeSettings lake =
        new LakeSettings(s.path("lake.root"), s.enumValue("lake.catalog", CatalogType.class));
    SparkSettings spark =
        new SparkSettings(
            s.optString("spark.master"),
            s.string("spark.app-name"),
            s.stringMap("spark.conf"),
            s.bytesAtLeast("spark.bytes-per-shuffle-partition", 1 << 20),
            s.intAtLeast("spark.max-shuffle-partitions", 1));
    Optional<String> halt = s.optString("run.halt-after-commit");
    if (halt.isPresent() && !halt.get().matches("[a-z]+:([1-9][0-9]*|[a-z]+\\.[a-z_]+)")) {
      throw ConfigError.invalid(
          s.key("run.halt-after-commit"),
          halt.get(),
          "must be <job>:<n> or <job>:<table>, e.g. clv:2 or ingest:silver.transactions");
    }
    Optional<String> target = halt.map(h -> h.substring(h.indexOf(':') + 1));
    RunSettings run =
        new RunSettings(
            s.durationAtLeast("run.lock-timeout", java.time.Duration.ofSeconds(2)),
            halt.map(h -> h.substring(0, h.indexOf(':'))),
            target.filter(t -> t.matches("[0-9]+")).map(Integer::parseInt).orElse(0),
            target.filter(t -> !t.matches("[0-9]+")));
    return new CrmlakeConfig(home, raw, lake, spark, run);
  }

  /** The settings that differ from the defaults, {@code key → value}, secrets masked. */
  public Map<String, String> changes() {
    return ConfigLoader.changes(raw);
  }

  /** The effective config, secrets masked, for logs. */
  public String describe() {
    return ConfigLoader.renderMasked(raw);
  }

  public String hash() {
    return ConfigLoader.hash(raw);
  }
}
