package io.crmlake.generate;

import io.crmlake.common.config.ConfigError;
import io.crmlake.common.config.CrmlakeConfig;
import io.crmlake.common.config.Settings;
import java.io.Serializable;
import java.time.LocalDate;

/**
 * Settings of the sample lake generator ({@code generate.*}; meanings in crmlake-defaults.conf).
 */
public record GenerateSettings(
    String output,
    long customers,
    LocalDate start,
    LocalDate end,
    long seed,
    OutputFormat format,
    double malformedShare,
    double duplicateShare,
    double returnShare,
    int products,
    int customersPerPartition)
    implements Serializable {

  /** File format of the generated daily order files. */
  public enum OutputFormat {
    CSV("csv"),
    PARQUET("parquet"),
    JSON("json");

    final String extension;

    OutputFormat(String extension) {
      this.extension = extension;
    }
  }

  public static GenerateSettings from(CrmlakeConfig config) {
    Settings s = config.settings();
    GenerateSettings g =
        new GenerateSettings(
            s.path("generate.output"),
            s.longAtLeast("generate.customers", 1),
            s.date("generate.start"),
            s.date("generate.end"),
            s.longAtLeast("generate.seed", Long.MIN_VALUE),
            s.enumValue("generate.format", OutputFormat.class),
            s.doubleIn("generate.malformed-share", 0, 0.5),
            s.doubleIn("generate.duplicate-share", 0, 0.5),
            s.doubleIn("generate.return-share", 0, 0.5),
            s.intAtLeast("generate.products", 60),
            s.intAtLeast("generate.customers-per-partition", 100));
    if (!g.end().isAfter(g.start().plusDays(60))) {
      throw ConfigError.invalid(
          "generate.end", g.end(), "must be more than 60 days after generate.start " + g.start());
    }
    return g;
  }

  /** The parameters that determine the generated content, for the manifest. */
  String fingerprint() {
    return String.join(
        "|",
        "generator-v1",
        String.valueOf(customers),
        start.toString(),
        end.toString(),
        String.valueOf(seed),
        format.name(),
        String.valueOf(malformedShare),
        String.valueOf(duplicateShare),
        String.valueOf(returnShare),
        String.valueOf(products));
  }
}
