package io.crmlake.reliability;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.crmlake.common.config.CrmlakeConfig;
import io.crmlake.common.lake.Lake;
import io.crmlake.common.lake.Table;
import io.crmlake.common.lake.TableId;
import io.crmlake.common.testing.SparkTestBase;
import io.crmlake.segments.SegmentsTables;
import io.crmlake.tables.TableRegistry;
import io.crmlake.testing.Cli;
import io.crmlake.testing.Jobs;
import io.delta.tables.DeltaTable;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The lake's storage fails under a running job: the lake is a small tmpfs of its own, which the
 * test makes read-only in the middle of a segments run, or fills to the last byte. Each run fails
 * with a message naming the cause; every table stays readable and as it was (segments' tables do
 * not exist, the others keep their versions); once the storage is back, the re-run succeeds.
 * Mounting needs root; where the machine does not allow it the tests are reported as skipped, with
 * the reason.
 */
class ResourceFaultsTest extends SparkTestBase {
  @TempDir Path dir;
  Path mount;
  CrmlakeConfig config;
  Lake lake;

  static ProcessResult sh(String... cmd) throws Exception {
    Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
    String out = new String(p.getInputStream().readAllBytes());
    p.waitFor(1, TimeUnit.MINUTES);
    return new ProcessResult(p.exitValue(), out);
  }

  record ProcessResult(int code, String out) {}

  @BeforeEach
  void mountAndIngest() throws Exception {
    mount = dir.resolve("lake");
    Files.createDirectories(mount);
    ProcessResult m = sh("mount", "-t", "tmpfs", "-o", "size=256m", "tmpfs", mount.toString());
    assumeTrue(m.code() == 0, "this machine cannot mount a tmpfs for the lake: " + m.out());
    config =
        config(
            mount,
            "lake.landing=" + dir.resolve("landing"),
            "generate.customers=200",
            "generate.start=2024-01-01",
            "generate.end=2024-03-31",
            "generate.customers-per-partition=100",
            "segments.kmeans.k-max=3",
            "segments.kmeans.seeds=1",
            "run.lock-timeout=4s");
    lake = lake(config);
    Jobs.generate(lake, config);
    Cli.Result ingest = Cli.run(args("ingest"));
    assertEquals(0, ingest.code(), ingest.err());
  }

  @AfterEach
  void unmount() throws Exception {
    if (mount != null) {
      sh("umount", "-l", mount.toString());
    }
  }

  String[] args(String command) {
    return new String[] {
      command,
      "--lake",
      mount.toString(),
      "--set",
      "lake.landing=" + dir.resolve("landing"),
      "--set",
      "segments.kmeans.k-max=3",
      "--set",
      "segments.kmeans.seeds=1",
      "--set",
      "run.lock-timeout=4s"
    };
  }

  Map<TableId, Long> versions() {
    Map<TableId, Long> out = new LinkedHashMap<>();
    for (TableId t : lake.listTables()) {
      out.put(
          t,
          DeltaTable.forPath(spark, lake.root() + "/" + t.layer() + "/" + t.name())
              .history(1)
              .first()
              .getLong(0));
    }
    return out;
  }

  /** Segments wrote nothing; every other table is at its version; all are readable. */
  void tablesAsTheyWere(Map<TableId, Long> before) {
    for (Table t : TableRegistry.PIPELINE) {
      if (t.producer().equals("segments")) {
        assertFalse(lake.exists(t), t + " was created by a failed run");
      }
    }
    assertEquals(before, versions());
    for (TableId t : lake.listTables()) {
      spark.read().format("delta").load(lake.root() + "/" + t.layer() + "/" + t.name()).count();
    }
  }

  @Test
  void aLakeThatTurnsReadOnlyMidRunFailsClearlyAndChangesNothing() throws Exception {
    Map<TableId, Long> before = versions();
    Path lock = mount.resolve("_locks/segments.lock");
    List<String> remounted = new ArrayList<>();
    Thread saboteur =
        new Thread(
            () -> {
              try {
                while (!Files.exists(lock)) {
                  Thread.sleep(20);
                }
                Thread.sleep(1_000); // the run is computing now
                remounted.add(sh("mount", "-o", "remount,ro", mount.toString()).out());
              } catch (Exception e) {
                remounted.add(e.toString());
              }
            });
    saboteur.start();
    Cli.Result r = Cli.run(args("segments"));
    saboteur.join();
    sh("mount", "-o", "remount,rw", mount.toString());
    assertEquals(List.of(""), remounted, "the remount worked");
    assertEquals(1, r.code(), r.out() + r.err());
    assertTrue(r.err().contains("crmlake segments failed"), r.err());
    // Hadoop's local file system reports a read-only mount as a failed mkdirs, naming the path.
    assertTrue(
        r.err().contains("Read-only file system")
            || r.err().contains("Mkdirs failed to create file:" + mount),
        r.err());
    tablesAsTheyWere(before);

    Cli.Result again = Cli.run(args("segments"));
    assertEquals(0, again.code(), again.err());
    assertTrue(lake.exists(SegmentsTables.CUSTOMER_SEGMENTS));
  }

  @Test
  void aFullDiskFailsClearlyAndChangesNothing() throws Exception {
    Map<TableId, Long> before = versions();
    Path filler = mount.resolve("filler");
    try (OutputStream out = Files.newOutputStream(filler)) {
      byte[] mb = new byte[1 << 20];
      while (true) {
        out.write(mb);
      }
    } catch (IOException full) {
      assertTrue(full.getMessage().contains("No space left"), full.getMessage());
    }
    // A few kilobytes stay free: enough for the lock file, not for a table.
    try (var ch =
        java.nio.channels.FileChannel.open(filler, java.nio.file.StandardOpenOption.WRITE)) {
      ch.truncate(Files.size(filler) - 64 * 1024);
    }
    Cli.Result r = Cli.run(args("segments"));
    Files.delete(filler);
    assertEquals(1, r.code(), r.out() + r.err());
    assertTrue(r.err().contains("crmlake segments failed"), r.err());
    assertTrue(r.err().contains("No space left on device"), r.err());
    tablesAsTheyWere(before);

    Cli.Result again = Cli.run(args("segments"));
    assertEquals(0, again.code(), again.err());
    assertTrue(lake.exists(SegmentsTables.CUSTOMER_SEGMENTS));
  }
}
