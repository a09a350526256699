package io.crmlake.common.lake;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.types.ArrayType;
import org.apache.spark.sql.types.DataType;
import org.apache.spark.sql.types.MapType;
import org.apache.spark.sql.types.Metadata;
import org.apache.spark.sql.types.StructField;
import org.apache.spark.sql.types.StructType;

/**
 * The declaration of one table crmlake writes: where it lives, which job produces it, how each run
 * writes it, its schema and a comment for the table and for every column. Declared once, beside the
 * code that fills it (each job's {@code <Job>Tables} class; the run log in {@code JobRunLog} of the
 * runner's package); the writes, the Delta table and column comments, the schema check and the data
 * dictionary ({@code docs/tables.md}) all come from it.
 *
 * <p>A table may have a <em>column slot</em>: a run-dependent set of columns of one type at a fixed
 * place (the classification schemes of {@code gold.customer_segments}). The declaration lists the
 * default columns of the slot; {@link #withSlot} gives the run's concrete declaration.
 */
public final class Table {
  /** How a run writes the table; every mode is one Delta commit. */
  public enum WriteMode {
    /** The run's rows replace the whole table. */
    OVERWRITE("replaced by each run"),
    /** The run's rows replace those of its partition value (an as-of date); others stay. */
    REPLACE_PARTITION("each run replaces its partition"),
    /** Rows whose key is not yet in the table are inserted (MERGE); nothing is updated. */
    INSERT_NEW("rows with a new key are inserted"),
    /** Each run appends its rows. */
    APPEND("each run appends"),
    /**
     * MERGE on the keys: rows whose columns changed are updated, new keys inserted, rows missing
     * from the run flagged (the flag column set to false), never deleted.
     */
    MERGE("merged on its key: changed rows updated, new ones inserted, missing ones flagged"),
    /**
     * MERGE of a run's rows on the keys: a row whose columns changed is updated, a new key
     * inserted; rows the run does not carry are untouched. With deletion vectors, so an update
     * marks the old row deleted instead of rewriting its file.
     */
    UPSERT(
        "merged on its key: the run's changed rows updated, new ones inserted, others untouched");

    public final String meaning;

    WriteMode(String meaning) {
      this.meaning = meaning;
    }
  }

  /** Who writes a table: one job, every job (the run log), or a tool outside the pipeline. */
  public enum Producer {
    JOB,
    EVERY_JOB,
    TOOL
  }

  /** A run-dependent group of columns of one type, after the column {@code after}. */
  public record Slot(String after, DataType type, String meaning, List<String> defaults) {}

  private final TableId id;
  private final String producer;
  private final Producer producerKind;
  private final String comment;
  private final WriteMode mode;
  private final List<String> partitionBy;
  private final List<String> keys;
  private final StructType schema;
  private final Slot slot;
  private final Merge merge;
  private final List<String> withoutDictionary;

  /**
   * How a {@link WriteMode#MERGE} table tells change from bookkeeping: {@code flag} is the boolean
   * column that is true while a key is in the run's rows; {@code stamps} are the columns a run sets
   * on every row it changes (run id, update time) and that alone do not make a row changed.
   */
  public record Merge(String flag, List<String> stamps) {}

  private Table(
      TableId id,
      String producer,
      Producer producerKind,
      String comment,
      WriteMode mode,
      List<String> partitionBy,
      List<String> keys,
      StructType schema,
      Slot slot,
      Merge merge,
      List<String> withoutDictionary) {
    this.id = id;
    this.producer = producer;
    this.producerKind = producerKind;
    this.comment = comment;
    this.mode = mode;
    this.partitionBy = List.copyOf(partitionBy);
    this.keys = List.copyOf(keys);
    this.schema = schema;
    this.slot = slot;
    this.merge = merge;
    this.withoutDictionary = List.copyOf(withoutDictionary);
  }

  /** Starts a declaration of {@code layer.name}, written by the job {@code job}. */
  public static Builder builder(String layer, String name, String job) {
    return new Builder(TableId.of(layer, name), job, Producer.JOB);
  }

  /** Starts a declaration of {@code layer.name}, which every job's run writes (the run log). */
  public static Builder everyJob(String layer, String name) {
    return new Builder(TableId.of(layer, name), "every job", Producer.EVERY_JOB);
  }

  /**
   * Starts a declaration of {@code layer.name}, written by {@code tool}, a command outside the
   * pipeline (the benchmark): documented with the others, never written by a job.
   */
  public static Builder tool(String layer, String name, String tool) {
    return new Builder(TableId.of(layer, name), tool, Producer.TOOL);
  }

  public TableId id() {
    return id;
  }

  public String layer() {
    return id.layer();
  }

  public String name() {
    return id.name();
  }

  /** {@code layer.name}. */
  public String sqlName() {
    return id.sqlName();
  }

  /** The job that writes the table (the {@code bin/crmlake} command), or the tool. */
  public String producer() {
    return producer;
  }

  public Producer producerKind() {
    return producerKind;
  }

  /** Who writes the table, for the data dictionary: {@code `clv`}, every job, a tool. */
  public String writtenBy() {
    return switch (producerKind) {
      case JOB -> "`" + producer + "`";
      case EVERY_JOB -> producer;
      case TOOL -> "`" + producer + "` (not a job)";
    };
  }

  /** What creates the table, for the message of a job that needs it first. */
  public String howToCreate() {
    return switch (producerKind) {
      case JOB -> "run `bin/crmlake " + producer + "`";
      case EVERY_JOB -> "run any job";
      case TOOL -> "run `" + producer + "`";
    };
  }

  public String comment() {
    return comment;
  }

  public WriteMode mode() {
    return mode;
  }

  public List<String> partitionBy() {
    return partitionBy;
  }

  /** The flag and stamp columns of a {@link WriteMode#MERGE} table. */
  public java.util.Optional<Merge> merge() {
    return java.util.Optional.ofNullable(merge);
  }

  /** Key columns of an {@link WriteMode#INSERT_NEW} or {@link WriteMode#MERGE} table. */
  public List<String> keys() {
    return keys;
  }

  /** Columns in order, each with its comment (field metadata {@code comment}). */
  public StructType schema() {
    return schema;
  }

  /**
   * Delta table properties that come from the declaration. Delta hands a table's properties to the
   * Parquet writer of every write, so {@code parquet.enable.dictionary#<column>} turns dictionary
   * encoding off for the columns declared {@link Builder#withoutDictionary}. An {@link
   * WriteMode#UPSERT} table has deletion vectors.
   */
  public Map<String, String> properties() {
    Map<String, String> out = new LinkedHashMap<>();
    for (String c : withoutDictionary) {
      out.put("parquet.enable.dictionary#" + c, "false");
    }
    if (mode == WriteMode.UPSERT) {
      out.put("delta.enableDeletionVectors", "true");
    }
    return out;
  }

  public java.util.Optional<Slot> slot() {
    return java.util.Optional.ofNullable(slot);
  }

  /** The comment of a column, or "" if it has none. */
  public static String commentOf(StructField f) {
    return f.getComment().isDefined() ? f.getComment().get() : "";
  }

  /**
   * This declaration with the slot's default columns replaced by {@code columns} (each of the
   * slot's type; their comments are given). For tables without a slot, {@code columns} must be
   * empty.
   */
  public Table withSlot(List<StructField> columns) {
    if (slot == null) {
      if (!columns.isEmpty()) {
        throw new IllegalArgumentException(this + " has no column slot");
      }
      return this;
    }
    List<StructField> out = new ArrayList<>();
    for (StructField f : schema.fields()) {
      if (slot.defaults().contains(f.name())) {
        continue;
      }
      out.add(f);
      if (f.name().equals(slot.after())) {
        out.addAll(columns);
      }
    }
    return new Table(
        id,
        producer,
        producerKind,
        comment,
        mode,
        partitionBy,
        keys,
        new StructType(out.toArray(new StructField[0])),
        slot,
        merge,
        withoutDictionary);
  }

  /**
   * Checks that {@code data} has exactly the declared columns with the declared types (nullability
   * aside), and returns it in the declared column order with the declared column comments attached.
   * A mismatch is schema drift: it fails the run before anything is written, naming each
   * difference.
   */
  public Dataset<Row> conform(Dataset<Row> data) {
    List<String> problems = differences(schema, data.schema());
    if (!problems.isEmpty()) {
      throw new SchemaDriftException(
          "the rows computed for "
              + this
              + " do not match its declaration: "
              + String.join("; ", problems));
    }
    org.apache.spark.sql.Column[] cols = new org.apache.spark.sql.Column[schema.size()];
    for (int i = 0; i < cols.length; i++) {
      StructField f = schema.fields()[i];
      cols[i] = data.col("`" + f.name() + "`").as(f.name(), f.metadata());
    }
    return data.select(cols);
  }

  /**
   * The differences between a declared and an actual schema: missing or undeclared columns and type
   * changes (column order and nullability aside). Empty when they agree.
   */
  public static List<String> differences(StructType declared, StructType actual) {
    List<String> problems = new ArrayList<>();
    List<String> want = List.of(declared.fieldNames());
    List<String> got = List.of(actual.fieldNames());
    for (String c : want) {
      if (!got.contains(c)) {
        problems.add("column " + c + " is missing");
      }
    }
    for (String c : got) {
      if (!want.contains(c)) {
        problems.add("column " + c + " is not declared");
      }
    }
    for (StructField f : declared.fields()) {
      if (got.contains(f.name())) {
        DataType a = actual.apply(f.name()).dataType();
        if (!normalize(a).equals(normalize(f.dataType()))) {
          problems.add(
              "column "
                  + f.name()
                  + " is "
                  + a.simpleString()
                  + ", declared "
                  + f.dataType().simpleString());
        }
      }
    }
    return problems;
  }

  /** A type with every nullability flag set and no field metadata, for comparison. */
  static DataType normalize(DataType t) {
    if (t instanceof StructType s) {
      StructField[] fs = new StructField[s.size()];
      for (int i = 0; i < fs.length; i++) {
        StructField f = s.fields()[i];
        fs[i] = new StructField(f.name(), normalize(f.dataType()), true, Metadata.empty());
      }
      return new StructType(fs);
    }
    if (t instanceof ArrayType a) {
      return new ArrayType(normalize(a.elementType()), true);
    }
    if (t instanceof MapType m) {
      return new MapType(normalize(m.keyType()), normalize(m.valueType()), true);
    }
    return t;
  }

  @Override
  public String toString() {
    return sqlName();
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof Table t
        && t.id.equals(id)
        && t.schema.equals(schema)
        && t.withoutDictionary.equals(withoutDictionary);
  }

  @Override
  public int hashCode() {
    return Objects.hash(id, schema, withoutDictionary);
  }

  /** The rows of a run do not match the table's declaration. */
  public static final class SchemaDriftException extends IllegalStateException {
    public SchemaDriftException(String message) {
      super(message);
    }
  }

  /** Builds a declaration: comment, write mode, then the columns in order. */
  public static final class Builder {
    private final TableId id;
    private final String producer;
    private final Producer producerKind;
    private String comment = "";
    private WriteMode mode = WriteMode.OVERWRITE;
    private List<String> partitionBy = List.of();
    private List<String> keys = List.of();
    private final List<StructField> columns = new ArrayList<>();
    private Slot slot;
    private Merge merge;
    private final List<String> withoutDictionary = new ArrayList<>();

    private Builder(TableId id, String producer, Producer producerKind) {
      this.id = id;
      this.producer = producer;
      this.producerKind = producerKind;
    }

    public Builder comment(String comment) {
      this.comment = comment;
      return this;
    }

    public Builder overwrite() {
      this.mode = WriteMode.OVERWRITE;
      return this;
    }

    public Builder append() {
      this.mode = WriteMode.APPEND;
      return this;
    }

    /** Each run replaces the rows of its value of {@code column}, the partition column. */
    public Builder replacePartition(String column) {
      this.mode = WriteMode.REPLACE_PARTITION;
      this.partitionBy = List.of(column);
      return this;
    }

    public Builder insertNew(String... keys) {
      this.mode = WriteMode.INSERT_NEW;
      this.keys = List.of(keys);
      return this;
    }

    /**
     * Each run merges its rows on {@code keys}: see {@link WriteMode#MERGE}; {@code flag} and
     * {@code stamps} as in {@link Merge}.
     */
    public Builder merge(String flag, List<String> stamps, String... keys) {
      this.mode = WriteMode.MERGE;
      this.keys = List.of(keys);
      this.merge = new Merge(flag, List.copyOf(stamps));
      return this;
    }

    /** Each run upserts its rows on {@code keys}: see {@link WriteMode#UPSERT}. */
    public Builder upsert(String... keys) {
      this.mode = WriteMode.UPSERT;
      this.keys = List.of(keys);
      return this;
    }

    public Builder column(String name, DataType type, String meaning) {
      columns.add(new StructField(name, type, true, Metadata.empty()).withComment(meaning));
      return this;
    }

    /** Adds the columns of {@code other} that {@code keep} accepts, with their comments. */
    public Builder columnsOf(Table other, java.util.function.Predicate<String> keep) {
      for (StructField f : other.schema().fields()) {
        if (keep.test(f.name())) {
          columns.add(f);
        }
      }
      return this;
    }

    /**
     * Columns whose values are nearly all distinct (ids, raw text) are written without Parquet's
     * dictionary encoding: the writer would build a dictionary for every row group only to drop it
     * when it outgrows its page, a third of the write time of the bronze table, for files of the
     * same size. A path names a nested column, e.g. {@code fields.key_value.value} for a map's
     * values.
     */
    public Builder withoutDictionary(String... columnPaths) {
      withoutDictionary.addAll(List.of(columnPaths));
      return this;
    }

    /** Declares the columns just added after {@code after} as the defaults of a column slot. */
    public Builder slot(String after, DataType type, String meaning, String... defaults) {
      this.slot = new Slot(after, type, meaning, List.of(defaults));
      return this;
    }

    public Table build() {
      StructType schema = new StructType(columns.toArray(new StructField[0]));
      List<String> names = List.of(schema.fieldNames());
      for (String c : partitionBy) {
        require(names.contains(c), "partition column " + c + " is not a column");
      }
      for (String c : keys) {
        require(names.contains(c), "key column " + c + " is not a column");
      }
      require(!comment.isBlank(), "a table comment is required");
      for (StructField f : schema.fields()) {
        require(!commentOf(f).isBlank(), "column " + f.name() + " needs a comment");
        require(
            f.name().equals(f.name().toLowerCase(Locale.ROOT)),
            "column " + f.name() + " must be lower case");
      }
      if (slot != null) {
        require(names.contains(slot.after()), "slot column " + slot.after() + " is not a column");
        require(names.containsAll(slot.defaults()), "slot defaults must be declared columns");
      }
      if (merge != null) {
        require(names.contains(merge.flag()), "flag column " + merge.flag() + " is not a column");
        require(names.containsAll(merge.stamps()), "stamp columns must be declared columns");
      }
      List<String> leaves = new ArrayList<>();
      for (StructField f : schema.fields()) {
        parquetLeaves(f.name(), f.dataType(), leaves);
      }
      for (String c : withoutDictionary) {
        require(
            leaves.contains(c),
            "column " + c + " (without dictionary) is not a Parquet column; they are " + leaves);
      }
      return new Table(
          id,
          producer,
          producerKind,
          comment,
          mode,
          partitionBy,
          keys,
          schema,
          slot,
          merge,
          withoutDictionary);
    }

    /** The dotted paths of the Parquet columns Spark writes for a column (maps and lists nest). */
    private static void parquetLeaves(String path, DataType type, List<String> out) {
      if (type instanceof StructType st) {
        for (StructField f : st.fields()) {
          parquetLeaves(path + "." + f.name(), f.dataType(), out);
        }
      } else if (type instanceof MapType m) {
        parquetLeaves(path + ".key_value.key", m.keyType(), out);
        parquetLeaves(path + ".key_value.value", m.valueType(), out);
      } else if (type instanceof ArrayType a) {
        parquetLeaves(path + ".list.element", a.elementType(), out);
      } else {
        out.add(path);
      }
    }

    private void require(boolean ok, String problem) {
      if (!ok) {
        throw new IllegalStateException("declaration of " + id + ": " + problem);
      }
    }
  }
}
