package io.crmlake.ingest;

import static org.apache.spark.sql.functions.col;
import static org.apache.spark.sql.functions.lit;

import io.crmlake.common.config.ConfigError;
import io.crmlake.common.config.LakePaths;
import io.crmlake.ingest.SourceSpec.Format;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileSystems;
import java.nio.file.PathMatcher;
import java.nio.file.Paths;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.stream.IntStream;
import java.util.stream.Stream;
import java.util.stream.StreamSupport;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FileStatus;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.LocatedFileStatus;
import org.apache.hadoop.fs.Path;
import org.apache.hadoop.fs.RemoteIterator;
import org.apache.hadoop.io.LongWritable;
import org.apache.hadoop.io.Text;
import org.apache.hadoop.mapreduce.Job;
import org.apache.hadoop.mapreduce.lib.input.FileInputFormat;
import org.apache.hadoop.mapreduce.lib.input.FileSplit;
import org.apache.hadoop.mapreduce.lib.input.TextInputFormat;
import org.apache.spark.api.java.JavaNewHadoopRDD;
import org.apache.spark.api.java.JavaRDD;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.broadcast.Broadcast;
import org.apache.spark.sql.Column;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.functions;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructType;
import scala.Tuple2;

/**
 * Lists a source's landing files and reads them into raw records: one row per source record (per
 * item for basket lists) with its file, position, raw text and fields as strings. Nothing is
 * validated here and nothing is dropped but blank lines and header lines.
 *
 * <p>Text formats are read with Hadoop's {@code TextInputFormat}, so each record's position is its
 * byte offset in the file: deterministic, which makes line ids stable across re-deliveries.
 */
final class RawReader {
  static final StructType RAW_SCHEMA =
      new StructType()
          .add("source_file", DataTypes.StringType, false)
          .add("file_path", DataTypes.StringType, false)
          .add("record_pos", DataTypes.LongType, true)
          .add("item_pos", DataTypes.IntegerType, false)
          .add("raw_record", DataTypes.StringType, true)
          .add(
              "fields",
              DataTypes.createMapType(DataTypes.StringType, DataTypes.StringType, true),
              true)
          .add("parse_error", DataTypes.StringType, true);

  private RawReader() {}

  /** The source's files, sorted by path; hidden files ({@code _*}, {@code .*}) are skipped. */
  static List<LandingFile> listFiles(SourceSpec spec, Configuration conf) {
    Path location = new Path(spec.location());
    FileSystem fs = LakePaths.fileSystem(location, conf, "source " + spec.name() + " location");
    PathMatcher matcher = FileSystems.getDefault().getPathMatcher("glob:" + spec.glob());
    List<LandingFile> out = new ArrayList<>();
    try {
      if (!fs.exists(location)) {
        throw new ConfigError(
            "source " + spec.name() + " (" + spec.file() + "): location not found: " + location);
      }
      FileStatus top = fs.getFileStatus(location);
      if (spec.format() == Format.DELTA) {
        out.add(new LandingFile(top.getPath().toString(), "", 0, top.getModificationTime()));
        return out;
      }
      if (top.isFile()) {
        out.add(
            new LandingFile(
                top.getPath().toString(),
                top.getPath().getName(),
                top.getLen(),
                top.getModificationTime()));
        return out;
      }
      String base = top.getPath().toUri().getPath();
      RemoteIterator<LocatedFileStatus> it = fs.listFiles(location, true);
      while (it.hasNext()) {
        LocatedFileStatus f = it.next();
        String rel = f.getPath().toUri().getPath().substring(base.length()).replaceFirst("^/", "");
        if (hidden(rel) || !matcher.matches(Paths.get(f.getPath().getName()))) {
          continue;
        }
        out.add(new LandingFile(f.getPath().toString(), rel, f.getLen(), f.getModificationTime()));
      }
    } catch (IOException e) {
      throw new IllegalStateException("cannot list " + location + ": " + e, e);
    }
    out.sort((a, b) -> a.relativePath().compareTo(b.relativePath()));
    return out;
  }

  private static boolean hidden(String rel) {
    for (String part : rel.split("/")) {
      if (part.startsWith("_") || part.startsWith(".")) {
        return true;
      }
    }
    return false;
  }

  /** Reads the given files of a source (which must not be empty) into {@link #RAW_SCHEMA} rows. */
  static Dataset<Row> read(SparkSession spark, SourceSpec spec, List<LandingFile> files) {
    switch (spec.format()) {
      case PARQUET:
        return readParquet(spark, spec, files);
      case DELTA:
        return readDelta(spark, spec, files.get(0));
      default:
        return readLines(spark, spec, files);
    }
  }

  private static Dataset<Row> readLines(
      SparkSession spark, SourceSpec spec, List<LandingFile> files) {
    JavaSparkContext jsc = JavaSparkContext.fromSparkContext(spark.sparkContext());
    LineParser parser =
        new LineParser(spec.format(), spec.delimiter(), spec.quote(), spec.columns());
    Map<String, List<String>> headers =
        spec.header() ? readHeaders(spark, spec, files, parser) : Map.of();
    Map<String, String> relPaths = new HashMap<>();
    for (LandingFile f : files) {
      relPaths.put(f.uri(), f.relativePath());
    }
    Broadcast<Map<String, List<String>>> headersB = jsc.broadcast(new HashMap<>(headers));
    Broadcast<Map<String, String>> relB = jsc.broadcast(relPaths);
    boolean header = spec.header();
    boolean useHeaderNames = spec.header() && spec.columns().isEmpty();
    Job job;
    try {
      job = Job.getInstance(new Configuration(spark.sparkContext().hadoopConfiguration()));
    } catch (IOException e) {
      throw new IllegalStateException(e);
    }
    Path[] paths = files.stream().map(f -> new Path(f.uri())).toArray(Path[]::new);
    try {
      FileInputFormat.setInputPaths(job, paths);
    } catch (IOException e) {
      throw new IllegalStateException(e);
    }
    @SuppressWarnings("unchecked")
    JavaNewHadoopRDD<LongWritable, Text> lines =
        (JavaNewHadoopRDD<LongWritable, Text>)
            jsc.newAPIHadoopRDD(
                job.getConfiguration(), TextInputFormat.class, LongWritable.class, Text.class);
    JavaRDD<Row> rows =
        lines.mapPartitionsWithInputSplit(
            (split, it) -> {
              String file = ((FileSplit) split).getPath().toString();
              String rel = relB.value().getOrDefault(file, file);
              List<String> cols = useHeaderNames ? headersB.value().get(file) : null;
              Iterable<Tuple2<LongWritable, Text>> records = () -> it;
              return StreamSupport.stream(records.spliterator(), false)
                  .flatMap(
                      t -> {
                        long pos = t._1().get();
                        String line = t._2().toString();
                        if (pos == 0) {
                          line = stripBom(line);
                          if (header) {
                            return Stream.empty();
                          }
                        }
                        if (line.isBlank()) {
                          return Stream.empty();
                        }
                        return toRows(file, rel, pos, line, parser.parse(line, cols));
                      })
                  .iterator();
            },
            true);
    return spark.createDataFrame(rows, RAW_SCHEMA);
  }

  private static Stream<Row> toRows(
      String file, String rel, long pos, String line, LineParser.Parsed p) {
    if (p.items() != null) {
      return IntStream.range(0, p.items().size())
          .mapToObj(
              i ->
                  RowFactory.create(
                      file, rel, pos, i, line, scalaMap(Map.of("item", p.items().get(i))), null));
    }
    return Stream.of(
        RowFactory.create(
            file, rel, pos, 0, line, p.fields() == null ? null : scalaMap(p.fields()), p.error()));
  }

  private static scala.collection.Map<String, String> scalaMap(Map<String, String> m) {
    return scala.jdk.javaapi.CollectionConverters.asScala(m);
  }

  private static String stripBom(String line) {
    return line.startsWith("\uFEFF") ? line.substring(1) : line;
  }

  /**
   * Reads each file's header line (a few bytes per file, in parallel) and checks that every
   * required column is there; a file that lacks one fails the run with an error naming both.
   */
  static Map<String, List<String>> readHeaders(
      SparkSession spark, SourceSpec spec, List<LandingFile> files, LineParser parser) {
    Configuration conf = spark.sparkContext().hadoopConfiguration();
    ExecutorService pool = Executors.newFixedThreadPool(Math.min(16, files.size()));
    Map<String, List<String>> headers = Collections.synchronizedMap(new LinkedHashMap<>());
    try {
      List<Future<?>> futures = new ArrayList<>();
      for (LandingFile f : files) {
        futures.add(
            pool.submit(
                () -> {
                  headers.put(f.uri(), parser.headerColumns(firstLine(f, conf)));
                  return null;
                }));
      }
      for (Future<?> fu : futures) {
        fu.get();
      }
    } catch (Exception e) {
      Throwable cause = e.getCause() != null ? e.getCause() : e;
      if (cause instanceof RuntimeException re) {
        throw re;
      }
      throw new IllegalStateException("cannot read headers: " + cause, cause);
    } finally {
      pool.shutdownNow();
    }
    for (LandingFile f : files) {
      List<String> cols = headers.get(f.uri());
      if (cols.isEmpty()) {
        continue; // an empty file: no header, no rows
      }
      if (spec.columns().isEmpty()) {
        for (String required : spec.requiredColumns()) {
          if (!cols.contains(required)) {
            throw new ConfigError(
                String.format(
                    "source %s: file %s has no column '%s' (its header: %s; %s maps it)",
                    spec.name(), f.uri(), required, cols, spec.file()));
          }
        }
      }
    }
    return headers;
  }

  private static String firstLine(LandingFile f, Configuration conf) throws IOException {
    Path p = new Path(f.uri());
    FileSystem fs = p.getFileSystem(conf);
    try (BufferedReader r =
        new BufferedReader(new InputStreamReader(fs.open(p), StandardCharsets.UTF_8))) {
      String line = r.readLine();
      return line == null ? "" : stripBom(line);
    }
  }

  private static Dataset<Row> readParquet(
      SparkSession spark, SourceSpec spec, List<LandingFile> files) {
    Dataset<Row> df =
        spark.read().parquet(files.stream().map(LandingFile::uri).toArray(String[]::new));
    checkColumns(spec, df.columns(), spec.location());
    List<Row> rel = new ArrayList<>();
    for (LandingFile f : files) {
      rel.add(RowFactory.create(f.uri(), f.relativePath()));
    }
    Dataset<Row> relDf =
        spark.createDataFrame(
            rel,
            new StructType().add("_uri", DataTypes.StringType).add("_rel", DataTypes.StringType));
    Dataset<Row> withMeta =
        df.select(
            col("_metadata.file_path").as("_uri"),
            col("_metadata.row_index").as("_pos"),
            functions.to_json(functions.struct(col("*"))).as("_raw"),
            fieldsMap(df.columns()).as("_fields"));
    return withMeta
        .join(functions.broadcast(relDf), "_uri")
        .select(
            col("_uri").as("source_file"),
            col("_rel").as("file_path"),
            col("_pos").as("record_pos"),
            lit(0).as("item_pos"),
            col("_raw").as("raw_record"),
            col("_fields").as("fields"),
            lit(null).cast("string").as("parse_error"));
  }

  private static Dataset<Row> readDelta(SparkSession spark, SourceSpec spec, LandingFile table) {
    Dataset<Row> df = spark.read().format("delta").load(table.uri());
    checkColumns(spec, df.columns(), table.uri());
    return df.select(
        lit(table.uri()).as("source_file"),
        lit("").as("file_path"),
        lit(null).cast("long").as("record_pos"),
        lit(0).as("item_pos"),
        functions.to_json(functions.struct(col("*"))).as("raw_record"),
        fieldsMap(df.columns()).as("fields"),
        lit(null).cast("string").as("parse_error"));
  }

  private static void checkColumns(SourceSpec spec, String[] columns, String where) {
    List<String> have = List.of(columns);
    for (String required : spec.requiredColumns()) {
      if (!have.contains(required)) {
        throw new ConfigError(
            String.format(
                "source %s: %s has no column '%s' (its columns: %s; %s maps it)",
                spec.name(), where, required, have, spec.file()));
      }
    }
  }

  private static Column fieldsMap(String[] columns) {
    List<Column> kv = new ArrayList<>();
    for (String c : columns) {
      kv.add(lit(c));
      kv.add(col("`" + c + "`").cast("string"));
    }
    return functions.map(kv.toArray(Column[]::new));
  }
}
