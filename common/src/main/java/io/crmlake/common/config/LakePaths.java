package io.crmlake.common.config;

import java.io.IOException;
import java.net.URI;
import java.nio.file.Path;
import java.util.Map;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.UnsupportedFileSystemException;

/**
 * Lake locations are Hadoop file-system URIs ({@code file:}, {@code hdfs:}, {@code s3a:}, {@code
 * abfss:}). A plain relative path in a config file is taken relative to the project home (the
 * folder {@code bin/crmlake} runs from, or the driver's working directory under spark-submit).
 */
public final class LakePaths {
  /** The connector each cloud scheme needs, for the error a user sees when it is missing. */
  private static final Map<String, String> CONNECTORS =
      Map.of(
          "s3a",
              "org.apache.hadoop:hadoop-aws (spark-submit --packages org.apache.hadoop:hadoop-aws:<hadoop version>)",
          "s3", "org.apache.hadoop:hadoop-aws (use the s3a:// scheme)",
          "abfs", "org.apache.hadoop:hadoop-azure",
          "abfss", "org.apache.hadoop:hadoop-azure",
          "wasbs", "org.apache.hadoop:hadoop-azure",
          "gs", "com.google.cloud.bigdataoss:gcs-connector",
          "hdfs", "the HDFS client (hadoop-client-api / hadoop-client-runtime of the cluster)");

  private LakePaths() {}

  /** Resolves a configured location to a fully qualified URI string. */
  public static String resolve(String location, Path home) {
    if (location == null || location.isBlank()) {
      throw new ConfigError("a path setting is empty");
    }
    String loc = location.trim();
    URI uri;
    try {
      uri = URI.create(loc.replace(" ", "%20"));
    } catch (IllegalArgumentException e) {
      uri = null;
    }
    if (uri != null && uri.getScheme() != null && uri.getScheme().length() > 1) {
      return stripTrailingSlash(loc);
    }
    return stripTrailingSlash(home.resolve(loc).toAbsolutePath().normalize().toUri().toString());
  }

  private static String stripTrailingSlash(String s) {
    return s.length() > 1 && s.endsWith("/") && !s.endsWith("://")
        ? s.substring(0, s.length() - 1)
        : s;
  }

  /**
   * The file system of a path, with an error that names the missing connector instead of Hadoop's
   * bare "No FileSystem for scheme".
   */
  public static FileSystem fileSystem(
      org.apache.hadoop.fs.Path path, Configuration conf, String what) {
    try {
      return path.getFileSystem(conf);
    } catch (UnsupportedFileSystemException e) {
      throw missingConnector(path.toUri().getScheme(), what, e);
    } catch (RuntimeException e) {
      // Schemes Hadoop knows by default (s3a, abfs) fail with ClassNotFoundException instead.
      if (String.valueOf(e.getMessage()).contains("ClassNotFoundException")) {
        throw missingConnector(path.toUri().getScheme(), what, e);
      }
      throw e;
    } catch (IOException e) {
      if (String.valueOf(e.getMessage()).contains("No FileSystem for scheme")) {
        throw missingConnector(path.toUri().getScheme(), what, e);
      }
      throw new ConfigError("cannot open the file system of " + what + " (" + path + "): " + e, e);
    }
  }

  /** The error for a scheme whose Hadoop connector is not on the classpath. */
  public static ConfigError missingConnector(String scheme, String what, Throwable cause) {
    String connector = CONNECTORS.getOrDefault(scheme, "a Hadoop FileSystem implementation");
    return new ConfigError(
        String.format(
            "%s uses the '%s://' scheme, but no Hadoop file system for '%s' is on the classpath:"
                + " add %s to the job (see README, 'Running on a cluster')",
            what, scheme, scheme, connector),
        cause);
  }
}
