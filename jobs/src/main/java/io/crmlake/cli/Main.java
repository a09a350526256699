package io.crmlake.cli;

import io.crmlake.common.config.ConfigError;
import io.crmlake.common.run.JobLock;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import picocli.CommandLine;
import picocli.CommandLine.Command;

/**
 * The command line, for bin/crmlake and spark-submit alike: {@code crmlake <command> [options]}.
 * Exit codes: 0 success, 1 job failure, 2 bad usage or configuration (the message names the key,
 * value or file), 3 completed but some input files were rejected as a whole (ingest; see {@code
 * ops.ingested_files}).
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
  public static final int PARTIAL = 3;
  public static final int LOCKED = 4;

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
          JobLock.JobLockedException locked = cause(e, JobLock.JobLockedException.class);
          if (locked != null) {
            System.err.println("crmlake " + cmd.getCommandName() + ": " + locked.getMessage());
            return LOCKED;
          }
          LOG.error("{} failed", cmd.getCommandName(), e);
          System.err.println(
              "crmlake " + cmd.getCommandName() + " failed: " + e.getMessage() + rootCause(e));
          return FAILED;
        });
    return cli.execute(args);
  }

  /** The innermost cause, when its message says more than the outer one (a full disk, say). */
  static String rootCause(Throwable e) {
    Throwable root = e;
    while (root.getCause() != null && root.getCause() != root) {
      root = root.getCause();
    }
    String outer = String.valueOf(e.getMessage());
    if (root == e || root.getMessage() == null || outer.contains(root.getMessage())) {
      return "";
    }
    return "\n  caused by: " + root;
  }

  private static ConfigError configError(Throwable e) {
    return cause(e, ConfigError.class);
  }

  static <T extends Throwable> T cause(Throwable e, Class<T> type) {
    for (Throwable t = e; t != null; t = t.getCause()) {
      if (type.isInstance(t)) {
        return type.cast(t);
      }
    }
    return null;
  }
}
