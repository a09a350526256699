package io.crmlake.testing;

import io.crmlake.cli.Main;
import io.crmlake.common.testing.SparkTestBase;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * The command line in a separate JVM (the test's class path and the build's JVM flags), with its
 * stdout and stderr in files: for what one process cannot show — two runs at once, a process killed
 * with SIGKILL at a chosen moment.
 */
public final class ChildJvm {
  private final Process process;
  private final Path out;
  private final Path err;

  private ChildJvm(Process process, Path out, Path err) {
    this.process = process;
    this.out = out;
    this.err = err;
  }

  /**
   * Starts {@code crmlake <args>} with {@code env} added to the environment; output goes to {@code
   * <logs>/<name>.out} and {@code .err}.
   */
  public static ChildJvm start(Path logs, String name, Map<String, String> env, List<String> args)
      throws IOException {
    Path project = SparkTestBase.projectDir();
    List<String> cmd = new ArrayList<>();
    cmd.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
    String flags =
        Files.readString(project.resolve("jobs/target/jvm.options"), StandardCharsets.UTF_8);
    cmd.addAll(List.of(flags.trim().split("\\s+")));
    cmd.add("-Xmx1g");
    // Short-lived JVMs: the client compiler only starts faster.
    cmd.add("-XX:TieredStopAtLevel=1");
    cmd.add("-Dcrmlake.home=" + project);
    cmd.add("-Dlog4j2.configurationFile=" + project.resolve("conf/log4j2.properties"));
    cmd.add("-cp");
    cmd.add(System.getProperty("java.class.path"));
    cmd.add(Main.class.getName());
    cmd.addAll(args);
    Files.createDirectories(logs);
    Path out = logs.resolve(name + ".out");
    Path err = logs.resolve(name + ".err");
    ProcessBuilder pb =
        new ProcessBuilder(cmd).redirectOutput(out.toFile()).redirectError(err.toFile());
    pb.environment().putAll(env);
    return new ChildJvm(pb.start(), out, err);
  }

  public boolean isAlive() {
    return process.isAlive();
  }

  public long pid() {
    return process.toHandle().pid();
  }

  /**
   * Waits until the process prints a line containing {@code marker} (true) or ends (false); fails
   * after {@code timeout}.
   */
  public boolean awaitLine(String marker, Duration timeout) throws Exception {
    long end = System.nanoTime() + timeout.toNanos();
    while (System.nanoTime() < end) {
      if (out().contains(marker)) {
        return true;
      }
      if (!process.isAlive()) {
        return out().contains(marker);
      }
      Thread.sleep(100);
    }
    process.destroyForcibly();
    throw new AssertionError(
        "the child printed no '" + marker + "' within " + timeout + ":\n" + tail());
  }

  /** SIGKILL: the JVM gets no chance to run a shutdown hook or a finally block. */
  public void kill() throws InterruptedException {
    process.destroyForcibly();
    process.waitFor(1, TimeUnit.MINUTES);
  }

  /** Waits for the process to end and returns its exit code. */
  public int waitFor(Duration timeout) throws Exception {
    if (!process.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS)) {
      process.destroyForcibly();
      throw new AssertionError("the child did not end within " + timeout + ":\n" + tail());
    }
    return process.exitValue();
  }

  public String out() throws IOException {
    return Files.readString(out, StandardCharsets.UTF_8);
  }

  public String err() throws IOException {
    return Files.readString(err, StandardCharsets.UTF_8);
  }

  /** The last lines of both outputs, for failure messages. */
  public String tail() throws IOException {
    List<String> lines = new ArrayList<>(out().lines().toList());
    lines.addAll(err().lines().toList());
    return String.join("\n", lines.subList(Math.max(0, lines.size() - 40), lines.size()));
  }
}
