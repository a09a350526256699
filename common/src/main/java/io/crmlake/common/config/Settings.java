package io.crmlake.common.config;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigException;
import com.typesafe.config.ConfigList;
import com.typesafe.config.ConfigObject;
import com.typesafe.config.ConfigOrigin;
import com.typesafe.config.ConfigRenderOptions;
import com.typesafe.config.ConfigValue;
import com.typesafe.config.ConfigValueFactory;
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
import java.util.TreeSet;
import java.util.function.Supplier;
import java.util.regex.Pattern;

/**
 * Validated getters over a {@link Config}: every error names the key and the bad value, in the form
 * "ingest.x must be at least 1, cannot be: 0". Used to build each job's typed settings record once,
 * at start.
 *
 * <p>A nested object or an element of a list of objects is read through a view ({@link #object},
 * {@link #objectList}): its getters take keys relative to the object, and its errors name the full
 * key, e.g. {@code segments.pyramid.tiers[0].share}.
 */
public final class Settings {
  /** Keys whose values are never shown in errors (the rule of the masked config log). */
  private static final Pattern SECRET =
      Pattern.compile("(?i).*(password|passwd|secret|token|credential|access[._-]?key).*");

  private final Config config;
  private final Path home;
  private final String prefix; // "" at the root, else the view's full key and a '.'

  public Settings(Config config, Path home) {
    this(config, home, "");
  }

  private Settings(Config config, Path home, String prefix) {
    this.config = config;
    this.home = home;
    this.prefix = prefix;
  }

  /** The config this view reads (for a view, the nested object's own config). */
  public Config config() {
    return config;
  }

  public Path home() {
    return home;
  }

  /** The full key of {@code key} for messages: the view's key, a '.', and {@code key}. */
  public String key(String key) {
    return prefix + key;
  }

  /** The keys directly under this view (or the root), sorted. */
  public List<String> keys() {
    return new ArrayList<>(new TreeSet<>(config.root().keySet()));
  }

  /**
   * The object at {@code key} as a view whose errors name full keys; a missing key or a value that
   * is not an object is a {@link ConfigError}.
   */
  public Settings object(String key) {
    ConfigValue v = value(key);
    if (v.valueType() != ConfigValueType.OBJECT) {
      throw ConfigError.invalid(key(key), shown(key(key), v), "must be an object {...}");
    }
    return new Settings(((ConfigObject) v).toConfig(), home, key(key) + ".");
  }

  /**
   * The list of objects at {@code key}, each as a view whose errors name the element, e.g. {@code
   * segments.pyramid.tiers[0].share}; an element that is not an object is a {@link ConfigError}
   * naming it.
   */
  public List<Settings> objectList(String key) {
    ConfigValue v = value(key);
    if (v.valueType() != ConfigValueType.LIST) {
      throw ConfigError.invalid(key(key), shown(key(key), v), "must be a list of objects [{...}]");
    }
    List<Settings> out = new ArrayList<>();
    ConfigList list = (ConfigList) v;
    for (int i = 0; i < list.size(); i++) {
      String element = key(key) + "[" + i + "]";
      ConfigValue e = list.get(i);
      if (e.valueType() != ConfigValueType.OBJECT) {
        throw ConfigError.invalid(element, shown(element, e), "must be an object {...}");
      }
      out.add(new Settings(((ConfigObject) e).toConfig(), home, element + "."));
    }
    return out;
  }

  public boolean has(String key) {
    return config.hasPath(key);
  }

  /**
   * Fails when this view (an element of a list, a scheme) has a key other than {@code allowed}: a
   * misspelt key would otherwise be ignored. The error names the full key, where it was set and the
   * closest allowed key.
   */
  public void onlyKeys(java.util.Collection<String> allowed) {
    for (String k : keys()) {
      if (allowed.contains(k)) {
        continue;
      }
      org.apache.commons.text.similarity.LevenshteinDistance d =
          org.apache.commons.text.similarity.LevenshteinDistance.getDefaultInstance();
      String closest =
          allowed.stream()
              .filter(a -> d.apply(k, a) <= Math.max(2, k.length() / 3))
              .min(java.util.Comparator.comparingInt(a -> d.apply(k, a)))
              .orElse(null);
      throw new ConfigError(
          "unknown setting "
              + key(k)
              + origin(config.root().get(k)).map(o -> " (" + o + ")").orElse("")
              + ": "
              + (closest == null ? "" : "did you mean " + key(closest) + "? ")
              + "the keys here are "
              + new TreeSet<>(allowed));
    }
  }

  public String string(String key) {
    return wrap(key, "a string", () -> config.getString(key));
  }

  public Optional<String> optString(String key) {
    if (!config.hasPath(key)) {
      return Optional.empty();
    }
    String v = string(key).trim();
    return v.isEmpty() ? Optional.empty() : Optional.of(v);
  }

  public boolean bool(String key) {
    return wrap(key, "true or false", () -> config.getBoolean(key));
  }

  /** Any number (for ranges the caller checks itself, naming {@link #key}). */
  public double number(String key) {
    return wrap(key, "a number", () -> config.getDouble(key));
  }

  public int intAtLeast(String key, int min) {
    int v = wrap(key, "a whole number", () -> config.getInt(key));
    if (v < min) {
      throw ConfigError.invalid(key(key), v, "must be at least " + min);
    }
    return v;
  }

  public long longAtLeast(String key, long min) {
    long v = wrap(key, "a whole number", () -> config.getLong(key));
    if (v < min) {
      throw ConfigError.invalid(key(key), v, "must be at least " + min);
    }
    return v;
  }

  /** A size in bytes ({@code 8m}, {@code 512k}, {@code 1g} or a number) of at least {@code min}. */
  public long bytesAtLeast(String key, long min) {
    long v = wrap(key, "a size such as 8m or 1g", () -> config.getBytes(key));
    if (v < min) {
      throw ConfigError.invalid(
          key(key), config.getValue(key).unwrapped(), "must be at least " + min + " bytes");
    }
    return v;
  }

  public double doubleIn(String key, double min, double max) {
    double v = number(key);
    if (!(v >= min && v <= max)) {
      throw ConfigError.invalid(key(key), v, "must be between " + min + " and " + max);
    }
    return v;
  }

  /** A duration ({@code 90s}, {@code 2m}, {@code 1h}) of at least {@code min}. */
  public java.time.Duration durationAtLeast(String key, java.time.Duration min) {
    java.time.Duration v = wrap(key, "a duration such as 90s or 2m", () -> config.getDuration(key));
    if (v.compareTo(min) < 0) {
      throw ConfigError.invalid(key(key), v, "must be at least " + min);
    }
    return v;
  }

  public LocalDate date(String key) {
    String v = string(key);
    try {
      return LocalDate.parse(v.trim());
    } catch (DateTimeParseException e) {
      throw ConfigError.invalid(key(key), v, "must be a date yyyy-MM-dd");
    }
  }

  public Optional<LocalDate> optDate(String key) {
    return optString(key).map(v -> date(key));
  }

  public <E extends Enum<E>> E enumValue(String key, Class<E> type) {
    return parseEnum(key(key), string(key), type);
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
    ConfigValue value = value(key);
    if (value.valueType() == ConfigValueType.LIST) {
      return wrap(key, "a list of strings", () -> config.getStringList(key));
    }
    return Arrays.asList(string(key));
  }

  /** A location resolved to a Hadoop URI (relative paths against the project home). */
  public String path(String key) {
    String v = string(key);
    try {
      return LakePaths.resolve(v, home);
    } catch (ConfigError e) {
      throw ConfigError.invalid(key(key), v, "must be a path or URI");
    }
  }

  /** A flat map of string values under a key (e.g. {@code spark.conf}). */
  public Map<String, String> stringMap(String key) {
    Map<String, String> out = new LinkedHashMap<>();
    if (!config.hasPath(key)) {
      return out;
    }
    Config sub = object(key).config;
    sub.entrySet()
        .forEach(e -> out.put(stripQuotes(e.getKey()), String.valueOf(e.getValue().unwrapped())));
    return out;
  }

  private static String stripQuotes(String key) {
    return key.replace("\"", "");
  }

  /** The value at {@code key}, which must be set (a null value counts as not set). */
  private ConfigValue value(String key) {
    return wrap(key, "set", () -> config.getValue(key));
  }

  /**
   * Runs a getter of Typesafe Config; its errors become {@link ConfigError}s naming the full key
   * and the value: "missing setting k", or "k must be {@code what}, cannot be: v".
   */
  private <T> T wrap(String key, String what, Supplier<T> getter) {
    try {
      return getter.get();
    } catch (ConfigException.BadPath e) {
      throw new ConfigError("bad key " + key(key) + ": " + e.getMessage(), e);
    } catch (ConfigException.Missing e) { // also a null value
      String in =
          prefix.isEmpty()
              ? ""
              : " ("
                  + view()
                  + " is "
                  + render(view(), config.root())
                  + origin(config.root()).map(o -> ", " + o).orElse("")
                  + ")";
      throw new ConfigError("missing setting " + key(key) + in, e);
    } catch (ConfigException e) {
      String bad;
      try {
        bad = shown(key(key), config.getValue(key));
      } catch (ConfigException notThere) { // a parent key is not an object
        throw new ConfigError("bad setting " + key(key) + ": " + e.getMessage(), e);
      }
      throw ConfigError.invalid(key(key), bad, "must be " + what);
    }
  }

  /** The view's own key, e.g. {@code segments.pyramid.tiers[0]}. */
  private String view() {
    return prefix.substring(0, prefix.length() - 1);
  }

  /** A value for an error message, and the file and line it comes from when it has them. */
  private static String shown(String fullKey, ConfigValue v) {
    return render(fullKey, v) + origin(v).map(o -> " (" + o + ")").orElse("");
  }

  /** "file: line" of a value read from a file; empty for --set values and the environment. */
  private static Optional<String> origin(ConfigValue v) {
    ConfigOrigin o = v.origin();
    boolean located = o != null && o.lineNumber() > 0 && !o.description().startsWith("String");
    return located ? Optional.of(o.description()) : Optional.empty();
  }

  /** A value as shown in errors: a string as it is, others as concise JSON; secrets masked. */
  private static String render(String fullKey, ConfigValue v) {
    if (SECRET.matcher(fullKey).matches()) {
      return "******";
    }
    if (v.valueType() == ConfigValueType.STRING) {
      return String.valueOf(v.unwrapped());
    }
    if (v.valueType() == ConfigValueType.OBJECT) {
      Config masked = ((ConfigObject) v).toConfig();
      for (Map.Entry<String, ConfigValue> e : masked.entrySet()) {
        if (SECRET.matcher(fullKey + "." + e.getKey()).matches()) {
          masked = masked.withValue(e.getKey(), ConfigValueFactory.fromAnyRef("******"));
        }
      }
      v = masked.root();
    }
    return v.render(ConfigRenderOptions.concise());
  }
}
