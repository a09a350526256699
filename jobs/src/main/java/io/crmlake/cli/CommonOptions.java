package io.crmlake.cli;

import io.crmlake.common.config.CrmlakeConfig;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import picocli.CommandLine.Option;

/** Options every command takes: the config file, the lake root and key=value overrides. */
public final class CommonOptions {
  private static final Logger LOG = LoggerFactory.getLogger(CommonOptions.class);

  /** Set by bin/crmlake to the project folder; relative paths in configs resolve against it. */
  public static final String HOME_PROPERTY = "crmlake.home";

  @Option(
      names = "--conf",
      paramLabel = "FILE",
      description =
          "HOCON config file: a path, a file:/http(s): URL or a Hadoop path (default:"
              + " ${DEFAULT-VALUE}).",
      defaultValue = "conf/local.conf")
  String conf;

  @Option(
      names = "--lake",
      paramLabel = "PATH",
      description = "Lake root (shorthand for --set lake.root=PATH); any Hadoop URI.")
  String lake;

  @Option(
      names = "--set",
      paramLabel = "KEY=VALUE",
      description = "Override one setting (repeatable), e.g. --set generate.customers=100000.")
  List<String> sets = new ArrayList<>();

  static Path home() {
    return Path.of(System.getProperty(HOME_PROPERTY, System.getProperty("user.dir")))
        .toAbsolutePath();
  }

  /**
   * A relative file name that exists from the working directory is taken from there; otherwise it
   * is resolved against the project home (so bin/crmlake works from any folder).
   */
  static String localFirst(String file) {
    if (file == null || file.contains("://")) {
      return file;
    }
    Path p = Path.of(file);
    return !p.isAbsolute() && java.nio.file.Files.exists(p) ? p.toAbsolutePath().toString() : file;
  }

  /**
   * Loads and validates the effective configuration. Logs its file, hash and the settings that
   * differ from the defaults at INFO, the whole of it at DEBUG (secrets masked).
   */
  CrmlakeConfig load(List<String> commandSets) {
    List<String> all = new ArrayList<>(commandSets);
    all.addAll(sets);
    if (lake != null) {
      all.add("lake.root=" + lake);
    }
    CrmlakeConfig config = CrmlakeConfig.load(localFirst(conf), home(), all);
    LOG.info(
        "configuration {} (hash {}), changed from the defaults: {}",
        conf,
        config.hash(),
        config.changes().entrySet().stream()
            .map(e -> e.getKey() + "=" + e.getValue())
            .collect(java.util.stream.Collectors.joining(", ")));
    LOG.debug("effective configuration:\n{}", config.describe());
    return config;
  }
}
