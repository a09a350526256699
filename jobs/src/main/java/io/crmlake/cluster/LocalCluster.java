package io.crmlake.cluster;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.crmlake.common.config.ConfigError;
import java.io.IOException;
import java.io.InputStream;
import java.net.HttpURLConnection;
import java.net.ServerSocket;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Properties;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A Spark standalone cluster on this machine, on loopback only: one Master and N Workers started
 * from Spark's own classes (spark-core) as separate JVMs, with executors as further JVMs launched
 * by the workers. Its Spark home ({@code jobs/target/spark-home}) is assembled by the build from
 * the Maven artifacts: {@code jars/} and an empty {@code RELEASE} file.
 *
 * <p>State (process ids, ports, logs) lives in a folder, so {@code bin/crmlake cluster status} and
 * {@code stop} work from a later process.
 */
public final class LocalCluster {
  private static final Logger LOG = LoggerFactory.getLogger(LocalCluster.class);
  private static final String STATE = "cluster.properties";

  private final Path sparkHome;
  private final Path stateDir;
  private final List<String> jvmFlags;

  /**
   * @param sparkHome the assembled Spark home (with {@code jars/} and {@code RELEASE})
   * @param stateDir where process ids, ports and logs are kept
   * @param jvmFlags the JVM flags Spark needs on Java 17 (jobs/target/jvm.options)
   */
  public LocalCluster(Path sparkHome, Path stateDir, List<String> jvmFlags) {
    this.sparkHome = sparkHome.toAbsolutePath();
    this.stateDir = stateDir.toAbsolutePath();
    this.jvmFlags = List.copyOf(jvmFlags);
  }

  /** The cluster of a crmlake checkout: its build's Spark home and JVM flags. */
  public static LocalCluster forProject(Path home) throws IOException {
    Path target = home.resolve("jobs/target");
    Path flags = target.resolve("jvm.options");
    if (!Files.isDirectory(target.resolve("spark-home/jars")) || !Files.exists(flags)) {
      throw new ConfigError(
          "no Spark home at " + target.resolve("spark-home") + ": build first (mvn -B package)");
    }
    return new LocalCluster(
        target.resolve("spark-home"),
        target.resolve("cluster"),
        List.of(Files.readString(flags).trim().split("\\s+")));
  }

  /** Where a running cluster can be reached. */
  public record Endpoints(String masterUrl, String webUi, int workers) {}

  public Path sparkHome() {
    return sparkHome;
  }

  public List<String> jvmFlags() {
    return jvmFlags;
  }

  /**
   * Starts a master and {@code workers} workers, each with {@code cores} cores and {@code memory}
   * (e.g. "2g"), and waits until every worker has registered.
   */
  public Endpoints start(int workers, int cores, String memory, Duration timeout)
      throws IOException, InterruptedException {
    if (status().isPresent()) {
      throw new ConfigError("a cluster is already running (" + status().get().masterUrl() + ")");
    }
    Files.createDirectories(stateDir);
    Files.writeString(sparkHome.resolve("RELEASE"), "", StandardCharsets.UTF_8);
    int port = preferredPort(7077);
    int uiPort = preferredPort(8080);
    Properties state = new Properties();
    state.setProperty("master.port", String.valueOf(port));
    state.setProperty("master.webui", String.valueOf(uiPort));
    String masterUrl = "spark://127.0.0.1:" + port;
    Process master =
        launch(
            "master",
            List.of(
                "org.apache.spark.deploy.master.Master",
                "--host",
                "127.0.0.1",
                "--port",
                String.valueOf(port),
                "--webui-port",
                String.valueOf(uiPort)));
    state.setProperty("master.pid", String.valueOf(master.pid()));
    save(state);
    waitFor(uiPort, 0, timeout);
    for (int i = 1; i <= workers; i++) {
      Path work = stateDir.resolve("work-" + i);
      Files.createDirectories(work);
      Process w =
          launch(
              "worker-" + i,
              List.of(
                  "org.apache.spark.deploy.worker.Worker",
                  "--host",
                  "127.0.0.1",
                  "--webui-port",
                  String.valueOf(freePort()),
                  "--cores",
                  String.valueOf(cores),
                  "--memory",
                  memory,
                  "--work-dir",
                  work.toString(),
                  masterUrl));
      state.setProperty("worker." + i + ".pid", String.valueOf(w.pid()));
      save(state);
    }
    state.setProperty("workers", String.valueOf(workers));
    save(state);
    waitFor(uiPort, workers, timeout);
    Endpoints e = new Endpoints(masterUrl, "http://127.0.0.1:" + uiPort, workers);
    LOG.info("standalone cluster up: {} (web UI {}), {} workers", masterUrl, e.webUi(), workers);
    return e;
  }

  /** The running cluster, if its master process is alive. */
  public Optional<Endpoints> status() throws IOException {
    Properties state = load();
    if (state == null || !alive(state.getProperty("master.pid"))) {
      return Optional.empty();
    }
    int ui = Integer.parseInt(state.getProperty("master.webui"));
    JsonNode json = masterJson(ui);
    int workers = json == null ? 0 : aliveWorkers(json);
    return Optional.of(
        new Endpoints(
            "spark://127.0.0.1:" + state.getProperty("master.port"),
            "http://127.0.0.1:" + ui,
            workers));
  }

  /** Applications the master knows (running and completed), by name. */
  public List<String> applications() throws IOException {
    Properties state = load();
    if (state == null) {
      return List.of();
    }
    JsonNode json = masterJson(Integer.parseInt(state.getProperty("master.webui")));
    List<String> names = new ArrayList<>();
    if (json != null) {
      for (String field : List.of("activeapps", "completedapps")) {
        json.path(field).forEach(a -> names.add(a.path("name").asText()));
      }
    }
    return names;
  }

  /**
   * Stops every process of the cluster — workers first (with the executors they launched), then the
   * master — and returns how many processes it ended.
   */
  public int stop() throws IOException, InterruptedException {
    Properties state = load();
    if (state == null) {
      return 0;
    }
    List<ProcessHandle> all = new ArrayList<>();
    for (Map.Entry<Object, Object> e : state.entrySet()) {
      String key = (String) e.getKey();
      if (key.startsWith("worker.") && key.endsWith(".pid")) {
        ProcessHandle.of(Long.parseLong((String) e.getValue())).ifPresent(all::add);
      }
    }
    ProcessHandle.of(Long.parseLong(state.getProperty("master.pid"))).ifPresent(all::add);
    List<ProcessHandle> withChildren = new ArrayList<>();
    for (ProcessHandle p : all) {
      p.descendants().forEach(withChildren::add);
      withChildren.add(p);
    }
    int ended = 0;
    for (ProcessHandle p : withChildren) {
      if (p.isAlive()) {
        p.destroy();
        ended++;
      }
    }
    Instant deadline = Instant.now().plusSeconds(20);
    for (ProcessHandle p : withChildren) {
      while (p.isAlive() && Instant.now().isBefore(deadline)) {
        Thread.sleep(100);
      }
      if (p.isAlive()) {
        p.destroyForcibly();
      }
    }
    Files.deleteIfExists(stateDir.resolve(STATE));
    LOG.info("standalone cluster stopped ({} processes)", ended);
    return ended;
  }

  private Process launch(String name, List<String> mainAndArgs) throws IOException {
    List<String> cmd = new ArrayList<>();
    cmd.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
    cmd.addAll(jvmFlags);
    cmd.add("-Xmx1g");
    cmd.add("-cp");
    cmd.add(sparkHome.resolve("jars") + "/*");
    cmd.addAll(mainAndArgs);
    ProcessBuilder pb = new ProcessBuilder(cmd);
    pb.environment().put("SPARK_HOME", sparkHome.toString());
    pb.environment().put("SPARK_SCALA_VERSION", "2.13");
    pb.environment().put("SPARK_LOCAL_IP", "127.0.0.1");
    pb.environment().put("SPARK_LOG_DIR", stateDir.toString());
    pb.redirectErrorStream(true);
    pb.redirectOutput(stateDir.resolve(name + ".log").toFile());
    Process p = pb.start();
    LOG.info("started {} (pid {}), log {}", name, p.pid(), stateDir.resolve(name + ".log"));
    return p;
  }

  private void waitFor(int uiPort, int workers, Duration timeout)
      throws IOException, InterruptedException {
    Instant deadline = Instant.now().plus(timeout);
    while (Instant.now().isBefore(deadline)) {
      JsonNode json = masterJson(uiPort);
      if (json != null && aliveWorkers(json) >= workers) {
        return;
      }
      Thread.sleep(250);
    }
    throw new IllegalStateException(
        "the cluster did not come up within " + timeout + "; see the logs in " + stateDir);
  }

  private static int aliveWorkers(JsonNode json) {
    int n = 0;
    for (JsonNode w : json.path("workers")) {
      if ("ALIVE".equals(w.path("state").asText())) {
        n++;
      }
    }
    return n;
  }

  private static JsonNode masterJson(int uiPort) {
    try {
      HttpURLConnection c =
          (HttpURLConnection)
              URI.create("http://127.0.0.1:" + uiPort + "/json/").toURL().openConnection();
      c.setConnectTimeout(1000);
      c.setReadTimeout(2000);
      try (InputStream in = c.getInputStream()) {
        return new ObjectMapper().readTree(in);
      }
    } catch (IOException e) {
      return null;
    }
  }

  private static boolean alive(String pid) {
    return pid != null
        && ProcessHandle.of(Long.parseLong(pid)).map(ProcessHandle::isAlive).orElse(false);
  }

  /** Spark's usual port when it is free on loopback, else any free port. */
  private static int preferredPort(int port) throws IOException {
    try (ServerSocket s = new ServerSocket(port, 1, java.net.InetAddress.getLoopbackAddress())) {
      return s.getLocalPort();
    } catch (IOException inUse) {
      return freePort();
    }
  }

  private static int freePort() throws IOException {
    try (ServerSocket s = new ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
      return s.getLocalPort();
    }
  }

  private void save(Properties state) throws IOException {
    try (var out = Files.newOutputStream(stateDir.resolve(STATE))) {
      state.store(out, "crmlake local standalone cluster");
    }
  }

  private Properties load() throws IOException {
    Path f = stateDir.resolve(STATE);
    if (!Files.exists(f)) {
      return null;
    }
    Properties p = new Properties();
    try (var in = Files.newInputStream(f)) {
      p.load(in);
    }
    return p;
  }
}
