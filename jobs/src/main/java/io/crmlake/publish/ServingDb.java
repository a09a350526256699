package io.crmlake.publish;

import io.crmlake.common.lake.Table;
import io.crmlake.publish.PublishSettings.Method;
import java.io.Serializable;
import java.nio.charset.StandardCharsets;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Locale;
import java.util.Properties;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.apache.spark.api.java.function.ForeachPartitionFunction;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.types.ArrayType;
import org.apache.spark.sql.types.DataType;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.DecimalType;
import org.apache.spark.sql.types.StructField;
import org.apache.spark.sql.types.StructType;
import org.apache.spark.util.LongAccumulator;
import org.postgresql.PGConnection;
import org.postgresql.copy.CopyIn;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Loads tables into the PostgreSQL serving database so that readers never see a partial load: every
 * table goes into a staging table first — rows sent from the executors, each partition in its own
 * transaction, by PostgreSQL {@code COPY} (the JDBC driver's {@code CopyManager}) or by batched
 * {@code INSERT} — then gets its primary key, indexes and comments; only when every table has
 * loaded and its row count checks out are all of them swapped in by one transaction ({@code ALTER
 * TABLE … RENAME}), and the old ones dropped after the commit. A failure at any point before the
 * swap drops the staging tables and leaves the served tables as they were.
 *
 * <p>Nothing passes through the driver but DDL and counts. The password travels to the executors
 * inside the task (never in a setting, a log line or a message).
 */
public final class ServingDb {
  private static final Logger LOG = LoggerFactory.getLogger(ServingDb.class);

  /** Where to connect: URL, user, the password (redacted in toString) and the schema. */
  public record Target(String url, String user, Secret password, String schema)
      implements Serializable {
    Connection connect() throws SQLException {
      Properties p = new Properties();
      p.setProperty("user", user);
      if (password.value() != null) {
        p.setProperty("password", password.value());
      }
      p.setProperty("reWriteBatchedInserts", "true");
      p.setProperty("ApplicationName", "crmlake publish");
      return DriverManager.getConnection(url, p);
    }
  }

  /** A secret that never prints. */
  public record Secret(String value) implements Serializable {
    @Override
    public String toString() {
      return value == null ? "(none)" : "****";
    }
  }

  /**
   * One served table: its name in the schema, the rows (their columns and types), the primary key,
   * further indexed columns, and the declaration whose comments document it.
   */
  public record Load(
      String name, Dataset<Row> rows, List<String> primaryKey, List<String> indexes, Table table) {}

  /** What a load did per table. */
  public record Loaded(String table, long rows) {}

  /**
   * How the rows are sent: by {@code method}, {@code batchSize} rows at a time; {@code token} makes
   * constraint and index names unique per load (the run id's random part); {@code note} ends each
   * table's comment.
   */
  public record Options(Method method, int batchSize, String token, String note) {}

  private ServingDb() {}

  /** Loads every table into staging, then swaps all of them in within one transaction. */
  public static List<Loaded> load(Target target, List<Load> loads, Options options) {
    String schema = target.schema();
    try (Connection c = target.connect()) {
      c.setAutoCommit(true);
      lockSchema(c, schema);
      List<Loaded> out = stageAndSwap(c, target, loads, options);
      dropOld(c, schema, loads);
      return out;
    } catch (SQLException e) {
      throw new IllegalStateException(
          "loading the serving database "
              + target.url()
              + " (schema "
              + schema
              + ") failed; the served tables are unchanged: "
              + e.getMessage(),
          e);
    }
  }

  /** Takes the schema's load lock (a second publish waits) and creates the schema if needed. */
  private static void lockSchema(Connection c, String schema) throws SQLException {
    try (Statement st = c.createStatement()) {
      // Staging names are per table, so one load per schema at a time.
      st.execute("SELECT pg_advisory_lock(hashtext('crmlake publish " + schema + "'))");
      if (!schemaExists(c, schema)) {
        st.execute("CREATE SCHEMA " + schema);
      }
    }
  }

  /**
   * Creates the staging tables, fills them side by side (a Spark job each: small tables do not wait
   * in line) and swaps them in. On any failure the other loads finish (or fail) first, then every
   * staging table is dropped.
   */
  private static List<Loaded> stageAndSwap(
      Connection c, Target target, List<Load> loads, Options options) {
    String schema = target.schema();
    String loading = "the staging tables";
    ExecutorService pool = Executors.newFixedThreadPool(Math.min(loads.size(), 4));
    List<Future<Loaded>> futures = new ArrayList<>();
    try {
      createStaging(c, schema, loads);
      for (Load l : loads) {
        futures.add(
            pool.submit(
                () -> {
                  try (Connection own = target.connect()) {
                    return new Loaded(l.name(), fill(target, l, options, own));
                  }
                }));
      }
      List<Loaded> out = new ArrayList<>();
      for (int i = 0; i < futures.size(); i++) {
        loading = loads.get(i).name();
        try {
          out.add(futures.get(i).get());
        } catch (ExecutionException e) {
          throw e.getCause() instanceof Exception x ? x : e;
        }
      }
      loading = "the swap";
      swap(c, schema, loads);
      return out;
    } catch (Exception e) {
      // Also Spark's SparkException, which foreachPartition throws undeclared.
      awaitAll(futures);
      dropStaging(c, schema, loads);
      throw new IllegalStateException(
          "loading the serving database "
              + target.url()
              + " (schema "
              + schema
              + ") failed at "
              + loading
              + "; the served tables are unchanged: "
              + e.getMessage(),
          e);
    } finally {
      pool.shutdownNow();
    }
  }

  /** Drops any leftover staging and old copies, then creates each empty staging table. */
  private static void createStaging(Connection c, String schema, List<Load> loads)
      throws SQLException {
    try (Statement st = c.createStatement()) {
      for (Load l : loads) {
        st.execute("DROP TABLE IF EXISTS " + staging(schema, l.name()));
        st.execute("DROP TABLE IF EXISTS " + old(schema, l.name()));
        st.execute(createTable(staging(schema, l.name()), l.rows().schema()));
      }
    }
  }

  /** Waits for every load to end, whatever its outcome (reported otherwise, or irrelevant). */
  private static void awaitAll(List<Future<Loaded>> futures) {
    for (Future<Loaded> f : futures) {
      try {
        f.get();
      } catch (Exception ignored) {
        // reported through the failure that stopped the load, or irrelevant once it happened
      }
    }
  }

  /**
   * Drops the replaced tables. The new tables are live: a failure to drop an old one is a warning,
   * not a failed load.
   */
  private static void dropOld(Connection c, String schema, List<Load> loads) {
    for (Load l : loads) {
      try (Statement st = c.createStatement()) {
        st.execute("SET lock_timeout = '30s'");
        st.execute("DROP TABLE IF EXISTS " + old(schema, l.name()));
      } catch (SQLException e) {
        LOG.warn(
            "the new {}.{} is served, but the old copy {} could not be dropped (a view or key"
                + " that depends on it?): {}",
            schema,
            l.name(),
            old(schema, l.name()),
            e.getMessage());
      }
    }
  }

  /** Sends the rows from the executors into the staging table, checks the count, adds keys. */
  private static long fill(Target target, Load l, Options options, Connection c)
      throws SQLException {
    String staging = staging(target.schema(), l.name());
    LongAccumulator sent = l.rows().sparkSession().sparkContext().longAccumulator(l.name());
    l.rows()
        .foreachPartition(
            new PartitionLoader(
                target, staging, l.rows().schema(), options.method(), options.batchSize(), sent));
    long loaded;
    try (Statement st = c.createStatement();
        ResultSet rs = st.executeQuery("SELECT count(*) FROM " + staging)) {
      rs.next();
      loaded = rs.getLong(1);
    }
    if (loaded != sent.value()) {
      throw new IllegalStateException(
          l.name() + ": " + loaded + " rows arrived in staging, " + sent.value() + " were sent");
    }
    keysAndComments(c, staging, l, options);
    LOG.debug("serving: {} rows of {} in staging ({})", loaded, l.name(), options.method());
    return loaded;
  }

  /** The staging table's primary key, indexes, table and column comments and statistics. */
  private static void keysAndComments(Connection c, String staging, Load l, Options options)
      throws SQLException {
    String base = l.name() + "_" + options.token();
    List<String> columns = List.of(l.rows().schema().fieldNames());
    try (Statement st = c.createStatement()) {
      if (!l.primaryKey().isEmpty()) {
        st.execute(
            "ALTER TABLE "
                + staging
                + " ADD CONSTRAINT "
                + base
                + "_pk PRIMARY KEY ("
                + String.join(", ", l.primaryKey())
                + ")");
      }
      for (String col : l.indexes()) {
        st.execute("CREATE INDEX " + base + "_" + col + " ON " + staging + " (" + col + ")");
      }
      st.execute(
          "COMMENT ON TABLE "
              + staging
              + " IS "
              + literal(l.table().comment() + " [" + options.note() + "]"));
      for (StructField f : l.table().schema().fields()) {
        if (columns.contains(f.name())) {
          st.execute(
              "COMMENT ON COLUMN "
                  + staging
                  + "."
                  + f.name()
                  + " IS "
                  + literal(Table.commentOf(f)));
        }
      }
      st.execute("ANALYZE " + staging);
    }
  }

  /** Renames every live table away and every staging table in, in one transaction. */
  private static void swap(Connection c, String schema, List<Load> loads) throws SQLException {
    c.setAutoCommit(false);
    try (Statement st = c.createStatement()) {
      // Renames wait for running queries on the tables; give up (nothing changed) rather than
      // stall every new reader behind a long analyst query.
      st.execute("SET LOCAL lock_timeout = '60s'");
      for (Load l : loads) {
        if (exists(c, schema, l.name())) {
          st.execute("ALTER TABLE " + schema + "." + l.name() + " RENAME TO " + l.name() + "__old");
        }
        st.execute("ALTER TABLE " + staging(schema, l.name()) + " RENAME TO " + l.name());
      }
      c.commit();
    } catch (SQLException | RuntimeException e) {
      c.rollback();
      throw e;
    } finally {
      c.setAutoCommit(true);
    }
  }

  private static boolean schemaExists(Connection c, String schema) throws SQLException {
    try (PreparedStatement ps =
        c.prepareStatement("SELECT 1 FROM pg_namespace WHERE nspname = ?")) {
      ps.setString(1, schema);
      try (ResultSet rs = ps.executeQuery()) {
        return rs.next();
      }
    }
  }

  private static boolean exists(Connection c, String schema, String table) throws SQLException {
    try (PreparedStatement ps =
        c.prepareStatement(
            "SELECT 1 FROM information_schema.tables WHERE table_schema = ? AND table_name = ?")) {
      ps.setString(1, schema);
      ps.setString(2, table);
      try (ResultSet rs = ps.executeQuery()) {
        return rs.next();
      }
    }
  }

  private static void dropStaging(Connection c, String schema, List<Load> loads) {
    for (Load l : loads) {
      try (Statement st = c.createStatement()) {
        st.execute("DROP TABLE IF EXISTS " + staging(schema, l.name()));
      } catch (SQLException e) {
        LOG.warn("could not drop {}: {}", staging(schema, l.name()), e.getMessage());
      }
    }
  }

  static String staging(String schema, String table) {
    return schema + "." + table + "__staging";
  }

  private static String old(String schema, String table) {
    return schema + "." + table + "__old";
  }

  private static String literal(String text) {
    return "'" + text.replace("'", "''") + "'";
  }

  /** CREATE TABLE with the PostgreSQL type of each Spark column. */
  static String createTable(String name, StructType schema) {
    List<String> cols = new ArrayList<>();
    for (StructField f : schema.fields()) {
      cols.add(f.name() + " " + pgType(f.name(), f.dataType()));
    }
    return "CREATE TABLE " + name + " (" + String.join(", ", cols) + ")";
  }

  static String pgType(String column, DataType t) {
    if (t.equals(DataTypes.StringType)) {
      return "text";
    } else if (t.equals(DataTypes.IntegerType)) {
      return "integer";
    } else if (t.equals(DataTypes.LongType)) {
      return "bigint";
    } else if (t.equals(DataTypes.DoubleType)) {
      return "double precision";
    } else if (t.equals(DataTypes.BooleanType)) {
      return "boolean";
    } else if (t.equals(DataTypes.DateType)) {
      return "date";
    } else if (t.equals(DataTypes.TimestampType)) {
      return "timestamptz";
    } else if (t instanceof DecimalType d) {
      return "numeric(" + d.precision() + ", " + d.scale() + ")";
    } else if (t instanceof ArrayType a && !(a.elementType() instanceof ArrayType)) {
      return pgType(column, a.elementType()) + "[]";
    }
    throw new IllegalArgumentException(
        "column " + column + " has type " + t.simpleString() + ", which the serving db lacks");
  }

  /** Runs on the executors: one connection and one transaction per partition. */
  static final class PartitionLoader implements ForeachPartitionFunction<Row> {
    private final Target target;
    private final String table;
    private final StructType schema;
    private final Method method;
    private final int batchSize;
    private final LongAccumulator sent;

    PartitionLoader(
        Target target,
        String table,
        StructType schema,
        Method method,
        int batchSize,
        LongAccumulator sent) {
      this.target = target;
      this.table = table;
      this.schema = schema;
      this.method = method;
      this.batchSize = batchSize;
      this.sent = sent;
    }

    @Override
    public void call(Iterator<Row> rows) throws Exception {
      if (!rows.hasNext()) {
        return;
      }
      try (Connection c = target.connect()) {
        c.setAutoCommit(false);
        long n = method == Method.COPY ? copy(c, rows) : insert(c, rows);
        c.commit();
        sent.add(n);
      }
    }

    private long copy(Connection c, Iterator<Row> rows) throws SQLException {
      String sql =
          "COPY "
              + table
              + " ("
              + String.join(", ", schema.fieldNames())
              + ") FROM STDIN WITH (FORMAT csv)";
      CopyIn in = c.unwrap(PGConnection.class).getCopyAPI().copyIn(sql);
      long n = 0;
      StringBuilder chunk = new StringBuilder(1 << 16);
      try {
        while (rows.hasNext()) {
          csvLine(rows.next(), schema, chunk);
          if (++n % batchSize == 0) {
            byte[] b = chunk.toString().getBytes(StandardCharsets.UTF_8);
            in.writeToCopy(b, 0, b.length);
            chunk.setLength(0);
          }
        }
        byte[] b = chunk.toString().getBytes(StandardCharsets.UTF_8);
        in.writeToCopy(b, 0, b.length);
        in.endCopy();
      } finally {
        if (in.isActive()) {
          in.cancelCopy();
        }
      }
      return n;
    }

    private long insert(Connection c, Iterator<Row> rows) throws SQLException {
      String[] names = schema.fieldNames();
      String sql =
          "INSERT INTO "
              + table
              + " ("
              + String.join(", ", names)
              + ") VALUES ("
              + String.join(", ", java.util.Collections.nCopies(names.length, "?"))
              + ")";
      long n = 0;
      try (PreparedStatement ps = c.prepareStatement(sql)) {
        while (rows.hasNext()) {
          Row r = rows.next();
          for (int i = 0; i < names.length; i++) {
            ps.setObject(i + 1, jdbcValue(c, r, i, schema.fields()[i].dataType()));
          }
          ps.addBatch();
          if (++n % batchSize == 0) {
            ps.executeBatch();
          }
        }
        ps.executeBatch();
      }
      return n;
    }

    private static Object jdbcValue(Connection c, Row r, int i, DataType t) throws SQLException {
      if (r.isNullAt(i)) {
        return null;
      }
      if (t instanceof ArrayType a) {
        List<Object> list = r.getList(i);
        return c.createArrayOf(
            pgType("", a.elementType()).replace("double precision", "float8"), list.toArray());
      }
      if (t.equals(DataTypes.TimestampType)) {
        return r.getTimestamp(i).toInstant().atOffset(java.time.ZoneOffset.UTC);
      }
      return r.get(i);
    }
  }

  /** Appends one row as a CSV line (COPY's csv format: null = unquoted empty field). */
  static void csvLine(Row r, StructType schema, StringBuilder out) {
    for (int i = 0; i < schema.size(); i++) {
      if (i > 0) {
        out.append(',');
      }
      if (r.isNullAt(i)) {
        continue;
      }
      DataType t = schema.fields()[i].dataType();
      String v;
      if (t instanceof ArrayType) {
        StringBuilder a = new StringBuilder("{");
        List<Object> list = r.getList(i);
        for (int j = 0; j < list.size(); j++) {
          if (j > 0) {
            a.append(',');
          }
          Object e = list.get(j);
          if (e == null) {
            a.append("NULL");
          } else {
            a.append('"')
                .append(String.valueOf(e).replace("\\", "\\\\").replace("\"", "\\\""))
                .append('"');
          }
        }
        v = a.append('}').toString();
      } else if (t.equals(DataTypes.TimestampType)) {
        v = r.getTimestamp(i).toInstant().toString();
      } else if (t.equals(DataTypes.DoubleType)) {
        double d = r.getDouble(i);
        v =
            Double.isNaN(d)
                ? "NaN"
                : Double.isInfinite(d) ? (d > 0 ? "Infinity" : "-Infinity") : Double.toString(d);
      } else {
        v = String.valueOf(r.get(i));
      }
      out.append('"').append(v.replace("\"", "\"\"")).append('"');
    }
    out.append('\n');
  }

  /** The method's name as the report prints it. */
  static String describe(Method m) {
    return m.name().toLowerCase(Locale.ROOT);
  }
}
