package io.crmlake.cli;

import io.crmlake.cluster.LocalCluster;
import java.time.Duration;
import java.util.Optional;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

@Command(
    name = "cluster",
    mixinStandardHelpOptions = true,
    description = {
      "Run a Spark standalone cluster on this machine (loopback only).",
      "A master and N workers from Spark's own classes, executors as separate JVMs; submit to",
      "it with bin/spark-submit --master <the printed URL>."
    },
    subcommands = {
      ClusterCommand.Start.class,
      ClusterCommand.Status.class,
      ClusterCommand.Stop.class
    })
final class ClusterCommand implements Runnable {
  @Override
  public void run() {
    new picocli.CommandLine(this).usage(System.err);
  }

  static LocalCluster cluster() throws java.io.IOException {
    return LocalCluster.forProject(CommonOptions.home());
  }

  static void print(LocalCluster.Endpoints e) {
    System.out.println("master URL : " + e.masterUrl());
    System.out.println("web UI     : " + e.webUi());
    System.out.println("workers    : " + e.workers());
  }

  @Command(name = "start", mixinStandardHelpOptions = true, description = "Start the cluster.")
  static final class Start implements Callable<Integer> {
    @Option(
        names = "--workers",
        description = "Workers (default ${DEFAULT-VALUE}).",
        defaultValue = "2")
    int workers;

    @Option(
        names = "--cores",
        description = "Cores per worker (default ${DEFAULT-VALUE}).",
        defaultValue = "1")
    int cores;

    @Option(
        names = "--memory",
        description = "Memory per worker for executors (default ${DEFAULT-VALUE}).",
        defaultValue = "2g")
    String memory;

    @Override
    public Integer call() throws Exception {
      LocalCluster.Endpoints e = cluster().start(workers, cores, memory, Duration.ofMinutes(2));
      print(e);
      System.out.println();
      System.out.println("submit a job:");
      System.out.println(
          "  bin/spark-submit --master "
              + e.masterUrl()
              + " jobs/target/crmlake-jobs-0.1.0-SNAPSHOT-app.jar ingest --conf conf/local.conf");
      return 0;
    }
  }

  @Command(name = "status", mixinStandardHelpOptions = true, description = "Show the cluster.")
  static final class Status implements Callable<Integer> {
    @Override
    public Integer call() throws Exception {
      LocalCluster c = cluster();
      Optional<LocalCluster.Endpoints> e = c.status();
      if (e.isEmpty()) {
        System.out.println("no cluster running");
        return 3;
      }
      print(e.get());
      System.out.println("applications: " + c.applications());
      return 0;
    }
  }

  @Command(name = "stop", mixinStandardHelpOptions = true, description = "Stop the cluster.")
  static final class Stop implements Callable<Integer> {
    @Override
    public Integer call() throws Exception {
      int n = cluster().stop();
      System.out.println(n == 0 ? "no cluster running" : "stopped " + n + " processes");
      return 0;
    }
  }
}
