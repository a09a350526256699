package io.crmlake.ingest;

import java.io.FileNotFoundException;
import java.io.IOException;
import java.io.ObjectInputStream;
import java.io.ObjectOutputStream;
import java.io.Serializable;
import java.nio.charset.Charset;
import java.nio.charset.CharsetDecoder;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.NoSuchElementException;
import java.util.stream.IntStream;
import java.util.stream.Stream;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.Path;
import org.apache.hadoop.io.Text;
import org.apache.hadoop.io.compress.CompressionCodecFactory;
import org.apache.hadoop.mapreduce.TaskAttemptID;
import org.apache.hadoop.mapreduce.lib.input.FileSplit;
import org.apache.hadoop.mapreduce.lib.input.LineRecordReader;
import org.apache.hadoop.mapreduce.task.TaskAttemptContextImpl;
import org.apache.spark.TaskContext;
import org.apache.spark.api.java.JavaRDD;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.broadcast.Broadcast;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.util.TaskCompletionListener;

/**
 * Reads the text formats (CSV, text, JSON lines, basket lists) line by line with Hadoop's {@link
 * LineRecordReader} (LF, CR or CRLF; a record's position is the byte offset of its line, in the
 * decompressed stream for compressed files). Splits are packed into tasks of about {@code
 * spark.sql.files.maxPartitionBytes} (plus {@code spark.sql.files.openCostInBytes} per split). A
 * file that vanishes or cannot be read yields one {@code FILE_*} row instead of lines, so the job
 * can leave that file out as a whole.
 */
final class TextReader {
  private TextReader() {}

  /**
   * A byte range of a landing file that one task reads: a whole file when it is compressed (read
   * through Hadoop's codec for its extension, e.g. {@code .gz}, {@code .bz2}).
   */
  record Split(String uri, String rel, long start, long length) implements Serializable {}

  static Dataset<Row> read(
      SparkSession spark, SourceSpec spec, List<LandingFile> files, Inspection inspection) {
    JavaSparkContext jsc = JavaSparkContext.fromSparkContext(spark.sparkContext());
    Configuration conf = spark.sparkContext().hadoopConfiguration();
    List<List<Split>> tasks =
        tasks(
            files,
            new CompressionCodecFactory(conf),
            spark.sessionState().conf().filesMaxPartitionBytes(),
            spark.sessionState().conf().filesOpenCostInBytes());
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
    return spark.createDataFrame(rows, RawReader.RAW_SCHEMA);
  }

  /** The files cut into splits and packed, in order, into tasks of about {@code target} bytes. */
  static List<List<Split>> tasks(
      List<LandingFile> files, CompressionCodecFactory codecs, long target, long openCost) {
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
    return tasks;
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
  private static final class LineIterator implements Iterator<Row> {
    private final LineSource source;
    private final Iterator<Split> splits;
    private final CharsetDecoder decoder;
    private final ArrayDeque<Row> pending = new ArrayDeque<>();
    private Split split;
    private LineRecordReader reader;

    LineIterator(LineSource source, Iterator<List<Split>> tasks) {
      this.source = source;
      List<Split> all = new ArrayList<>();
      tasks.forEachRemaining(all::addAll);
      this.splits = all.iterator();
      this.decoder = Charset.forName(source.encoding()).newDecoder();
      TaskContext tc = TaskContext.get();
      if (tc != null) {
        tc.addTaskCompletionListener((TaskCompletionListener) ctx -> close());
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
        throw new NoSuchElementException();
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
      DecodedLine d = DecodedLine.decode(decoder, text.getBytes(), text.getLength());
      String line = pos == 0 ? DecodedLine.stripBom(d.text()) : d.text();
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
          e instanceof FileNotFoundException || e.getCause() instanceof FileNotFoundException;
      return row(
          s.uri(),
          s.rel(),
          null,
          0,
          null,
          null,
          missing ? RawReader.FILE_MISSING : RawReader.FILE_UNREADABLE,
          (missing ? "the file vanished while being read: " : "cannot read the file: ") + e);
    }
  }

  /** A {@link RawReader#RAW_SCHEMA} row. */
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
        file,
        rel,
        pos,
        item,
        line,
        fields == null ? null : scala.jdk.javaapi.CollectionConverters.asScala(fields),
        error,
        code);
  }

  /** A Hadoop configuration that can be shipped to the executors. */
  private static final class SerializableConfiguration implements Serializable {
    private static final long serialVersionUID = 1L;
    private transient Configuration conf;

    SerializableConfiguration(Configuration conf) {
      this.conf = conf;
    }

    Configuration value() {
      return conf;
    }

    private void writeObject(ObjectOutputStream out) throws IOException {
      out.defaultWriteObject();
      conf.write(out);
    }

    private void readObject(ObjectInputStream in) throws IOException {
      try {
        in.defaultReadObject();
      } catch (ClassNotFoundException e) {
        throw new IOException(e);
      }
      conf = new Configuration(false);
      conf.readFields(in);
    }
  }
}
