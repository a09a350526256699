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
 * @param earliestDate the first plausible order date ({@code ingest.earliest-date})
 * @param maxDaysAhead how far after the run's start an order time may be ({@code
 *     ingest.max-days-ahead})
 * @param maxFieldLength the longest field stored, in characters ({@code ingest.max-field-length})
 */
public record IngestSettings(
    List<SourceSpec> sources,
    java.time.LocalDate earliestDate,
    int maxDaysAhead,
    int maxFieldLength,
    boolean rebuildCustomerDays) {

  /** The validation limits of a run that started at {@code start}. */
  public Validator.Limits limits(java.time.Instant start) {
    return new Validator.Limits(
        earliestDate.atStartOfDay(java.time.ZoneOffset.UTC).toInstant(),
        start.plus(java.time.Duration.ofDays(maxDaysAhead)),
        maxFieldLength);
  }

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
    java.time.LocalDate earliest;
    try {
      earliest = java.time.LocalDate.parse(s.string("ingest.earliest-date"));
    } catch (java.time.format.DateTimeParseException e) {
      throw ConfigError.invalid(
          "ingest.earliest-date", s.string("ingest.earliest-date"), "must be a yyyy-MM-dd date");
    }
    int ahead = s.intAtLeast("ingest.max-days-ahead", 0);
    int maxField = s.intAtLeast("ingest.max-field-length", 1);
    return new IngestSettings(
        List.copyOf(specs), earliest, ahead, maxField, s.bool("ingest.rebuild-customer-days"));
  }
}
