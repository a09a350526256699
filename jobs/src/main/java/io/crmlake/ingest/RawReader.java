package io.crmlake.ingest;

import static org.apache.spark.sql.functions.col;
import static org.apache.spark.sql.functions.lit;

import io.crmlake.common.config.ConfigError;
import io.crmlake.common.config.LakePaths;
import io.crmlake.ingest.SourceSpec.Format;
import java.io.IOException;
import java.io.InputStream;
import java.io.Serializable;
import java.nio.file.FileSystems;
import java.nio.file.PathMatcher;
import java.nio.file.Paths;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Collections;
import java.util.Deque;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.stream.IntStream;
import java.util.stream.Stream;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FileStatus;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.LocalFileSystem;
import org.apache.hadoop.fs.LocatedFileStatus;
import org.apache.hadoop.fs.Path;
import org.apache.hadoop.fs.RawLocalFileSystem;
import org.apache.hadoop.fs.RemoteIterator;
import org.apache.hadoop.io.Text;
import org.apache.hadoop.io.compress.CompressionCodec;
import org.apache.hadoop.io.compress.CompressionCodecFactory;
import org.apache.hadoop.mapreduce.TaskAttemptID;
import org.apache.hadoop.mapreduce.lib.input.FileSplit;
import org.apache.hadoop.mapreduce.lib.input.LineRecordReader;
import org.apache.hadoop.mapreduce.task.TaskAttemptContextImpl;
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

/**
 * Lists a source's landing files and reads them into raw records: one row per source record (per
 * item for basket lists) with its file, position, raw text and fields as strings. Nothing is
 * validated here and nothing is dropped but blank lines and header lines.
 *
 * <p>Text formats are read with Hadoop's {@code LineRecordReader}, so each record's position is its
 * byte offset in the file (in the decompressed stream of a compressed file): deterministic, which
 * makes line ids stable across re-deliveries. Lines are decoded strictly in the source's encoding;
 * a line with bytes not valid in it gets a parse error, never replacement characters.
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
          .add("parse_error", DataTypes.StringType, true)
          .add("parse_code", DataTypes.StringType, true);

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
      for (FileStatus f : filesUnder(fs, location)) {
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

  /**
   * Every file under {@code dir}. Object stores and HDFS list the tree flat ({@code listFiles});
   * the local file system is walked a directory at a time, because its {@code listFiles} builds a
   * located status per file, which asks for the file's permissions: without Hadoop's native library
   * that forks an {@code ls} per file (7 s for the demo's 732 daily files).
   */
  private static List<FileStatus> filesUnder(FileSystem fs, Path dir) throws IOException {
    List<FileStatus> out = new ArrayList<>();
    if (!(fs instanceof LocalFileSystem || fs instanceof RawLocalFileSystem)) {
      RemoteIterator<LocatedFileStatus> it = fs.listFiles(dir, true);
      while (it.hasNext()) {
        out.add(it.next());
      }
      return out;
    }
    Deque<Path> dirs = new ArrayDeque<>(List.of(dir));
    while (!dirs.isEmpty()) {
      for (FileStatus s : fs.listStatus(dirs.pop())) {
        if (s.isDirectory()) {
          dirs.push(s.getPath());
        } else {
          out.add(s);
        }
      }
    }
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

  /**
   * What a look at each file's head found before reading: per file, its column names (from its
   * header, matched to the source's columns ignoring case and surrounding spaces) and, for Parquet,
   * its schema; and the files that cannot be ingested at all, with the reason (a header without a
   * required column, an unreadable Parquet footer). Such a file is quarantined as a whole; the
   * other files of the run are ingested. Files gone since they were listed are in {@code vanished}.
   */
  record Inspection(
      Map<String, List<String>> headers,
      Map<String, String> schemas,
      Map<String, String> rejected,
      Set<String> vanished) {}

  /** Reads the head of every file (headers, Parquet footers): a few bytes per file, in parallel. */
  static Inspection inspect(SparkSession spark, SourceSpec spec, List<LandingFile> files) {
    Map<String, List<String>> headers = Collections.synchronizedMap(new LinkedHashMap<>());
    Map<String, String> schemas = Collections.synchronizedMap(new LinkedHashMap<>());
    Map<String, String> rejected = Collections.synchronizedMap(new LinkedHashMap<>());
    Set<String> vanished = java.util.concurrent.ConcurrentHashMap.newKeySet();
    boolean lines = spec.lineBased() && spec.header();
    if (files.isEmpty() || !(lines || spec.format() == Format.PARQUET)) {
      return new Inspection(Map.of(), Map.of(), Map.of(), Set.of());
    }
    Configuration conf = spark.sparkContext().hadoopConfiguration();
    LineParser parser = new LineParser(spec);
    ExecutorService pool = Executors.newFixedThreadPool(Math.min(16, files.size()));
    try {
      List<Future<?>> futures = new ArrayList<>();
      for (LandingFile f : files) {
        futures.add(
            pool.submit(
                () -> {
                  try {
                    if (lines) {
                      headers.put(f.uri(), headerColumns(spec, parser, f, conf));
                    } else {
                      schemas.put(f.uri(), parquetSchema(spec, f, conf));
                    }
                  } catch (BadFile e) {
                    rejected.put(f.uri(), e.getMessage());
                  } catch (java.io.FileNotFoundException e) {
                    vanished.add(f.uri());
                  } catch (IOException | RuntimeException e) {
                    rejected.put(f.uri(), "cannot read the head of the file: " + e);
                  }
                  return null;
                }));
      }
      for (Future<?> fu : futures) {
        fu.get();
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException("interrupted while reading file heads", e);
    } catch (java.util.concurrent.ExecutionException e) {
      throw new IllegalStateException("cannot read file heads: " + e.getCause(), e.getCause());
    } finally {
      pool.shutdownNow();
    }
    return new Inspection(
        Map.copyOf(headers), Map.copyOf(schemas), Map.copyOf(rejected), Set.copyOf(vanished));
  }

  /** A file that cannot be ingested as a whole; the message says why. */
  static final class BadFile extends Exception {
    BadFile(String message) {
      super(message);
    }
  }

  /** The longest header line read (a longer first line is not a header). */
  private static final int MAX_HEADER_BYTES = 1 << 20;

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

  /** The first line of a file, decompressed and decoded (null for an empty file). */
  private static String firstLine(SourceSpec spec, LandingFile f, Configuration conf)
      throws IOException, BadFile {
    Path p = new Path(f.uri());
    FileSystem fs = p.getFileSystem(conf);
    CompressionCodec codec = new CompressionCodecFactory(conf).getCodec(p);
    try (InputStream raw = fs.open(p);
        InputStream in = codec == null ? raw : codec.createInputStream(raw)) {
      java.io.ByteArrayOutputStream bytes = new java.io.ByteArrayOutputStream();
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
      Decoded d = decode(java.nio.charset.Charset.forName(spec.encoding()).newDecoder(), line, n);
      if (d.badByte() >= 0) {
        throw new BadFile(
            "its header is not valid " + spec.encoding() + " (byte " + d.badByte() + ")");
      }
      return stripBom(d.text());
    }
  }

  private static String parquetSchema(SourceSpec spec, LandingFile f, Configuration conf)
      throws IOException, BadFile {
    org.apache.parquet.schema.MessageType schema;
    try (org.apache.parquet.hadoop.ParquetFileReader r =
        org.apache.parquet.hadoop.ParquetFileReader.open(
            org.apache.parquet.hadoop.util.HadoopInputFile.fromPath(new Path(f.uri()), conf))) {
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

  /**
   * Reads the given files of a source (which must not be empty) into {@link #RAW_SCHEMA} rows.
   * {@code inspection} is what {@link #inspect} found for them.
   */
  static Dataset<Row> read(
      SparkSession spark, SourceSpec spec, List<LandingFile> files, Inspection inspection) {
    switch (spec.format()) {
      case PARQUET:
        return readParquet(spark, spec, files, inspection);
      case DELTA:
        return readDelta(spark, spec, files.get(0));
      default:
        return readLines(spark, spec, files, inspection);
    }
  }

  /**
   * A byte range of a landing file that one task reads: a whole file when it is compressed (read
   * through Hadoop's codec for its extension, e.g. {@code .gz}, {@code .bz2}).
   */
  record Split(String uri, String rel, long start, long length) implements Serializable {}

  /**
   * Reads text files line by line with Hadoop's {@link LineRecordReader} (LF, CR or CRLF; a
   * record's position is the byte offset of its line, in the decompressed stream for compressed
   * files). Splits are packed into tasks of about {@code spark.sql.files.maxPartitionBytes}. A file
   * that vanishes or cannot be read yields one {@code FILE_*} row instead of lines, so the job can
   * leave that file out as a whole.
   */
  private static Dataset<Row> readLines(
      SparkSession spark, SourceSpec spec, List<LandingFile> files, Inspection inspection) {
    JavaSparkContext jsc = JavaSparkContext.fromSparkContext(spark.sparkContext());
    Configuration conf = spark.sparkContext().hadoopConfiguration();
    long target = spark.sessionState().conf().filesMaxPartitionBytes();
    long openCost = spark.sessionState().conf().filesOpenCostInBytes();
    CompressionCodecFactory codecs = new CompressionCodecFactory(conf);
    List<List<Split>> tasks = new ArrayList<>();
    List<Split> task = new ArrayList<>();
    long taskBytes = 0;
    for (LandingFile f : files) {
      boolean compressed = codecs.getCodec(new Path(f.uri())) != null;
      long step = compressed ? Math.max(1, f.size()) : target;
      for (long start = 0; start < Math.max(1, f.size()); start += step) {
        long length = Math.min(step, f.size() - start);
        if (!task.isEmpty() && taskBytes + length + openCost > target) {
          tasks.add(task);
          task = new ArrayList<>();
          taskBytes = 0;
        }
        task.add(new Split(f.uri(), f.relativePath(), start, Math.max(0, length)));
        taskBytes += length + openCost;
      }
    }
    if (!task.isEmpty()) {
      tasks.add(task);
    }
    LineSource source =
        new LineSource(
            new SerializableConfiguration(conf),
            new LineParser(spec),
            spec.encoding(),
            spec.header(),
            spec.header() && spec.columns().isEmpty() ? new HashMap<>(inspection.headers()) : null);
    Broadcast<LineSource> sourceB = jsc.broadcast(source);
    JavaRDD<Row> rows =
        jsc.parallelize(tasks, Math.max(1, tasks.size()))
            .mapPartitions(it -> new LineIterator(sourceB.value(), it));
    return spark.createDataFrame(rows, RAW_SCHEMA);
  }

  /** Everything a task needs to read lines: shipped once per executor. */
  private record LineSource(
      SerializableConfiguration conf,
      LineParser parser,
      String encoding,
      boolean header,
      Map<String, List<String>> headers)
      implements Serializable {}

  /** Lines of a task's splits, one file range after the other, read lazily. */
  private static final class LineIterator implements java.util.Iterator<Row> {
    private final LineSource source;
    private final java.util.Iterator<Split> splits;
    private final java.nio.charset.CharsetDecoder decoder;
    private final java.util.ArrayDeque<Row> pending = new java.util.ArrayDeque<>();
    private Split split;
    private LineRecordReader reader;

    LineIterator(LineSource source, java.util.Iterator<List<Split>> tasks) {
      this.source = source;
      List<Split> all = new ArrayList<>();
      tasks.forEachRemaining(all::addAll);
      this.splits = all.iterator();
      this.decoder = java.nio.charset.Charset.forName(source.encoding()).newDecoder();
      org.apache.spark.TaskContext tc = org.apache.spark.TaskContext.get();
      if (tc != null) {
        tc.addTaskCompletionListener((org.apache.spark.util.TaskCompletionListener) ctx -> close());
      }
    }

    @Override
    public boolean hasNext() {
      while (pending.isEmpty()) {
        if (!advance()) {
          return false;
        }
      }
      return true;
    }

    @Override
    public Row next() {
      if (!hasNext()) {
        throw new java.util.NoSuchElementException();
      }
      return pending.poll();
    }

    private boolean advance() {
      if (reader == null) {
        if (!splits.hasNext()) {
          return false;
        }
        split = splits.next();
        try {
          reader = open(split);
        } catch (IOException | RuntimeException e) {
          pending.add(fileError(split, e));
          close();
        }
        return true;
      }
      try {
        if (reader.nextKeyValue()) {
          long pos = reader.getCurrentKey().get();
          Text text = reader.getCurrentValue();
          lineRows(pos, text).forEach(pending::add);
        } else {
          close();
        }
      } catch (IOException | RuntimeException e) {
        pending.add(fileError(split, e));
        close();
      }
      return true;
    }

    private LineRecordReader open(Split s) throws IOException {
      Configuration conf = source.conf().value();
      LineRecordReader r = new LineRecordReader();
      try {
        r.initialize(
            new FileSplit(new Path(s.uri()), s.start(), s.length(), new String[0]),
            new TaskAttemptContextImpl(conf, new TaskAttemptID()));
      } catch (IOException | RuntimeException e) {
        r.close();
        throw e;
      }
      return r;
    }

    private void close() {
      if (reader != null) {
        try {
          reader.close();
        } catch (IOException e) {
          // nothing was lost: every line read is already out
        }
        reader = null;
      }
    }

    private Stream<Row> lineRows(long pos, Text text) {
      String file = split.uri();
      String rel = split.rel();
      Decoded d = decode(decoder, text.getBytes(), text.getLength());
      String line = pos == 0 ? stripBom(d.text()) : d.text();
      if (pos == 0 && source.header()) {
        return Stream.empty();
      }
      if (line.isBlank()) {
        return Stream.empty();
      }
      if (d.badByte() >= 0) {
        int b = text.getBytes()[d.badByte()] & 0xff;
        LineParser.Parsed bad =
            LineParser.Parsed.error(
                RejectReason.ENCODING,
                String.format(
                    "byte %d of the line (0x%02X) is not valid %s",
                    d.badByte(), b, source.encoding()));
        return Stream.of(lineRow(file, rel, pos, line, bad));
      }
      List<String> cols = source.headers() == null ? null : source.headers().get(file);
      LineParser.Parsed p = parse(line, cols);
      if (p.items() != null) {
        return IntStream.range(0, p.items().size())
            .mapToObj(
                i -> row(file, rel, pos, i, line, Map.of("item", p.items().get(i)), null, null));
      }
      return Stream.of(lineRow(file, rel, pos, line, p));
    }

    private static Row lineRow(
        String file, String rel, long pos, String line, LineParser.Parsed p) {
      return row(
          file,
          rel,
          pos,
          0,
          line,
          p.fields(),
          p.code() == null ? null : p.code().name(),
          p.error());
    }

    /** A line the parser cannot take is that line's problem, not its file's. */
    private LineParser.Parsed parse(String line, List<String> cols) {
      try {
        return source.parser().parse(line, cols);
      } catch (RuntimeException e) {
        return LineParser.Parsed.malformed("cannot be parsed: " + e);
      }
    }

    private static Row fileError(Split s, Exception e) {
      boolean missing =
          e instanceof java.io.FileNotFoundException
              || e.getCause() instanceof java.io.FileNotFoundException;
      return row(
          s.uri(),
          s.rel(),
          null,
          0,
          null,
          null,
          missing ? FILE_MISSING : FILE_UNREADABLE,
          (missing ? "the file vanished while being read: " : "cannot read the file: ") + e);
    }
  }

  /** {@code parse_code} of the row that stands for a file that vanished while being read. */
  static final String FILE_MISSING = "FILE_MISSING";

  /** {@code parse_code} of the row that stands for a file that could not be read to its end. */
  static final String FILE_UNREADABLE = "FILE_UNREADABLE";

  private static Row row(
      String file,
      String rel,
      Long pos,
      int item,
      String line,
      Map<String, String> fields,
      String code,
      String error) {
    return RowFactory.create(
        file, rel, pos, item, line, fields == null ? null : scalaMap(fields), error, code);
  }

  /** A line decoded strictly: the text (bad bytes replaced, for display) and the first bad byte. */
  private record Decoded(String text, int badByte) {}

  private static Decoded decode(java.nio.charset.CharsetDecoder decoder, byte[] bytes, int length) {
    java.nio.ByteBuffer in = java.nio.ByteBuffer.wrap(bytes, 0, length);
    java.nio.CharBuffer out =
        java.nio.CharBuffer.allocate((int) (length * (double) decoder.maxCharsPerByte()) + 1);
    decoder.reset();
    decoder.onMalformedInput(java.nio.charset.CodingErrorAction.REPORT);
    decoder.onUnmappableCharacter(java.nio.charset.CodingErrorAction.REPORT);
    java.nio.charset.CoderResult r = decoder.decode(in, out, true);
    if (!r.isError()) {
      r = decoder.flush(out);
    }
    if (!r.isError()) {
      out.flip();
      return new Decoded(out.toString(), -1);
    }
    int bad = in.position();
    String lenient =
        new String(bytes, 0, length, java.nio.charset.Charset.forName(decoder.charset().name()));
    return new Decoded(lenient, bad);
  }

  private static scala.collection.Map<String, String> scalaMap(Map<String, String> m) {
    return scala.jdk.javaapi.CollectionConverters.asScala(m);
  }

  private static String stripBom(String line) {
    return line.startsWith("\uFEFF") ? line.substring(1) : line;
  }

  private static String abbreviate(String s, int max) {
    return s.length() <= max ? s : s.substring(0, max) + "...";
  }

  /** A Hadoop configuration that can be shipped to the executors. */
  static final class SerializableConfiguration implements Serializable {
    private static final long serialVersionUID = 1L;
    private transient Configuration conf;

    SerializableConfiguration(Configuration conf) {
      this.conf = conf;
    }

    Configuration value() {
      return conf;
    }

    private void writeObject(java.io.ObjectOutputStream out) throws IOException {
      out.defaultWriteObject();
      conf.write(out);
    }

    private void readObject(java.io.ObjectInputStream in) throws IOException {
      try {
        in.defaultReadObject();
      } catch (ClassNotFoundException e) {
        throw new IOException(e);
      }
      conf = new Configuration(false);
      conf.readFields(in);
    }
  }

  /**
   * Reads Parquet files one schema at a time (files whose footers agree), so a column typed
   * differently in some files never fails the read: every value reaches the validator as text.
   */
  private static Dataset<Row> readParquet(
      SparkSession spark, SourceSpec spec, List<LandingFile> files, Inspection inspection) {
    Map<String, List<LandingFile>> bySchema = new LinkedHashMap<>();
    for (LandingFile f : files) {
      bySchema
          .computeIfAbsent(inspection.schemas().getOrDefault(f.uri(), ""), k -> new ArrayList<>())
          .add(f);
    }
    Dataset<Row> all = null;
    for (List<LandingFile> group : bySchema.values()) {
      Dataset<Row> one = readParquetGroup(spark, spec, group);
      all = all == null ? one : all.unionByName(one);
    }
    return all;
  }

  private static Dataset<Row> readParquetGroup(
      SparkSession spark, SourceSpec spec, List<LandingFile> files) {
    Dataset<Row> df =
        spark.read().parquet(files.stream().map(LandingFile::uri).toArray(String[]::new));
    checkColumns(spec, df.columns(), spec.location());
    // _metadata.file_path is the URL-encoded URI (spaces as %20); the join key is that form, and
    // a left join keeps a row even if a path were spelled otherwise.
    List<Row> rel = new ArrayList<>();
    for (LandingFile f : files) {
      rel.add(RowFactory.create(new Path(f.uri()).toUri().toString(), f.uri(), f.relativePath()));
    }
    Dataset<Row> relDf =
        spark.createDataFrame(
            rel,
            new StructType()
                .add("_key", DataTypes.StringType)
                .add("_uri", DataTypes.StringType)
                .add("_rel", DataTypes.StringType));
    Dataset<Row> withMeta =
        df.select(
            col("_metadata.file_path").as("_key"),
            col("_metadata.row_index").as("_pos"),
            functions.to_json(functions.struct(col("*"))).as("_raw"),
            fieldsMap(df.columns()).as("_fields"));
    return withMeta
        .join(functions.broadcast(relDf), withMeta.col("_key").equalTo(relDf.col("_key")), "left")
        .select(
            functions.coalesce(col("_uri"), withMeta.col("_key")).as("source_file"),
            functions.coalesce(col("_rel"), withMeta.col("_key")).as("file_path"),
            col("_pos").as("record_pos"),
            lit(0).as("item_pos"),
            col("_raw").as("raw_record"),
            col("_fields").as("fields"),
            lit(null).cast("string").as("parse_error"),
            lit(null).cast("string").as("parse_code"));
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
        lit(null).cast("string").as("parse_error"),
        lit(null).cast("string").as("parse_code"));
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
