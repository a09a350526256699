package io.crmlake.cli;

import io.crmlake.common.config.ConfigError;
import io.crmlake.common.config.CrmlakeConfig;
import io.crmlake.publish.EmbeddedServer;
import io.crmlake.publish.PublishSettings;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Parameters;

@Command(
    name = "serve-db",
    mixinStandardHelpOptions = true,
    description = {
      "Start, stop or show the embedded PostgreSQL serving database (data under",
      "<lake.root>/serving-db, port publish.serving.embedded.port). It keeps running after the",
      "command returns; publish starts it when it is not running. Prints a psql connection",
      "string. Not for a cluster: there publish.serving.url names the server."
    })
final class ServeDbCommand implements Callable<Integer> {
  enum Action {
    start,
    stop,
    status
  }

  @Mixin CommonOptions common;

  @Parameters(index = "0", paramLabel = "start|stop|status", description = "What to do.")
  Action action;

  @Override
  public Integer call() {
    CrmlakeConfig config = common.load(List.of());
    PublishSettings.Serving s = PublishSettings.from(config).serving();
    if (s.url().isPresent()) {
      throw new ConfigError(
          "publish.serving.url is set ("
              + s.url().get()
              + "): that server is not managed by crmlake; serve-db runs the embedded one");
    }
    if (s.embeddedDir() == null) {
      throw new ConfigError(
          "lake.root is not a local folder, so the embedded server has no data folder: set"
              + " publish.serving.embedded.data-dir, or publish.serving.url to a server");
    }
    switch (action) {
      case start -> {
        EmbeddedServer.Running r = EmbeddedServer.ensureRunning(s.embeddedDir(), s.embeddedPort());
        print(r, s);
      }
      case stop ->
          System.out.println(
              EmbeddedServer.stop(s.embeddedDir())
                  ? "stopped the serving database in " + s.embeddedDir()
                  : "no serving database runs in " + s.embeddedDir());
      case status -> {
        Optional<EmbeddedServer.Running> r = EmbeddedServer.status(s.embeddedDir());
        if (r.isEmpty()) {
          System.out.println("not running (data folder " + s.embeddedDir() + ")");
          return 3;
        }
        print(r.get(), s);
      }
    }
    return Main.OK;
  }

  private static void print(EmbeddedServer.Running r, PublishSettings.Serving s) {
    System.out.println(
        "running: pid " + r.pid() + ", port " + r.port() + ", data " + s.embeddedDir());
    System.out.println("  " + r.psql());
    System.out.println("  JDBC URL: " + r.jdbcUrl() + " (user postgres), schema " + s.schema());
  }
}
