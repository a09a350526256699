package io.crmlake.common.run;

import java.io.IOException;
import java.net.InetAddress;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FileStatus;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One run of a job at a time per lake: the lock file {@code <lake.root>/_locks/<job>.lock}, created
 * only if absent (atomically on local disks and HDFS), holding the run id, host, process id, start
 * time and a heartbeat that a daemon thread renews while the run lives. A second run of the job
 * fails fast with {@link JobLockedException} (exit code 4) naming the holder.
 *
 * <p>A lock is stale, and taken over, when its heartbeat is older than {@code run.lock-timeout}, or
 * when its holder ran on this host, that process is gone and two heartbeats were missed (a killed
 * run). The run that takes over sets the stale file aside ({@code <job>.lock.taken-<run id>}, an
 * atomic rename: one taker wins), creates its own, and adopts every set-aside file it finds: the
 * killed runs they name are written into its own lock file ({@link #owed}), the set-aside files
 * deleted, and the runner records those runs as {@code INTERRUPTED} in {@code ops.job_runs}, then
 * clears them ({@link #interruptionsRecorded}). A run killed at any point of this passes what it
 * owed on (in its lock file or a set-aside file) to the run that takes over from it, and a run that
 * ends before recording them leaves its lock file in place for the next run: no interrupted run
 * goes unrecorded, and none twice (the runner skips a run {@code ops.job_runs} already has).
 *
 * <p>On object stores without an atomic create-if-absent, two runs started within the same instant
 * may both get the lock; Delta's own conflict detection still keeps every table consistent.
 */
public final class JobLock implements AutoCloseable {
  private static final Logger LOG = LoggerFactory.getLogger(JobLock.class);

  /**
   * What a lock file says about the run that holds it; {@code owed} are the killed runs it took the
   * lock over from and has not yet recorded as interrupted.
   */
  public record Holder(
      String runId,
      String host,
      long pid,
      Instant started,
      Instant heartbeat,
      boolean recorded,
      List<Holder> owed) {
    public Holder {
      owed = List.copyOf(owed);
    }

    /** The interrupted runs whose records a run taking over from this one owes. */
    List<Holder> owedByTakingOver() {
      List<Holder> out = new ArrayList<>(owed);
      if (!recorded) {
        out.add(new Holder(runId, host, pid, started, heartbeat, false, List.of()));
      }
      return out;
    }

    String describe(Instant now) {
      return String.format(
          "run %s on host %s (process %d), started %s, last heartbeat %d s ago",
          runId, host, pid, started, Math.max(0, Duration.between(heartbeat, now).toSeconds()));
    }
  }

  /** The run ids whose locks this JVM holds. */
  private static final java.util.Set<String> HELD =
      java.util.concurrent.ConcurrentHashMap.newKeySet();

  private final FileSystem fs;
  private final Path path;
  private final Holder holder;
  private volatile List<Holder> owed;
  private final ScheduledExecutorService heartbeat;
  private volatile String lost;

  private JobLock(FileSystem fs, Path path, Holder holder, Duration every) {
    this.fs = fs;
    this.path = path;
    this.holder = holder;
    this.owed = holder.owed();
    this.heartbeat =
        Executors.newSingleThreadScheduledExecutor(
            r -> {
              Thread t = new Thread(r, "crmlake-lock-" + path.getName());
              t.setDaemon(true);
              return t;
            });
    long ms = every.toMillis();
    heartbeat.scheduleWithFixedDelay(this::beat, ms, ms, TimeUnit.MILLISECONDS);
  }

  /** The lock file of {@code job} in the lake at {@code root}. */
  public static Path pathOf(String root, String job) {
    return new Path(root + "/_locks/" + job + ".lock");
  }

  /**
   * Takes the lock of {@code job} for {@code runId}, or throws {@link JobLockedException} when a
   * live run holds it. {@code timeout} is {@code run.lock-timeout}; the heartbeat is renewed every
   * twelfth of it.
   */
  public static JobLock acquire(
      Configuration conf, String root, String job, String runId, Duration timeout) {
    Path path = pathOf(root, job);
    Duration every = heartbeatInterval(timeout);
    try {
      FileSystem fs = path.getFileSystem(conf);
      fs.mkdirs(path.getParent());
      for (int attempt = 0; ; attempt++) {
        Instant now = Instant.now();
        Holder me =
            new Holder(runId, host(), ProcessHandle.current().pid(), now, now, false, List.of());
        if (LockFile.createIfAbsent(fs, path, me)) {
          HELD.add(runId);
          JobLock lock = new JobLock(fs, path, me, every);
          try {
            lock.adoptSetAside();
          } catch (IOException | RuntimeException e) {
            lock.close(); // the set-aside files stay for the next run
            throw e;
          }
          return lock;
        }
        Optional<Holder> other = LockFile.read(fs, path);
        if (other.isEmpty()) {
          awaitReadable(fs, path, job, timeout, attempt);
          continue;
        }
        Standing holder = Standing.of(other.get(), me, every, now);
        if (holder.mayStillBeat() && attempt < 60) {
          sleep(holder.untilTwoBeatsMissed());
          continue;
        }
        if (holder.alive(timeout)) {
          throw new JobLockedException(
              String.format(
                  "another run of %s holds its lock in this lake: %s. It is released when that run"
                      + " ends, or taken over %d s after its last heartbeat (run.lock-timeout)."
                      + " Lock file: %s",
                  job, holder.holder().describe(now), timeout.toSeconds(), path));
        }
        if (attempt >= 5) {
          throw new JobLockedException("cannot take over the stale lock " + path + " of " + job);
        }
        setAsideIfUnchanged(fs, path, other, job, holder, runId, now);
      }
    } catch (IOException e) {
      throw new IllegalStateException("cannot take the lock " + path + " of " + job + ": " + e, e);
    }
  }

  /**
   * What is known of the lock's holder: how long since its heartbeat, whether its process is gone
   * (on this host), or whether it is a run of this very JVM that ended without deleting its lock
   * (the lake was read-only then).
   */
  private record Standing(
      Holder holder, Duration age, boolean dead, boolean ended, Duration missed) {
    static Standing of(Holder h, Holder me, Duration every, Instant now) {
      boolean here = h.host().equals(me.host());
      boolean ended = here && h.pid() == me.pid() && !HELD.contains(h.runId());
      boolean dead = ended || (here && ProcessHandle.of(h.pid()).isEmpty());
      return new Standing(
          h, Duration.between(h.heartbeat(), now), dead, ended, every.multipliedBy(2));
    }

    /**
     * Its process is gone, but wait until two heartbeats are missed: a process in another container
     * of the same host may not be visible to us.
     */
    boolean mayStillBeat() {
      return dead && !ended && age.compareTo(missed) < 0;
    }

    Duration untilTwoBeatsMissed() {
      return missed.minus(age).plusMillis(100);
    }

    boolean alive(Duration timeout) {
      return !dead && age.compareTo(timeout) < 0;
    }
  }

  /**
   * The lock file exists but cannot be read: released (or still being written) since we tried, so
   * the caller tries again, briefly. A lock file that stays unreadable (its writer died mid-write)
   * is stale once it is older than the timeout, and removed.
   */
  private static void awaitReadable(
      FileSystem fs, Path path, String job, Duration timeout, int attempt) throws IOException {
    if (unreadableAndOld(fs, path, timeout)) {
      LOG.warn("removing the unreadable lock {} of {}: older than {}", path, job, timeout);
      fs.delete(path, false);
      return;
    }
    if (attempt >= 20) {
      throw new JobLockedException(
          job
              + " is locked by "
              + path
              + ", which cannot be read; delete it if no run of "
              + job
              + " is running");
    }
    sleep(Duration.ofMillis(250));
  }

  /**
   * A stale lock is set aside (renamed to {@code <job>.lock.taken-<runId>}) if it still says the
   * same; whoever then creates the lock adopts what it owes ({@link #adoptSetAside}).
   */
  private static void setAsideIfUnchanged(
      FileSystem fs,
      Path path,
      Optional<Holder> seen,
      String job,
      Standing holder,
      String runId,
      Instant now)
      throws IOException {
    if (!LockFile.read(fs, path).equals(seen)) {
      return;
    }
    LOG.warn(
        "taking over the lock of {}: its holder is gone ({}) — {}",
        job,
        holder.dead() ? "its process ended" : "no heartbeat for " + holder.age().toSeconds() + " s",
        holder.holder().describe(now));
    LockFile.rename(fs, path, new Path(path.getParent(), path.getName() + SET_ASIDE + runId));
  }

  private static final String SET_ASIDE = ".taken-";

  /**
   * Takes on the records owed by every set-aside lock file (of this taking over, or of a taker
   * killed before it created its lock): writes them into this lock file, then deletes those files.
   */
  private void adoptSetAside() throws IOException {
    FileStatus[] aside =
        fs.globStatus(new Path(path.getParent(), path.getName() + SET_ASIDE + "*"));
    if (aside == null || aside.length == 0) {
      return;
    }
    Map<String, Holder> byRun = new LinkedHashMap<>();
    for (FileStatus f : aside) {
      Optional<Holder> h = LockFile.read(fs, f.getPath());
      if (h.isEmpty()) {
        LOG.warn("ignoring the unreadable set-aside lock {}", f.getPath());
      }
      h.ifPresent(taken -> taken.owedByTakingOver().forEach(o -> byRun.putIfAbsent(o.runId(), o)));
    }
    synchronized (this) {
      owed = List.copyOf(byRun.values());
      LockFile.replace(fs, path, renewed(Instant.now()));
    }
    for (FileStatus f : aside) {
      fs.delete(f.getPath(), false);
    }
  }

  private static boolean unreadableAndOld(FileSystem fs, Path path, Duration timeout)
      throws IOException {
    try {
      long modified = fs.getFileStatus(path).getModificationTime();
      return Duration.between(Instant.ofEpochMilli(modified), Instant.now()).compareTo(timeout)
          >= 0;
    } catch (java.io.FileNotFoundException gone) {
      return false;
    }
  }

  static Duration heartbeatInterval(Duration timeout) {
    Duration d = timeout.dividedBy(12);
    Duration min = Duration.ofMillis(500);
    Duration max = Duration.ofSeconds(30);
    return d.compareTo(min) < 0 ? min : d.compareTo(max) > 0 ? max : d;
  }

  /**
   * The killed runs this run took the lock over from (directly, or through runs killed before they
   * recorded them) that are still to be recorded as interrupted.
   */
  public List<Holder> owed() {
    return owed;
  }

  /** The owed runs are recorded: the lock file stops passing them on. */
  public synchronized void interruptionsRecorded() {
    owed = List.of();
    try {
      LockFile.replace(fs, path, renewed(Instant.now()));
    } catch (IOException | RuntimeException e) {
      LOG.warn("cannot update the lock {}: {}", path, e.toString());
    }
  }

  public Holder holder() {
    return holder;
  }

  private volatile boolean recorded;

  private Holder renewed(Instant beat) {
    return new Holder(
        holder.runId(), holder.host(), holder.pid(), holder.started(), beat, recorded, owed);
  }

  /**
   * Notes in the lock file that the run has recorded itself in {@code ops.job_runs}: a run killed
   * after that is not recorded again as interrupted.
   */
  public synchronized void markRecorded() {
    recorded = true;
    try {
      LockFile.replace(fs, path, renewed(Instant.now()));
    } catch (IOException | RuntimeException e) {
      LOG.warn("cannot update the lock {}: {}", path, e.toString());
    }
  }

  /** Fails if another run took the lock over (this run's heartbeat stalled past the timeout). */
  public void verify() {
    if (lost != null) {
      throw new IllegalStateException("this run lost its lock " + path + ": " + lost);
    }
  }

  /**
   * Stops the heartbeat and deletes the lock file if it is still this run's, unless it still names
   * interrupted runs to record (recording them failed): then it stays for the next run to adopt.
   */
  @Override
  public void close() {
    heartbeat.shutdownNow();
    try {
      // A heartbeat being written must not re-create the file after it is deleted below.
      heartbeat.awaitTermination(10, TimeUnit.SECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
    HELD.remove(holder.runId());
    synchronized (this) {
      if (!owed.isEmpty()) {
        LOG.warn(
            "leaving the lock {} in place: it names {} interrupted run(s) not yet recorded in"
                + " ops.job_runs, which the next run of the job records",
            path,
            owed.size());
        return;
      }
      try {
        Optional<Holder> now = LockFile.read(fs, path);
        if (now.isPresent() && now.get().runId().equals(holder.runId())) {
          fs.delete(path, false);
        }
      } catch (IOException e) {
        LOG.warn("cannot release the lock {}: {}", path, e.toString());
      }
    }
  }

  /** Renews the heartbeat; synchronized with the other writes so none writes back stale fields. */
  private synchronized void beat() {
    try {
      Optional<Holder> now = LockFile.read(fs, path);
      if (now.isPresent() && !now.get().runId().equals(holder.runId())) {
        lost = "now held by " + now.get().describe(Instant.now());
        LOG.error("run {} lost its lock {}: {}", holder.runId(), path, lost);
        heartbeat.shutdown();
        return;
      }
      LockFile.replace(fs, path, renewed(Instant.now()));
    } catch (IOException | RuntimeException e) {
      LOG.warn("cannot renew the lock {}: {}", path, e.toString());
    }
  }

  private static volatile String host;

  private static String host() {
    if (host == null) {
      try {
        host = InetAddress.getLocalHost().getHostName();
      } catch (IOException e) {
        host = Optional.ofNullable(System.getenv("HOSTNAME")).orElse("unknown");
      }
    }
    return host;
  }

  private static void sleep(Duration d) {
    try {
      Thread.sleep(Math.max(1, d.toMillis()));
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new JobLockedException("interrupted while waiting for a lock");
    }
  }

  /** Another live run of the job holds its lock (exit code 4). */
  public static final class JobLockedException extends RuntimeException {
    public JobLockedException(String message) {
      super(message);
    }
  }
}
