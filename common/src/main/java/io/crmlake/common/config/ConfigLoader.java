package io.crmlake.common.config;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigException;
import com.typesafe.config.ConfigFactory;
import com.typesafe.config.ConfigParseOptions;
import com.typesafe.config.ConfigRenderOptions;
import com.typesafe.config.ConfigSyntax;
import com.typesafe.config.ConfigValue;
import com.typesafe.config.ConfigValueFactory;
import java.io.IOException;
import java.io.InputStream;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.regex.Pattern;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FileSystem;

/**
 * Builds the effective configuration, highest precedence first: {@code --set key=value} options,
 * environment variables ({@code CONFIG_FORCE_lake_root=...}: Typesafe Config's convention, {@code
 * _} for {@code .}, {@code __} for {@code -}), the config file ({@code --conf}), and the defaults
 * shipped in {@code crmlake-defaults.conf}. Substitutions such as {@code ${lake.root}} are resolved
 * after merging, so an override of {@code lake.root} moves everything derived from it.
 */
public final class ConfigLoader {
  public static final String DEFAULTS_RESOURCE = "crmlake-defaults.conf";
  private static final Pattern SECRET =
      Pattern.compile("(?i).*(password|passwd|secret|token|credential|access[._-]?key).*");

  private ConfigLoader() {}

  /**
   * Loads the effective config.
   *
   * @param confFile a local path (relative to {@code home}), a {@code file:}/{@code http(s):} URL,
   *     or a Hadoop path ({@code hdfs://}, {@code s3a://}) the driver can read; null for defaults
   *     only
   * @param sets {@code key=value} overrides, in order
   */
  public static Config load(String confFile, Path home, List<String> sets) {
    return load(confFile, home, sets, true);
  }

  /**
   * As {@link #load(String, Path, List)}; {@code checkKeys = false} takes keys the defaults do not
   * declare (for tests of the typed getters on keys of their own).
   */
  static Config load(String confFile, Path home, List<String> sets, boolean checkKeys) {
    Config defaults = ConfigFactory.parseResources(ConfigLoader.class, "/" + DEFAULTS_RESOURCE);
    if (defaults.isEmpty()) {
      throw new IllegalStateException(DEFAULTS_RESOURCE + " is missing from the classpath");
    }
    DeclaredKeys declared = checkKeys ? new DeclaredKeys(defaults) : DeclaredKeys.ANY;
    Config file = confFile == null ? ConfigFactory.empty() : parseLocation(confFile, home);
    Config env = ConfigFactory.systemEnvironmentOverrides();
    try {
      declared.check(file, (key, value) -> "config file " + confFile + lineOf(value));
      declared.check(env, (key, value) -> "environment variable " + environmentVariable(key));
    } catch (ConfigException e) { // an object that only resolution can merge, say
      throw new ConfigError("invalid configuration: " + e.getMessage(), e);
    }
    Config overrides = parseSets(sets, declared);
    try {
      return overrides.withFallback(env).withFallback(file).withFallback(defaults).resolve();
    } catch (ConfigException e) {
      throw new ConfigError("invalid configuration: " + e.getMessage(), e);
    }
  }

  /** Parses a HOCON file given as a local path, URL or Hadoop path; errors name the file. */
  public static Config parseLocation(String location, Path home) {
    ConfigParseOptions options =
        ConfigParseOptions.defaults().setSyntax(ConfigSyntax.CONF).setAllowMissing(false);
    try {
      URI uri = URI.create(location.replace('\\', '/'));
      String scheme = uri.getScheme();
      if (scheme == null || scheme.length() == 1) { // plain path (or a Windows drive letter)
        Path path = home.resolve(location).normalize();
        if (!Files.isRegularFile(path)) {
          throw new ConfigError("config file not found: " + path);
        }
        return ConfigFactory.parseFile(path.toFile(), options);
      }
      if (scheme.equals("file") || scheme.startsWith("http")) {
        return ConfigFactory.parseURL(uri.toURL(), options);
      }
      org.apache.hadoop.fs.Path hp = new org.apache.hadoop.fs.Path(location);
      FileSystem fs = LakePaths.fileSystem(hp, new Configuration(), "config file " + location);
      try (InputStream in = fs.open(hp)) {
        String text = new String(in.readAllBytes(), StandardCharsets.UTF_8);
        return ConfigFactory.parseString(text, options.setOriginDescription(location));
      }
    } catch (ConfigException e) {
      throw new ConfigError("cannot read config file " + location + ": " + e.getMessage(), e);
    } catch (IOException | IllegalArgumentException e) {
      throw new ConfigError("cannot read config file " + location + ": " + e, e);
    }
  }

  private static String lineOf(ConfigValue value) {
    int line = value.origin().lineNumber();
    return line > 0 ? ", line " + line : "";
  }

  /** The variable that sets {@code key}: Typesafe Config's CONFIG_FORCE_ naming, reversed. */
  static String environmentVariable(String key) {
    return "CONFIG_FORCE_" + key.replace("_", "___").replace("-", "__").replace('.', '_');
  }

  private static Config parseSets(List<String> sets, DeclaredKeys declared) {
    Config result = ConfigFactory.empty();
    for (String set : sets == null ? List.<String>of() : sets) {
      int eq = set.indexOf('=');
      if (eq <= 0) {
        throw new ConfigError("--set expects key=value, cannot be: " + set);
      }
      String key = set.substring(0, eq).trim();
      String value = set.substring(eq + 1).trim();
      ConfigValue parsed;
      try {
        if (value.startsWith("[") || value.startsWith("{")) {
          parsed = ConfigFactory.parseString("v = " + value).getValue("v");
        } else {
          parsed = ConfigValueFactory.fromAnyRef(value, "--set " + key);
        }
        // Errors name the option's key only: its value may be a secret.
        declared.check(ConfigFactory.empty().withValue(key, parsed), (k, v) -> "--set " + key);
        result = result.withValue(key, parsed);
      } catch (ConfigException e) {
        throw new ConfigError("--set " + key + ": " + e.getMessage(), e);
      }
    }
    return result;
  }

  /**
   * The settings of {@code config} whose values differ from the defaults (with the defaults'
   * substitutions resolved against {@code config}, so {@code lake.landing} follows {@code
   * lake.root} and is not listed), as {@code key → value} sorted by key, secrets masked.
   */
  public static Map<String, String> changes(Config config) {
    Config defaults =
        ConfigFactory.parseResources(ConfigLoader.class, "/" + DEFAULTS_RESOURCE)
            .resolveWith(config);
    Map<String, String> out = new java.util.TreeMap<>();
    for (Map.Entry<String, ConfigValue> e : config.entrySet()) {
      String key = e.getKey();
      if (defaults.hasPath(key) && same(e.getValue(), defaults.getValue(key))) {
        continue;
      }
      out.put(key, SECRET.matcher(key).matches() ? "******" : text(e.getValue()));
    }
    return out;
  }

  /** Equal values, a number or boolean given as text (--set) equal to the number itself. */
  private static boolean same(ConfigValue a, ConfigValue b) {
    return text(a).equals(text(b));
  }

  /** A scalar as its text, anything else as concise JSON. */
  private static String text(ConfigValue v) {
    Object u = v.unwrapped();
    return u instanceof String || u instanceof Number || u instanceof Boolean
        ? String.valueOf(u)
        : v.render(ConfigRenderOptions.concise());
  }

  /** The effective config as HOCON, secrets masked, for the start-of-run log. */
  public static String renderMasked(Config config) {
    Config masked = config;
    for (Map.Entry<String, ConfigValue> e : config.entrySet()) {
      if (SECRET.matcher(e.getKey()).matches()) {
        masked = masked.withValue(e.getKey(), ConfigValueFactory.fromAnyRef("******"));
      }
    }
    return masked
        .root()
        .render(ConfigRenderOptions.defaults().setOriginComments(false).setJson(false));
  }

  /** A short stable hash of the effective config (secrets excluded), recorded per run. */
  public static String hash(Config config) {
    String text = renderMasked(config);
    try {
      byte[] digest =
          MessageDigest.getInstance("SHA-256").digest(text.getBytes(StandardCharsets.UTF_8));
      return HexFormat.of().formatHex(digest, 0, 8);
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }
}
