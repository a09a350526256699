package io.crmlake.common.config;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigException;
import com.typesafe.config.ConfigValue;
import com.typesafe.config.ConfigValueType;
import java.nio.file.Path;
import java.time.LocalDate;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;

/**
 * Validated getters over a {@link Config}: every error names the key and the bad value, in the form
 * "ingest.x must be at least 1, cannot be: 0". Used to build each job's typed settings record once,
 * at start.
 */
public final class Settings {
  private final Config config;
  private final Path home;

  public Settings(Config config, Path home) {
    this.config = config;
    this.home = home;
  }

  public Config config() {
    return config;
  }

  public Path home() {
    return home;
  }

  public boolean has(String key) {
    return config.hasPath(key);
  }

  public String string(String key) {
    return wrap(key, () -> config.getString(key));
  }

  public Optional<String> optString(String key) {
    if (!config.hasPath(key)) {
      return Optional.empty();
    }
    String v = string(key).trim();
    return v.isEmpty() ? Optional.empty() : Optional.of(v);
  }

  public boolean bool(String key) {
    return wrap(key, () -> config.getBoolean(key));
  }

  public int intAtLeast(String key, int min) {
    int v = wrap(key, () -> config.getInt(key));
    if (v < min) {
      throw ConfigError.invalid(key, v, "must be at least " + min);
    }
    return v;
  }

  public long longAtLeast(String key, long min) {
    long v = wrap(key, () -> config.getLong(key));
    if (v < min) {
      throw ConfigError.invalid(key, v, "must be at least " + min);
    }
    return v;
  }

  public double doubleIn(String key, double min, double max) {
    double v = wrap(key, () -> config.getDouble(key));
    if (!(v >= min && v <= max)) {
      throw ConfigError.invalid(key, v, "must be between " + min + " and " + max);
    }
    return v;
  }

  public LocalDate date(String key) {
    String v = string(key);
    try {
      return LocalDate.parse(v.trim());
    } catch (DateTimeParseException e) {
      throw ConfigError.invalid(key, v, "must be a date yyyy-MM-dd");
    }
  }

  public Optional<LocalDate> optDate(String key) {
    return optString(key).map(v -> date(key));
  }

  public <E extends Enum<E>> E enumValue(String key, Class<E> type) {
    return parseEnum(key, string(key), type);
  }

  /**
   * The constant of {@code type} named by {@code value} (case-insensitive, '-' for '_'); the error
   * names {@code key} and lists the allowed values. For values read from nested config objects.
   */
  public static <E extends Enum<E>> E parseEnum(String key, String value, Class<E> type) {
    String norm = value.trim().toUpperCase(Locale.ROOT).replace('-', '_');
    for (E e : type.getEnumConstants()) {
      if (e.name().equals(norm)) {
        return e;
      }
    }
    List<String> allowed = new ArrayList<>();
    for (E e : type.getEnumConstants()) {
      allowed.add(e.name().toLowerCase(Locale.ROOT).replace('_', '-'));
    }
    throw ConfigError.invalid(key, value, "must be one of " + allowed);
  }

  /** A list of strings; a single string is accepted as a one-element list. */
  public List<String> stringList(String key) {
    if (!config.hasPath(key)) {
      return List.of();
    }
    ConfigValue value = config.getValue(key);
    if (value.valueType() == ConfigValueType.LIST) {
      return wrap(key, () -> config.getStringList(key));
    }
    return Arrays.asList(string(key));
  }

  /** A location resolved to a Hadoop URI (relative paths against the project home). */
  public String path(String key) {
    String v = string(key);
    try {
      return LakePaths.resolve(v, home);
    } catch (ConfigError e) {
      throw ConfigError.invalid(key, v, "must be a path or URI");
    }
  }

  /** A flat map of string values under a key (e.g. {@code spark.conf}). */
  public Map<String, String> stringMap(String key) {
    Map<String, String> out = new LinkedHashMap<>();
    if (!config.hasPath(key)) {
      return out;
    }
    Config sub = wrap(key, () -> config.getConfig(key));
    sub.entrySet()
        .forEach(e -> out.put(stripQuotes(e.getKey()), String.valueOf(e.getValue().unwrapped())));
    return out;
  }

  private static String stripQuotes(String key) {
    return key.replace("\"", "");
  }

  private static <T> T wrap(String key, java.util.function.Supplier<T> getter) {
    try {
      return getter.get();
    } catch (ConfigException.Missing e) {
      throw new ConfigError("missing setting " + key + ": " + e.getMessage(), e);
    } catch (ConfigException e) {
      throw new ConfigError("bad setting " + key + ": " + e.getMessage(), e);
    }
  }
}
