package io.crmlake.common.config;

/**
 * A configuration or usage problem: a bad key or value, a missing file or column. The command line
 * turns it into exit code 2 and prints its message, which always names the key, value or file.
 */
public class ConfigError extends RuntimeException {
  public ConfigError(String message) {
    super(message);
  }

  public ConfigError(String message, Throwable cause) {
    super(message, cause);
  }

  /** The usual "must be X, cannot be: Y" message for a setting. */
  public static ConfigError invalid(String key, Object value, String requirement) {
    return new ConfigError(String.format("%s %s, cannot be: %s", key, requirement, value));
  }
}
