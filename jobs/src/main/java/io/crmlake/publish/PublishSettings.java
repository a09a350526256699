package io.crmlake.publish;

import io.crmlake.common.config.ConfigError;
import io.crmlake.common.config.CrmlakeConfig;
import io.crmlake.common.config.Settings;
import java.net.URI;
import java.nio.file.Path;
import java.time.LocalDate;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;

/**
 * Settings of the publish job ({@code publish.*}; meanings in crmlake-defaults.conf), validated
 * before Spark starts. The serving database's password is not a setting: only the name of the
 * environment variable that holds it.
 */
public record PublishSettings(
    Optional<LocalDate> asOf,
    int scopeDays,
    boolean allowMissing,
    Retention retention,
    Winback winback,
    double crossSellMinScore,
    Serving serving,
    Optional<Export> export) {

  public record Retention(double minChurnProbability, List<String> tiers, double clvTopShare) {}

  public record Winback(int minRecencyDays, List<String> tiers, double spendTopShare) {}

  /** Rows are loaded by PostgreSQL COPY or by batched INSERT. */
  public enum Method {
    COPY,
    INSERT
  }

  /**
   * Where and how the serving database is loaded. {@code url} empty means the embedded server in
   * {@code embeddedDir} on {@code embeddedPort}.
   */
  public record Serving(
      boolean enabled,
      Optional<String> url,
      String user,
      String passwordEnv,
      String schema,
      Method method,
      int batchSize,
      int embeddedPort,
      Path embeddedDir) {}

  public enum Format {
    CSV,
    PARQUET
  }

  public record Export(String path, Format format, List<String> columns) {}

  public static PublishSettings from(CrmlakeConfig config) {
    Settings s = config.settings();
    Retention retention =
        new Retention(
            s.doubleIn("publish.retention.min-churn-probability", 0, 1),
            s.stringList("publish.retention.tiers"),
            s.doubleIn("publish.retention.clv-top-share", 0, 1));
    Winback winback =
        new Winback(
            s.intAtLeast("publish.winback.min-recency-days", 1),
            s.stringList("publish.winback.tiers"),
            s.doubleIn("publish.winback.spend-top-share", 0, 1));
    Serving serving = serving(s, config.lake().root());
    return new PublishSettings(
        s.optDate("publish.as-of"),
        s.intAtLeast("publish.scope-days", 0),
        s.bool("publish.allow-missing"),
        retention,
        winback,
        s.doubleIn("publish.cross-sell.min-score", 0, 1e9),
        serving,
        export(s));
  }

  /** {@code publish.serving.*}: the server's URL (never with credentials), user, schema, load. */
  private static Serving serving(Settings s, String lakeRoot) {
    Optional<String> url = s.optString("publish.serving.url");
    url.ifPresent(PublishSettings::checkUrl);
    String schema = s.string("publish.serving.schema").trim();
    if (!schema.matches("[a-z_][a-z0-9_]{0,40}")) {
      throw ConfigError.invalid(
          "publish.serving.schema", schema, "must be a lower-case SQL name (letters, digits, _)");
    }
    String passwordEnv = s.string("publish.serving.password-env").trim();
    if (!passwordEnv.matches("[A-Za-z_][A-Za-z0-9_]*")) {
      throw ConfigError.invalid(
          "publish.serving.password-env", passwordEnv, "must be an environment variable name");
    }
    boolean enabled = s.bool("publish.serving.enabled");
    Path embeddedDir = embeddedDir(s, lakeRoot);
    if (enabled && url.isEmpty() && embeddedDir == null) {
      throw ConfigError.invalid(
          "publish.serving.url",
          "\"\"",
          "must name a PostgreSQL server when lake.root ("
              + lakeRoot
              + ") is not a local folder: the embedded server keeps its data under the lake");
    }
    return new Serving(
        enabled,
        url,
        s.string("publish.serving.user").trim(),
        passwordEnv,
        schema,
        s.enumValue("publish.serving.method", Method.class),
        s.intAtLeast("publish.serving.batch-size", 1),
        s.intAtLeast("publish.serving.embedded.port", 1),
        embeddedDir);
  }

  /**
   * Fails unless {@code url} is a PostgreSQL JDBC URL without credentials; checked for credentials
   * first, and the value never echoed: it may hold a secret.
   */
  private static void checkUrl(String url) {
    int authority = url.indexOf("//");
    String hostPart = authority < 0 ? url : url.substring(authority + 2).split("[/?]", 2)[0];
    if (url.toLowerCase(Locale.ROOT).contains("password") || hostPart.contains("@")) {
      throw new ConfigError(
          "publish.serving.url must not hold credentials (a password parameter or user:secret@):"
              + " remove them from the URL, set publish.serving.user and the environment"
              + " variable named by publish.serving.password-env");
    }
    if (!url.startsWith("jdbc:postgresql://")) {
      throw new ConfigError(
          "publish.serving.url must be a PostgreSQL JDBC URL, jdbc:postgresql://host:port/db");
    }
  }

  private static Optional<Export> export(Settings s) {
    Optional<String> path = s.optString("publish.export.path");
    Format format = s.enumValue("publish.export.format", Format.class);
    List<String> columns = s.stringList("publish.export.columns");
    List<String> known = List.of(PublishTables.CUSTOMER_SCORES.schema().fieldNames());
    for (String c : columns) {
      if (!known.contains(c)) {
        throw ConfigError.invalid(
            "publish.export.columns", c, "must name columns of gold.customer_scores " + known);
      }
    }
    return path.map(p -> new Export(s.path("publish.export.path"), format, columns));
  }

  /** The embedded server's data folder, or null when the lake is not on the local file system. */
  private static Path embeddedDir(Settings s, String lakeRoot) {
    Optional<String> dir = s.optString("publish.serving.embedded.data-dir");
    String location = dir.isPresent() ? s.path("publish.serving.embedded.data-dir") : lakeRoot;
    URI uri = URI.create(location.replace(" ", "%20"));
    if (uri.getScheme() != null && !uri.getScheme().equals("file")) {
      return null;
    }
    Path p = uri.getScheme() == null ? Path.of(location) : Path.of(uri);
    return dir.isPresent() ? p : p.resolve("serving-db");
  }

  /** The password from the environment variable {@code serving.passwordEnv}, if set. */
  public Optional<String> password(Map<String, String> env) {
    return Optional.ofNullable(env.get(serving.passwordEnv())).filter(v -> !v.isEmpty());
  }
}
