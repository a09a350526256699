package io.crmlake.common.run;

import io.crmlake.common.config.CrmlakeConfig;
import io.crmlake.common.lake.Lake;
import io.crmlake.common.spark.ShufflePartitions;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.storage.StorageLevel;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One job run as the job sees it: its identity (run id {@code <job>-<version>}, where the version
 * {@code <utc time>-<random>} also names the models the run trains), the lake it reads, named
 * phases (Spark job group, a log line, a timing each), and the caches the runner releases at the
 * end.
 *
 * <p>{@code run.fail-at-phase = "<job>:<phase>"} makes the run fail when a phase whose name starts
 * with {@code <phase>} begins: fault injection, for tests that prove a failed run writes nothing.
 */
public final class RunContext {
  private static final Logger LOG = LoggerFactory.getLogger(RunContext.class);
  static final DateTimeFormatter ID_TIME =
      DateTimeFormatter.ofPattern("yyyyMMdd'T'HHmmss").withZone(ZoneOffset.UTC);

  /**
   * The Spark local property (thread-local) naming the pipeline run a job runs in; set by the
   * pipeline for the jobs it runs, recorded in {@code ops.job_runs.pipeline_run_id}.
   */
  public static final String PIPELINE_RUN = "crmlake.pipeline.run-id";

  /** The setting that injects a failure at the start of a phase. */
  public static final String FAIL_AT_PHASE = "run.fail-at-phase";

  private final Lake lake;
  private final String job;
  private final String version;
  private final String runId;
  private final String configHash;
  private final Instant startedAt;
  private final Optional<String> failAt;
  private final Optional<String> pipelineRunId;
  private final int haltAfterCommit;
  private final CrmlakeConfig.SparkSettings sparkSettings;
  private boolean sizedShuffles;
  private long inputBytes;
  private final Optional<String> haltAfterTable;
  private int commits;
  private JobLock lock;
  private final Map<String, Long> phaseMillis = new LinkedHashMap<>();
  private final List<Dataset<?>> cached = new ArrayList<>();
  private String phase;
  private long phaseStart;

  public RunContext(Lake lake, String job, CrmlakeConfig config) {
    this.lake = lake;
    this.job = job;
    this.startedAt = Instant.now();
    this.configHash = config.hash();
    this.version = ID_TIME.format(startedAt) + "-" + UUID.randomUUID().toString().substring(0, 8);
    this.runId = job + "-" + version;
    this.failAt = config.settings().optString(FAIL_AT_PHASE);
    boolean halts = config.run().haltJob().filter(job::equals).isPresent();
    this.haltAfterCommit = halts ? config.run().haltAfterCommit() : 0;
    this.haltAfterTable = halts ? config.run().haltAfterTable() : Optional.empty();
    this.pipelineRunId =
        Optional.ofNullable(lake.spark().sparkContext().getLocalProperty(PIPELINE_RUN));
    this.sparkSettings = config.spark();
  }

  /**
   * Sizes the run's shuffles to its input ({@link ShufflePartitions}) when the session leaves
   * {@code spark.sql.shuffle.partitions} unset; {@link #restoreShuffles} unsets it again. The
   * runner starts with silver's bytes; a job that reads more (ingest: its landing files, source by
   * source) adds them with {@link #addInputBytes} as it learns of them.
   */
  void sizeShuffles(long bytes) {
    sizedShuffles = !spark().conf().contains(ShufflePartitions.KEY);
    addInputBytes(bytes);
  }

  /** Adds {@code bytes} to the input the run's shuffles are sized to (when they are sized). */
  public void addInputBytes(long bytes) {
    inputBytes += bytes;
    if (sizedShuffles) {
      int n =
          ShufflePartitions.of(
              inputBytes,
              sparkSettings.bytesPerShufflePartition(),
              spark().sparkContext().defaultParallelism(),
              sparkSettings.maxShufflePartitions());
      spark().conf().set(ShufflePartitions.KEY, n);
      LOG.info("[{}] {} shuffle partitions for {} bytes of input", job, n, inputBytes);
    }
  }

  /** Unsets the shuffle partitions this run sized. */
  void restoreShuffles() {
    if (sizedShuffles) {
      spark().conf().unset(ShufflePartitions.KEY);
      sizedShuffles = false;
    }
  }

  /** The pipeline run this job runs in, if any. */
  public Optional<String> pipelineRunId() {
    return pipelineRunId;
  }

  public String runId() {
    return runId;
  }

  /** The run's version, {@code <utc time>-<random>}: sorts by time; names the run's models. */
  public String version() {
    return version;
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

  public Lake lake() {
    return lake;
  }

  public SparkSession spark() {
    return lake.spark();
  }

  /**
   * Starts a named phase: ends the previous one, sets the Spark job group and logs the phase (one
   * INFO line; its time at DEBUG, and all phases' times in the run's last line).
   */
  public void phase(String name) {
    endPhase();
    phase = name;
    phaseStart = System.nanoTime();
    spark().sparkContext().setJobGroup(job + ": " + name, runId + " " + name, false);
    LOG.info("[{}] {}", job, name);
    if (failAt.isPresent() && (job + ":" + name).startsWith(failAt.get())) {
      throw new InjectedFailure(FAIL_AT_PHASE + " = " + failAt.get() + ": failing phase " + name);
    }
  }

  /** Ends the current phase (if any) and records its time. */
  void endPhase() {
    if (phase != null) {
      long ms = (System.nanoTime() - phaseStart) / 1_000_000;
      phaseMillis.merge(phase, ms, Long::sum);
      LOG.debug("[{}] {}: {} ms", job, phase, ms);
      phase = null;
    }
  }

  /** The job's lock, held for this run. */
  void holdLock(JobLock held) {
    this.lock = held;
  }

  /** The run's record is committed: its lock file says so from now on. */
  void recorded() {
    if (lock != null) {
      lock.markRecorded();
    }
  }

  /** Fails if the run no longer holds its job's lock (checked before each table write). */
  void verifyLock() {
    if (lock != null) {
      lock.verify();
    }
  }

  /**
   * Counts a Delta commit of this run; with {@code run.halt-after-commit = <job>:<n>} (or {@code
   * <job>:<table>}), the n-th commit (the commit to that table) prints a marker line and blocks
   * until the process is killed (crash drills: the test sends SIGKILL).
   */
  void committed(String what) {
    commits++;
    if ((haltAfterCommit > 0 && commits == haltAfterCommit)
        || haltAfterTable.filter(what::equals).isPresent()) {
      String marker = "crmlake: halting after commit " + commits + " (" + what + ")";
      LOG.warn(marker);
      System.out.println(marker);
      System.out.flush();
      while (true) {
        try {
          Thread.sleep(60_000);
        } catch (InterruptedException e) {
          // keep blocking: only a kill ends this process
        }
      }
    }
  }

  /** Milliseconds per phase, in the order the phases ran. */
  public Map<String, Long> phaseMillis() {
    return Collections.unmodifiableMap(phaseMillis);
  }

  /** Caches {@code data} (memory, spilling to disk) until the runner releases it after the run. */
  public <T> Dataset<T> persist(Dataset<T> data) {
    return persist(data, StorageLevel.MEMORY_AND_DISK());
  }

  public <T> Dataset<T> persist(Dataset<T> data, StorageLevel level) {
    track(data);
    return data.persist(level);
  }

  /**
   * Computes {@code data} once, caches its rows and returns them as a dataset whose query plan is a
   * scan of those rows only, not the plan that computed them. Every later query over it is then
   * analysed, optimised and rendered (for the UI, at each adaptive re-plan) at the size of its own
   * plan: a training set built from many aggregations and joins otherwise drags its whole lineage
   * into every model fit and evaluation. Lost blocks are recomputed, as for {@link #persist}. The
   * rows keep their partitions and order, but Spark no longer knows how they are partitioned.
   */
  public Dataset<Row> materialize(Dataset<Row> data) {
    Dataset<Row> rows = persist(data.sparkSession().createDataFrame(data.javaRDD(), data.schema()));
    rows.count();
    return rows;
  }

  /** Releases an already cached dataset with the run's other caches. */
  public void track(Dataset<?> cachedData) {
    cached.add(cachedData);
  }

  /** Unpersists every dataset cached through this context. */
  void release() {
    for (Dataset<?> d : cached) {
      d.unpersist();
    }
    cached.clear();
  }

  /** The failure {@link #FAIL_AT_PHASE} injects. */
  public static final class InjectedFailure extends RuntimeException {
    InjectedFailure(String message) {
      super(message);
    }
  }
}
