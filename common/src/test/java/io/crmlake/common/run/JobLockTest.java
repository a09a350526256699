package io.crmlake.common.run;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.crmlake.common.config.CrmlakeConfig;
import io.crmlake.common.lake.Lake;
import io.crmlake.common.run.JobRunnerTest.Result;
import io.crmlake.common.testing.SparkTestBase;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicReference;
import org.apache.hadoop.conf.Configuration;
import org.apache.spark.sql.Row;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * One run of a job at a time per lake: a live holder makes a second run fail at once naming it; a
 * holder whose process is gone, or whose heartbeat is older than the timeout, is taken over and
 * recorded as INTERRUPTED (once, and not at all if it had recorded itself); the lock is released at
 * the end of a run, failed or not.
 */
class JobLockTest extends SparkTestBase {
  @TempDir Path dir;

  private static final Configuration CONF = new Configuration();

  /** A lock file as another process would have left it. */
  private static void plant(Path lockFile, String runId, String host, long pid, Instant beat)
      throws Exception {
    plant(lockFile, runId, host, pid, beat, false);
  }

  private static void plant(
      Path lockFile, String runId, String host, long pid, Instant beat, boolean recorded)
      throws Exception {
    Files.createDirectories(lockFile.getParent());
    Files.writeString(
        lockFile,
        String.format(
            "run_id=%s%nhost=%s%npid=%d%nstarted=%s%nheartbeat=%s%nrecorded=%s%n",
            runId, host, pid, beat.minusSeconds(60), beat, recorded));
  }

  /** Adds to a planted lock file a run its holder took over from and still owes a record of. */
  private static void owes(Path lockFile, String runId, Instant beat) throws Exception {
    Files.writeString(
        lockFile,
        String.format(
            "owed=1%nowed.0.run_id=%s%nowed.0.host=%s%nowed.0.pid=%d%nowed.0.started=%s%n"
                + "owed.0.heartbeat=%s%nowed.0.recorded=false%nend=%n",
            runId, host(), deadPid(), beat.minusSeconds(60), beat),
        java.nio.file.StandardOpenOption.APPEND);
  }

  private Path lockFile(Lake lake, String job) {
    return Path.of(java.net.URI.create(JobLock.pathOf(lake.root(), job).toString()));
  }

  private static Job<Result> noop(String name, AtomicReference<Boolean> lockSeen, Path lockFile) {
    return JobRunnerTest.job(
        name,
        ctx -> {
          ctx.phase("compute");
          lockSeen.set(Files.exists(lockFile));
          return Outputs.of(new Result(0, 0, 0, Optional.empty())).build();
        });
  }

  private static String host() throws Exception {
    return java.net.InetAddress.getLocalHost().getHostName();
  }

  /** A process id that is not running here. */
  private static long deadPid() {
    long pid = 4_000_000;
    while (ProcessHandle.of(pid).isPresent()) {
      pid++;
    }
    return pid;
  }

  @Test
  void aSecondRunOfTheSameJobFailsFastNamingTheHolder() throws Exception {
    CrmlakeConfig config = config(dir);
    Lake lake = lake(config);
    Path file = lockFile(lake, "clv");
    try (JobLock held =
        JobLock.acquire(CONF, lake.root(), "clv", "clv-held", Duration.ofMinutes(2))) {
      long started = System.nanoTime();
      JobLock.JobLockedException e =
          assertThrows(
              JobLock.JobLockedException.class,
              () -> JobRunner.run(lake, config, noop("clv", new AtomicReference<>(), file)));
      assertTrue(
          e.getMessage().contains("another run of clv holds its lock")
              && e.getMessage().contains("run clv-held on host " + host())
              && e.getMessage().contains("process " + ProcessHandle.current().pid()),
          e.getMessage());
      assertTrue(System.nanoTime() - started < 30_000_000_000L, "fails fast, does not wait");
      // Another job is not blocked by it.
      AtomicReference<Boolean> seen = new AtomicReference<>();
      JobRunner.run(lake, config, noop("segments", seen, lockFile(lake, "segments")));
      assertTrue(seen.get(), "segments held its own lock while it ran");
      assertFalse(Files.exists(lockFile(lake, "segments")), "and released it");
    }
    assertFalse(Files.exists(file), "released on close");
    assertEquals(
        0L, lake.read(JobRunLog.JOB_RUNS).where("job = 'clv'").count(), "nothing recorded");
  }

  @Test
  void aKilledRunsLockIsTakenOverAndTheRunRecordedAsInterrupted() throws Exception {
    CrmlakeConfig config = config(dir, "run.lock-timeout=6s");
    Lake lake = lake(config);
    Path file = lockFile(lake, "clv");
    Instant beat = Instant.now().minusSeconds(5).truncatedTo(java.time.temporal.ChronoUnit.MICROS);
    plant(file, "clv-killed", host(), deadPid(), beat);

    AtomicReference<Boolean> seen = new AtomicReference<>();
    JobRunner.run(lake, config, noop("clv", seen, file));
    assertTrue(seen.get());
    assertFalse(Files.exists(file));
    List<Row> runs = lake.read(JobRunLog.JOB_RUNS).orderBy("started_at").collectAsList();
    assertEquals(2, runs.size());
    Row killed = runs.get(0);
    assertEquals("clv-killed", killed.getAs("run_id"));
    assertEquals("INTERRUPTED", killed.getAs("status"));
    assertEquals(beat, killed.<java.sql.Timestamp>getAs("ended_at").toInstant());
    assertTrue(
        killed.<String>getAs("error_message").contains("process killed or machine lost"),
        killed.<String>getAs("error_message"));
    assertEquals("SUCCEEDED", runs.get(1).getAs("status"));

    // A run killed after recording itself (before releasing its lock) is not recorded again.
    String recorded = runs.get(1).getAs("run_id");
    plant(file, recorded, host(), deadPid(), Instant.now().minusSeconds(5), true);
    JobRunner.run(lake, config, noop("clv", seen, file));
    assertEquals(3L, lake.read(JobRunLog.JOB_RUNS).count());
    assertEquals(1L, lake.read(JobRunLog.JOB_RUNS).where("status = 'INTERRUPTED'").count());
  }

  /**
   * A run killed after taking a lock over, before it recorded the run it replaced, passes that run
   * on in its own lock file: the next run records both. One recorded already (the kill came between
   * the record and the lock file's update) is not recorded twice.
   */
  @Test
  void aRunKilledBeforeRecordingTheRunItReplacedPassesItOn() throws Exception {
    CrmlakeConfig config = config(dir, "run.lock-timeout=6s");
    Lake lake = lake(config);
    Path file = lockFile(lake, "clv");
    Instant beat = Instant.now().minusSeconds(5).truncatedTo(java.time.temporal.ChronoUnit.MICROS);
    plant(file, "clv-second", host(), deadPid(), beat);
    owes(file, "clv-first", beat.minusSeconds(30));
    AtomicReference<Boolean> seen = new AtomicReference<>();
    JobRunner.run(lake, config, noop("clv", seen, file));
    assertEquals(
        List.of("clv-first", "clv-second"),
        lake.read(JobRunLog.JOB_RUNS)
            .where("status = 'INTERRUPTED'")
            .orderBy("run_id")
            .select("run_id")
            .as(org.apache.spark.sql.Encoders.STRING())
            .collectAsList());
    assertEquals(
        beat.minusSeconds(30),
        lake.read(JobRunLog.JOB_RUNS)
            .where("run_id = 'clv-first'")
            .first()
            .<java.sql.Timestamp>getAs("ended_at")
            .toInstant(),
        "ended at its own last heartbeat");

    plant(file, "clv-third", host(), deadPid(), Instant.now().minusSeconds(5));
    owes(file, "clv-first", beat.minusSeconds(30));
    JobRunner.run(lake, config, noop("clv", seen, file));
    assertEquals(3L, lake.read(JobRunLog.JOB_RUNS).where("status = 'INTERRUPTED'").count());
    assertEquals(1L, lake.read(JobRunLog.JOB_RUNS).where("run_id = 'clv-first'").count());
    assertEquals(5L, lake.read(JobRunLog.JOB_RUNS).count());
    assertFalse(Files.exists(file), "released");
  }

  /**
   * A taker killed after setting the stale lock aside, before creating its own, leaves a set-aside
   * file: the next run adopts it. A run that cannot record what it owes keeps its lock file on
   * close, so what it owed (and itself, unrecorded) passes to the run after it.
   */
  @Test
  void aSetAsideLockIsAdoptedAndALockStillOwingRecordsIsKept() throws Exception {
    CrmlakeConfig config = config(dir, "run.lock-timeout=6s");
    Lake lake = lake(config);
    Path file = lockFile(lake, "clv");
    Instant beat = Instant.now().minusSeconds(20).truncatedTo(java.time.temporal.ChronoUnit.MICROS);
    Path aside = file.resolveSibling("clv.lock.taken-clv-killed-taker");
    plant(aside, "clv-second", host(), deadPid(), beat);
    owes(aside, "clv-first", beat.minusSeconds(30));

    JobLock first = JobLock.acquire(CONF, lake.root(), "clv", "clv-third", Duration.ofSeconds(6));
    assertEquals(
        List.of("clv-first", "clv-second"),
        first.owed().stream().map(JobLock.Holder::runId).sorted().toList());
    assertFalse(Files.exists(aside), "adopted and deleted");
    String text = Files.readString(file);
    assertTrue(text.startsWith("owed=2\n") && text.endsWith("end=clv-third\n"), text);
    first.close(); // as if recording them had failed
    assertTrue(Files.exists(file), "kept: it still owes two records");

    JobLock second = JobLock.acquire(CONF, lake.root(), "clv", "clv-fourth", Duration.ofSeconds(6));
    assertEquals(
        List.of("clv-first", "clv-second", "clv-third"),
        second.owed().stream().map(JobLock.Holder::runId).sorted().toList());
    second.interruptionsRecorded();
    second.close();
    assertFalse(Files.exists(file), "released once nothing is owed");
    try (var left = Files.list(file.getParent())) {
      assertEquals(List.of(), left.toList());
    }
  }

  @Test
  void aLockOfAnotherHostIsTakenOverOnlyAfterTheTimeout() throws Exception {
    CrmlakeConfig config = config(dir, "run.lock-timeout=10s");
    Lake lake = lake(config);
    Path file = lockFile(lake, "clv");
    plant(file, "clv-elsewhere", "another-host", 1, Instant.now().minusSeconds(3));
    JobLock.JobLockedException e =
        assertThrows(
            JobLock.JobLockedException.class,
            () -> JobRunner.run(lake, config, noop("clv", new AtomicReference<>(), file)));
    assertTrue(e.getMessage().contains("another-host"), e.getMessage());
    assertTrue(e.getMessage().contains("taken over 10 s after"), e.getMessage());

    plant(file, "clv-elsewhere", "another-host", 1, Instant.now().minusSeconds(11));
    JobRunner.run(lake, config, noop("clv", new AtomicReference<>(), file));
    assertEquals(
        "INTERRUPTED",
        lake.read(JobRunLog.JOB_RUNS).where("run_id = 'clv-elsewhere'").first().getAs("status"));
  }

  @Test
  void theHeartbeatKeepsALongRunsLockAndAFailedRunReleasesIt() throws Exception {
    CrmlakeConfig config = config(dir, "run.lock-timeout=3s");
    Lake lake = lake(config);
    Path file = lockFile(lake, "clv");
    AtomicReference<String> during = new AtomicReference<>();
    assertThrows(
        IllegalStateException.class,
        () ->
            JobRunner.run(
                lake,
                config,
                JobRunnerTest.job(
                    "clv",
                    ctx -> {
                      ctx.phase("compute");
                      try {
                        Thread.sleep(5_000); // longer than the timeout
                        // Another run now must still see a live holder.
                        JobLock.JobLockedException e =
                            assertThrows(
                                JobLock.JobLockedException.class,
                                () ->
                                    JobLock.acquire(
                                        CONF, lake.root(), "clv", "clv-2", Duration.ofSeconds(3)));
                        during.set(e.getMessage());
                      } catch (InterruptedException e) {
                        throw new IllegalStateException(e);
                      }
                      throw new IllegalStateException("the job fails");
                    })));
    assertTrue(during.get().contains("last heartbeat 0 s ago"), during.get());
    assertFalse(Files.exists(file), "a failed run releases its lock");
    assertEquals("FAILED", lake.read(JobRunLog.JOB_RUNS).first().getAs("status"));
  }
}
