package io.crmlake.ingest;

import io.crmlake.ingest.SourceSpec.Format;
import java.io.ByteArrayOutputStream;
import java.io.FileNotFoundException;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.Charset;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.function.Consumer;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;
import org.apache.hadoop.io.compress.CompressionCodec;
import org.apache.hadoop.io.compress.CompressionCodecFactory;
import org.apache.parquet.hadoop.ParquetFileReader;
import org.apache.parquet.hadoop.util.HadoopInputFile;
import org.apache.parquet.schema.MessageType;
import org.apache.spark.sql.SparkSession;

/**
 * Reads the head of every new file before its records are read, on the driver, 16 files at a time:
 * the header line of text files with a header, the footer of Parquet files (a few bytes per file).
 * A header without a required column, or naming one twice, and an unreadable footer reject the file
 * as a whole ({@link Inspection}).
 */
final class FileHeads {
  /** The longest header line read (a longer first line is not a header). */
  private static final int MAX_HEADER_BYTES = 1 << 20;

  private FileHeads() {}

  /** A file that cannot be ingested as a whole; the message says why. */
  private static final class BadFile extends Exception {
    BadFile(String message) {
      super(message);
    }
  }

  static Inspection inspect(SparkSession spark, SourceSpec spec, List<LandingFile> files) {
    boolean lines = spec.lineBased() && spec.header();
    if (files.isEmpty() || !(lines || spec.format() == Format.PARQUET)) {
      return Inspection.NONE;
    }
    Configuration conf = spark.sparkContext().hadoopConfiguration();
    LineParser parser = new LineParser(spec);
    Map<String, List<String>> headers = Collections.synchronizedMap(new LinkedHashMap<>());
    Map<String, String> schemas = Collections.synchronizedMap(new LinkedHashMap<>());
    Map<String, String> rejected = Collections.synchronizedMap(new LinkedHashMap<>());
    Set<String> vanished = ConcurrentHashMap.newKeySet();
    inParallel(
        files,
        f -> {
          try {
            if (lines) {
              headers.put(f.uri(), headerColumns(spec, parser, f, conf));
            } else {
              schemas.put(f.uri(), parquetSchema(spec, f, conf));
            }
          } catch (BadFile e) {
            rejected.put(f.uri(), e.getMessage());
          } catch (FileNotFoundException e) {
            vanished.add(f.uri());
          } catch (IOException | RuntimeException e) {
            rejected.put(f.uri(), "cannot read the head of the file: " + e);
          }
        });
    return new Inspection(
        Map.copyOf(headers), Map.copyOf(schemas), Map.copyOf(rejected), Set.copyOf(vanished));
  }

  private static void inParallel(List<LandingFile> files, Consumer<LandingFile> look) {
    ExecutorService pool = Executors.newFixedThreadPool(Math.min(16, files.size()));
    try {
      List<Future<?>> futures = new ArrayList<>();
      for (LandingFile f : files) {
        futures.add(pool.submit(() -> look.accept(f)));
      }
      for (Future<?> fu : futures) {
        fu.get();
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException("interrupted while reading file heads", e);
    } catch (ExecutionException e) {
      throw new IllegalStateException("cannot read file heads: " + e.getCause(), e.getCause());
    } finally {
      pool.shutdownNow();
    }
  }

  /**
   * A file's column names from its header line: trimmed and, where they equal a source column
   * ignoring case, spelled as the source spells it. An empty file has none.
   */
  private static List<String> headerColumns(
      SourceSpec spec, LineParser parser, LandingFile f, Configuration conf)
      throws IOException, BadFile {
    String line = firstLine(spec, f, conf);
    if (line == null) {
      return List.of();
    }
    List<String> cols = new ArrayList<>();
    for (String c : parser.headerColumns(line)) {
      String name = c;
      for (String declared : spec.requiredColumns()) {
        if (declared.equalsIgnoreCase(c)) {
          name = declared;
        }
      }
      cols.add(name);
    }
    if (spec.columns().isEmpty()) {
      checkNoneMissing(spec, cols, line);
    }
    for (String required : spec.requiredColumns()) {
      if (cols.indexOf(required) != cols.lastIndexOf(required)) {
        throw new BadFile(
            String.format(
                "its header names column '%s' twice (header: %s)",
                required, abbreviate(line, 300)));
      }
    }
    return cols;
  }

  private static void checkNoneMissing(SourceSpec spec, List<String> cols, String line)
      throws BadFile {
    List<String> missing =
        spec.requiredColumns().stream()
            .filter(c -> !cols.contains(c))
            .map(c -> "'" + c + "'")
            .toList();
    if (!missing.isEmpty()) {
      throw new BadFile(
          String.format(
              "its header has no column%s %s (header: %s; %s maps %s)",
              missing.size() == 1 ? "" : "s",
              String.join(", ", missing),
              abbreviate(line, 300),
              spec.file(),
              missing.size() == 1 ? "it" : "them"));
    }
  }

  /** The first line of a file, decompressed and decoded (null for an empty file). */
  private static String firstLine(SourceSpec spec, LandingFile f, Configuration conf)
      throws IOException, BadFile {
    Path p = new Path(f.uri());
    FileSystem fs = p.getFileSystem(conf);
    CompressionCodec codec = new CompressionCodecFactory(conf).getCodec(p);
    try (InputStream raw = fs.open(p);
        InputStream in = codec == null ? raw : codec.createInputStream(raw)) {
      ByteArrayOutputStream bytes = new ByteArrayOutputStream();
      int b;
      while ((b = in.read()) >= 0 && b != '\n') {
        if (bytes.size() >= MAX_HEADER_BYTES) {
          throw new BadFile("its first line is longer than 1 MB: not a header");
        }
        bytes.write(b);
      }
      if (b < 0 && bytes.size() == 0) {
        return null;
      }
      byte[] line = bytes.toByteArray();
      int n = line.length > 0 && line[line.length - 1] == '\r' ? line.length - 1 : line.length;
      DecodedLine d = DecodedLine.decode(Charset.forName(spec.encoding()).newDecoder(), line, n);
      if (d.badByte() >= 0) {
        throw new BadFile(
            "its header is not valid " + spec.encoding() + " (byte " + d.badByte() + ")");
      }
      return DecodedLine.stripBom(d.text());
    }
  }

  private static String parquetSchema(SourceSpec spec, LandingFile f, Configuration conf)
      throws BadFile {
    MessageType schema;
    try (ParquetFileReader r =
        ParquetFileReader.open(HadoopInputFile.fromPath(new Path(f.uri()), conf))) {
      schema = r.getFooter().getFileMetaData().getSchema();
    } catch (IOException | RuntimeException e) {
      throw new BadFile("not a readable Parquet file: " + e.getMessage());
    }
    for (String required : spec.requiredColumns()) {
      if (!schema.containsField(required)) {
        throw new BadFile(
            String.format(
                "it has no column '%s' (its columns: %s; %s maps it)",
                required, schema.getFields().stream().map(t -> t.getName()).toList(), spec.file()));
      }
    }
    return schema.toString();
  }

  private static String abbreviate(String s, int max) {
    return s.length() <= max ? s : s.substring(0, max) + "...";
  }
}
