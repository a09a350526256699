package io.crmlake.cli;

import io.crmlake.common.config.ConfigError;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import picocli.CommandLine;
import picocli.CommandLine.Command;

/**
 * The command line, for bin/crmlake and spark-submit alike: {@code crmlake <command> [options]}.
 * Exit codes: 0 success, 2 bad usage or configuration (the message names the key, value or file), 1
 * job failure.
 */
@Command(
    name = "crmlake",
    mixinStandardHelpOptions = true,
    version = "crmlake 0.1.0",
    description = "Spark jobs that turn a transaction lake into customer intelligence for a CRM.",
    subcommands = {
      BasketsCommand.class,
      SegmentsCommand.class,
      ClvCommand.class,
      ChurnCommand.class,
      ClusterCommand.class,
      DemoCommand.class,
      DocsCommand.class,
      GenerateCommand.class,
      IngestCommand.class,
      PipelineCommand.class,
      PublishCommand.class,
      ReportCommand.class,
      ServeDbCommand.class,
      SqlCommand.class,
      TablesCommand.class
    })
public final class Main implements Runnable {
  private static final Logger LOG = LoggerFactory.getLogger(Main.class);
  public static final int OK = 0;
  public static final int FAILED = 1;
  public static final int USAGE = 2;

  @Override
  public void run() {
    new CommandLine(this).usage(System.err);
  }

  public static void main(String[] args) {
    int code = execute(args);
    System.exit(code);
  }

  /** Runs a command line and returns its exit code (tests call this). */
  public static int execute(String... args) {
    CommandLine cli =
        new CommandLine(new Main())
            .setUsageHelpWidth(100)
            .setCaseInsensitiveEnumValuesAllowed(true);
    cli.setExecutionExceptionHandler(
        (e, cmd, parsed) -> {
          ConfigError config = configError(e);
          if (config != null) {
            LOG.debug("configuration error", e);
            System.err.println("crmlake: " + config.getMessage());
            return USAGE;
          }
          LOG.error("{} failed", cmd.getCommandName(), e);
          System.err.println("crmlake " + cmd.getCommandName() + " failed: " + e.getMessage());
          return FAILED;
        });
    return cli.execute(args);
  }

  private static ConfigError configError(Throwable e) {
    for (Throwable t = e; t != null; t = t.getCause()) {
      if (t instanceof ConfigError c) {
        return c;
      }
    }
    return null;
  }
}
