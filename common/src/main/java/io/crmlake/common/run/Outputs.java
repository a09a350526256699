package io.crmlake.common.run;

import io.crmlake.common.lake.Table;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;

/**
 * What a job's computation hands to the runner: its typed result, the rows to write per declared
 * table, and artifacts other than tables (a saved model) to store before the tables that refer to
 * them. The runner writes tables in the fixed order of {@link io.crmlake.common.lake.Tables#ALL},
 * one Delta commit each.
 */
public record Outputs<R extends JobResult>(R result, List<Write> writes, List<Artifact> artifacts) {

  /**
   * Rows for one table; {@code partition} is the value a {@code REPLACE_PARTITION} run replaces.
   */
  public record Write(Table table, Dataset<Row> rows, Optional<Object> partition) {}

  /** Something stored outside the tables (a model), named for the log. */
  public record Artifact(String name, Runnable store) {}

  public static <R extends JobResult> Builder<R> of(R result) {
    return new Builder<>(result);
  }

  /** A result with nothing to write. */
  public static <R extends JobResult> Outputs<R> none(R result) {
    return new Outputs<>(result, List.of(), List.of());
  }

  public static final class Builder<R extends JobResult> {
    private final R result;
    private final List<Write> writes = new ArrayList<>();
    private final List<Artifact> artifacts = new ArrayList<>();

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

    /** Rows replacing the partition {@code value} of a replace-partition table. */
    public Builder<R> replace(Table table, Object value, Dataset<Row> rows) {
      if (table.mode() != Table.WriteMode.REPLACE_PARTITION) {
        throw new IllegalArgumentException(table + " is not written by partition");
      }
      writes.add(new Write(table, rows, Optional.of(value)));
      return this;
    }

    public Builder<R> artifact(String name, Runnable store) {
      artifacts.add(new Artifact(name, store));
      return this;
    }

    public Outputs<R> build() {
      return new Outputs<>(result, List.copyOf(writes), List.copyOf(artifacts));
    }
  }
}
