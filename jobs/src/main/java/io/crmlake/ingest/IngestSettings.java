package io.crmlake.ingest;

import io.crmlake.common.config.ConfigError;
import io.crmlake.common.config.CrmlakeConfig;
import io.crmlake.common.config.Settings;
import java.util.ArrayList;
import java.util.List;

/**
 * Settings of the ingest job ({@code ingest.*}), validated once.
 *
 * @param sources the parsed source descriptions to ingest, in order
 */
public record IngestSettings(List<SourceSpec> sources) {

  /**
   * @param sourceFiles source description files given on the command line; empty means {@code
   *     ingest.sources}
   */
  public static IngestSettings from(CrmlakeConfig config, List<String> sourceFiles) {
    Settings s = config.settings();
    String tz = s.string("ingest.default-timezone");
    List<String> files = sourceFiles.isEmpty() ? s.stringList("ingest.sources") : sourceFiles;
    if (files.isEmpty()) {
      throw new ConfigError("ingest.sources is empty and no --source was given");
    }
    List<SourceSpec> specs = new ArrayList<>();
    for (String f : files) {
      specs.add(SourceSpec.load(f, config.raw(), config.home(), tz));
    }
    return new IngestSettings(List.copyOf(specs));
  }
}
