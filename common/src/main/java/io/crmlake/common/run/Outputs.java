package io.crmlake.common.run;

import io.crmlake.common.lake.Lake;
import io.crmlake.common.lake.Table;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;

/**
 * What a job's computation hands to the runner: its typed result, the rows to write per declared
 * table, and artifacts other than tables (a saved model) to store before the tables that refer to
 * them. The runner writes tables in the order the job declares them ({@link Job#outputs}), one
 * Delta commit each.
 */
public record Outputs<R extends JobResult>(
    R result, List<Write> writes, List<Artifact> artifacts, List<Step<R>> after) {

  /**
   * Rows for one table; {@code partition} is the value a {@code REPLACE_PARTITION} run replaces,
   * for a {@code MERGE} table the map of stamp values set on the rows it flags, or for an {@code
   * UPSERT} table {@link Lake#WHOLE} when the rows are all of the table's rows.
   */
  public record Write(Table table, Dataset<Row> rows, Optional<Object> partition) {}

  /** Something stored outside the tables (a model), named for the log. */
  public record Artifact(String name, Runnable store) {}

  /**
   * Work that needs the run's tables committed (reading a merge's metrics, loading a serving
   * database): run after the writes, in order, each as a named phase; each returns the result with
   * what it adds. A failing step fails the run after its tables were written.
   */
  public record Step<R>(String name, java.util.function.UnaryOperator<R> apply) {}

  public static <R extends JobResult> Builder<R> of(R result) {
    return new Builder<>(result);
  }

  /** A result with nothing to write. */
  public static <R extends JobResult> Outputs<R> none(R result) {
    return new Outputs<>(result, List.of(), List.of(), List.of());
  }

  public static final class Builder<R extends JobResult> {
    private final R result;
    private final List<Write> writes = new ArrayList<>();
    private final List<Artifact> artifacts = new ArrayList<>();
    private final List<Step<R>> after = new ArrayList<>();

    private Builder(R result) {
      this.result = result;
    }

    /** Rows for an overwrite, append or insert-new table. */
    public Builder<R> write(Table table, Dataset<Row> rows) {
      if (table.mode() == Table.WriteMode.REPLACE_PARTITION) {
        throw new IllegalArgumentException(table + " replaces a partition: name its value");
      }
      writes.add(new Write(table, rows, Optional.empty()));
      return this;
    }

    /**
     * Every row of an upsert table (a rebuild): upserted as {@link #write} does, and the table's
     * rows whose keys they lack deleted, in the same MERGE.
     */
    public Builder<R> upsertWhole(Table table, Dataset<Row> rows) {
      if (table.mode() != Table.WriteMode.UPSERT) {
        throw new IllegalArgumentException(table + " is not upserted");
      }
      writes.add(new Write(table, rows, Optional.of(Lake.WHOLE)));
      return this;
    }

    /** Rows replacing the partition {@code value} of a replace-partition table. */
    public Builder<R> replace(Table table, Object value, Dataset<Row> rows) {
      if (table.mode() != Table.WriteMode.REPLACE_PARTITION) {
        throw new IllegalArgumentException(table + " is not written by partition");
      }
      writes.add(new Write(table, rows, Optional.of(value)));
      return this;
    }

    /**
     * Rows merged into a MERGE table; {@code stamps} gives the stamp columns' values for the rows
     * the merge flags (see {@link Table.Merge}).
     */
    public Builder<R> merge(Table table, java.util.Map<String, Object> stamps, Dataset<Row> rows) {
      if (table.mode() != Table.WriteMode.MERGE) {
        throw new IllegalArgumentException(table + " is not merged");
      }
      // Stamps may be null (a run outside a pipeline has no pipeline run id).
      writes.add(
          new Write(
              table,
              rows,
              Optional.of(java.util.Collections.unmodifiableMap(new java.util.HashMap<>(stamps)))));
      return this;
    }

    /** A step run after the tables are written (see {@link Step}). */
    public Builder<R> after(String name, java.util.function.UnaryOperator<R> step) {
      after.add(new Step<>(name, step));
      return this;
    }

    public Builder<R> artifact(String name, Runnable store) {
      artifacts.add(new Artifact(name, store));
      return this;
    }

    public Outputs<R> build() {
      return new Outputs<>(result, List.copyOf(writes), List.copyOf(artifacts), List.copyOf(after));
    }
  }
}
