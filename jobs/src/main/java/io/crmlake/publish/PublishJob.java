package io.crmlake.publish;

import static org.apache.spark.sql.functions.array_join;
import static org.apache.spark.sql.functions.col;
import static org.apache.spark.sql.functions.lit;
import static org.apache.spark.sql.functions.max;

import io.crmlake.baskets.BasketsTables;
import io.crmlake.churn.ChurnTables;
import io.crmlake.clv.ClvTables;
import io.crmlake.common.config.ConfigError;
import io.crmlake.common.config.LakePaths;
import io.crmlake.common.lake.Lake;
import io.crmlake.common.lake.Table;
import io.crmlake.common.run.Job;
import io.crmlake.common.run.Outputs;
import io.crmlake.common.run.RunContext;
import io.crmlake.ingest.IngestTables;
import io.crmlake.segments.SegmentsTables;
import java.io.IOException;
import java.sql.Date;
import java.sql.Timestamp;
import java.time.LocalDate;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.stream.Collectors;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;
import org.apache.spark.sql.Column;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.types.ArrayType;
import org.apache.spark.sql.types.StructField;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Publishes one scored, documented row per customer for the CRM: {@code gold.customer_scores}
 * (Delta MERGE on customer id: changed rows updated, new customers inserted, customers out of scope
 * flagged), its per-as-of snapshot {@code gold.customer_scores_history}, {@code
 * gold.segment_migration}, {@code gold.segment_summary} and the action lists {@code
 * gold.retention_targets}, {@code gold.winback_targets} and {@code gold.cross_sell_targets}; then
 * loads the PostgreSQL serving database ({@link ServingDb}) and writes the export, if asked.
 *
 * <p>Run with {@code bin/crmlake publish [--allow-missing] [--export PATH]}. Settings that matter:
 * {@code publish.as-of}, {@code scope-days}, the list thresholds {@code retention.*}, {@code
 * winback.*}, {@code cross-sell.min-score}, and {@code publish.serving.*} (URL, user, the
 * environment variable with the password, schema, copy or insert).
 */
public final class PublishJob implements Job<PublishResult> {
  private static final Logger LOG = LoggerFactory.getLogger(PublishJob.class);

  private final PublishSettings settings;
  private final Map<String, String> env;

  /**
   * @param env the environment the serving database's password is read from (System.getenv())
   */
  public PublishJob(PublishSettings settings, Map<String, String> env) {
    this.settings = settings;
    this.env = env;
  }

  @Override
  public String name() {
    return "publish";
  }

  @Override
  public List<Table> outputs() {
    return PublishTables.ALL;
  }

  @Override
  public Optional<Table> mainInput() {
    return Optional.of(IngestTables.TRANSACTIONS);
  }

  @Override
  public Outputs<PublishResult> compute(RunContext ctx) {
    Lake lake = ctx.lake();
    ctx.phase("inputs");
    Dataset<Row> allSegments = lake.read(SegmentsTables.CUSTOMER_SEGMENTS);
    LocalDate asOf =
        settings
            .asOf()
            .orElseGet(
                () ->
                    latest(allSegments, "as_of_date", Optional.empty())
                        .orElseThrow(
                            () ->
                                new ConfigError(
                                    "gold.customer_segments is empty: run `bin/crmlake"
                                        + " segments` first")));
    Dataset<Row> segments = allSegments.where(col("as_of_date").equalTo(Date.valueOf(asOf)));
    Dataset<Row> features =
        lake.read(SegmentsTables.CUSTOMER_FEATURES)
            .where(col("as_of_date").equalTo(Date.valueOf(asOf)));
    List<String> missing = new ArrayList<>();
    Optional<LocalDate> churnAsOf = Optional.empty();
    Optional<Dataset<Row>> churn = input(lake, ChurnTables.CHURN_SCORES, missing);
    if (churn.isPresent()) {
      churnAsOf = latestAtMost(churn.get(), "as_of_date", asOf);
      LocalDate d = churnAsOf.orElse(LocalDate.MIN);
      churn = churn.map(c -> c.where(col("as_of_date").equalTo(Date.valueOf(d))));
    }
    Optional<LocalDate> clvEnd = Optional.empty();
    Optional<Dataset<Row>> clv = input(lake, ClvTables.CLV, missing);
    if (clv.isPresent()) {
      clvEnd = latestAtMost(clv.get(), "observation_end", asOf.minusDays(1));
      LocalDate d = clvEnd.orElse(LocalDate.MIN);
      clv = clv.map(c -> c.where(col("observation_end").equalTo(Date.valueOf(d))));
    }
    Optional<Dataset<Row>> recommendations =
        input(lake, BasketsTables.PRODUCT_RECOMMENDATIONS, missing);
    Optional<Dataset<Row>> rules = input(lake, BasketsTables.ASSOCIATION_RULES, missing);
    LOG.info(
        "publishing as of {}: churn scores as of {}, CLV to {}{}",
        asOf,
        churnAsOf.map(String::valueOf).orElse("(none)"),
        clvEnd.map(String::valueOf).orElse("(none)"),
        missing.isEmpty() ? "" : "; missing (columns left empty): " + missing);

    ctx.phase("customer scores");
    Dataset<Row> wide =
        CustomerScores.assemble(segments, features, churn, clv, recommendations, rules);
    if (settings.scopeDays() > 0) {
      wide = wide.where(col("recency_days").leq(settings.scopeDays()));
    }
    wide = ctx.persist(wide);
    long customers = wide.count();
    if (customers == 0) {
      throw new ConfigError(
          "no customer in scope as of "
              + asOf
              + " (publish.scope-days = "
              + settings.scopeDays()
              + "): nothing to publish");
    }
    Timestamp now = new Timestamp(ctx.startedAt().toEpochMilli());
    String pipelineRun = ctx.pipelineRunId().orElse(null);
    Map<String, Object> stamps = new LinkedHashMap<>();
    stamps.put("as_of_date", Date.valueOf(asOf));
    stamps.put("run_id", ctx.runId());
    stamps.put("pipeline_run_id", pipelineRun);
    stamps.put("updated_at", now);
    List<Column> scoreCols = new ArrayList<>();
    for (String c : CustomerScores.COLUMNS) {
      scoreCols.add(col(c));
    }
    scoreCols.add(lit(true).as("in_scope"));
    stamps.forEach(
        (k, v) ->
            scoreCols.add((v == null ? lit(null).cast(CustomerScores.typeOf(k)) : lit(v)).as(k)));
    Dataset<Row> scores = wide.select(scoreCols.toArray(new Column[0]));

    ctx.phase("history and migration");
    Dataset<Row> history =
        scores.drop("in_scope", "updated_at").withColumn("published_at", lit(now));
    Optional<LocalDate> previous = Optional.empty();
    Dataset<Row> migration;
    if (lake.exists(PublishTables.CUSTOMER_SCORES_HISTORY)) {
      Dataset<Row> past = lake.read(PublishTables.CUSTOMER_SCORES_HISTORY);
      previous =
          latest(
              past.where(col("as_of_date").lt(Date.valueOf(asOf))), "as_of_date", Optional.empty());
    }
    if (previous.isPresent()) {
      Dataset<Row> before =
          lake.read(PublishTables.CUSTOMER_SCORES_HISTORY)
              .where(col("as_of_date").equalTo(Date.valueOf(previous.get())));
      migration = ctx.persist(Summaries.migration(before, previous.get(), wide, asOf));
    } else {
      migration = ctx.spark().createDataFrame(List.of(), PublishTables.SEGMENT_MIGRATION.schema());
    }
    long migrations = migration.count();

    ctx.phase("segment summary");
    Dataset<Row> summary = Summaries.segmentSummary(wide, asOf);

    ctx.phase("action lists");
    Dataset<Row> retention = ctx.persist(ActionLists.retention(wide, settings.retention(), asOf));
    Dataset<Row> winback = ctx.persist(ActionLists.winback(wide, settings.winback(), asOf));
    Dataset<Row> crossSell =
        ctx.persist(
            ActionLists.crossSell(
                wide, settings.crossSellMinScore(), settings.winback().minRecencyDays(), asOf));
    PublishResult result =
        new PublishResult(
            asOf,
            churnAsOf,
            clvEnd,
            String.join("; ", missing),
            customers,
            0,
            0,
            0,
            0,
            -1,
            previous,
            migrations,
            retention.count(),
            winback.count(),
            crossSell.count(),
            0,
            "",
            0,
            0,
            "",
            "");
    LOG.info(
        "{} customers in scope; {} class moves since {}; lists: retention {}, win-back {},"
            + " cross-sell {}",
        customers,
        migrations,
        previous.map(String::valueOf).orElse("(no earlier snapshot)"),
        result.retentionTargets(),
        result.winbackTargets(),
        result.crossSellTargets());

    Outputs.Builder<PublishResult> out =
        Outputs.of(result)
            .merge(PublishTables.CUSTOMER_SCORES, stamps, scores)
            .replace(PublishTables.CUSTOMER_SCORES_HISTORY, asOf, history)
            .replace(PublishTables.SEGMENT_MIGRATION, asOf, migration)
            .replace(PublishTables.SEGMENT_SUMMARY, asOf, summary)
            .write(PublishTables.RETENTION_TARGETS, retention)
            .write(PublishTables.WINBACK_TARGETS, winback)
            .write(PublishTables.CROSS_SELL_TARGETS, crossSell)
            .after("merge report", r -> mergeReport(lake, r, customers, ctx.runId()));
    if (settings.serving().enabled()) {
      out.after("serving database", r -> serve(ctx, r, asOf));
    }
    settings.export().ifPresent(e -> out.after("export", r -> r.withExport(export(ctx, e, asOf))));
    return out.build();
  }

  /** Delta's MERGE metrics of this run's commit to customer_scores (all inserted on creation). */
  private static PublishResult mergeReport(
      Lake lake, PublishResult r, long customers, String runId) {
    Map<String, String> m =
        lake.lastCommitMetrics(PublishTables.CUSTOMER_SCORES, "MERGE", "CREATE TABLE AS SELECT");
    if (!runId.equals(m.get("userMetadata"))) {
      throw new IllegalStateException(
          "the newest merge of gold.customer_scores is not this run's ("
              + runId
              + "): "
              + m.get("userMetadata")
              + " wrote it; was another publish running?");
    }
    long version = Long.parseLong(m.getOrDefault("version", "-1"));
    PublishResult out;
    if ("MERGE".equals(m.get("operation"))) {
      long inserted = metric(m, "numTargetRowsInserted");
      long updated = metric(m, "numTargetRowsMatchedUpdated");
      long flagged = metric(m, "numTargetRowsNotMatchedBySourceUpdated");
      long source = metric(m, "numSourceRows");
      out = r.withMerge(inserted, updated, flagged, source - inserted - updated, version);
    } else {
      out = r.withMerge(customers, 0, 0, 0, version);
    }
    LOG.info(
        "gold.customer_scores version {}: {} inserted, {} updated, {} flagged out of scope, {}"
            + " unchanged",
        version,
        out.mergeInserted(),
        out.mergeUpdated(),
        out.mergeFlagged(),
        out.mergeUnchanged());
    return out;
  }

  private static long metric(Map<String, String> m, String key) {
    String v = m.get(key);
    if (v == null) {
      throw new IllegalStateException("Delta recorded no " + key + " for the MERGE: " + m);
    }
    return Long.parseLong(v);
  }

  /** Loads the serving database from the committed tables. */
  private PublishResult serve(RunContext ctx, PublishResult r, LocalDate asOf) {
    Lake lake = ctx.lake();
    PublishSettings.Serving s = settings.serving();
    String url = s.url().orElseGet(() -> embedded(s).jdbcUrl());
    ServingDb.Target target =
        new ServingDb.Target(
            url, s.user(), new ServingDb.Secret(settings.password(env).orElse(null)), s.schema());
    List<ServingDb.Load> loads = new ArrayList<>();
    loads.add(
        load(
            lake.read(PublishTables.CUSTOMER_SCORES),
            PublishTables.CUSTOMER_SCORES,
            "customer_id"));
    loads.add(
        load(
            lake.read(PublishTables.SEGMENT_SUMMARY)
                .where(col("as_of_date").equalTo(Date.valueOf(asOf))),
            PublishTables.SEGMENT_SUMMARY,
            "dimension",
            "segment"));
    for (Table t :
        List.of(
            PublishTables.RETENTION_TARGETS,
            PublishTables.WINBACK_TARGETS,
            PublishTables.CROSS_SELL_TARGETS)) {
      loads.add(load(lake.read(t), t, "customer_id"));
    }
    if (lake.exists(BasketsTables.ASSOCIATION_RULES)) {
      loads.add(
          load(
              lake.read(BasketsTables.ASSOCIATION_RULES),
              BasketsTables.ASSOCIATION_RULES,
              "rule_id"));
    }
    if (lake.exists(BasketsTables.PRODUCT_RECOMMENDATIONS)) {
      loads.add(
          load(
              lake.read(BasketsTables.PRODUCT_RECOMMENDATIONS),
              BasketsTables.PRODUCT_RECOMMENDATIONS,
              "customer_id",
              "rank"));
    }
    long t0 = System.nanoTime();
    List<ServingDb.Loaded> loaded =
        ServingDb.load(
            target,
            loads,
            s.method(),
            s.batchSize(),
            ctx.version().substring(ctx.version().lastIndexOf('-') + 1),
            "crmlake publish " + ctx.runId() + ", as of " + asOf);
    long ms = (System.nanoTime() - t0) / 1_000_000;
    long rows = loaded.stream().mapToLong(ServingDb.Loaded::rows).sum();
    String tables =
        loaded.stream()
            .map(l -> s.schema() + "." + l.table() + " " + l.rows())
            .collect(Collectors.joining(", "));
    LOG.info(
        "serving database {} schema {}: {} rows in {} ms by {} ({})",
        url,
        s.schema(),
        rows,
        ms,
        s.method(),
        tables);
    return r.withServing(rows, ServingDb.describe(s.method()), ms, tables);
  }

  /** The embedded server, which only the local launcher ships (not the application jar). */
  private static EmbeddedServer.Running embedded(PublishSettings.Serving s) {
    try {
      Class.forName("io.zonky.test.db.postgres.embedded.EmbeddedPostgres");
    } catch (ClassNotFoundException e) {
      throw new ConfigError(
          "publish.serving.url is empty, but the embedded PostgreSQL server is not part of the"
              + " application jar (it is for bin/crmlake on one machine): set"
              + " publish.serving.url to your PostgreSQL server, or publish.serving.enabled=false");
    }
    return EmbeddedServer.ensureRunning(s.embeddedDir(), s.embeddedPort());
  }

  private static ServingDb.Load load(Dataset<Row> rows, Table table, String... key) {
    return new ServingDb.Load(table.name(), rows, List.of(key), List.of(), table);
  }

  /**
   * Writes the customers in scope to a new file set under the export path: first under a hidden
   * temporary name, then renamed, so a CRM import never picks up a half-written set.
   */
  private static String export(RunContext ctx, PublishSettings.Export e, LocalDate asOf) {
    Dataset<Row> rows = ctx.lake().read(PublishTables.CUSTOMER_SCORES).where(col("in_scope"));
    if (!e.columns().isEmpty()) {
      rows = rows.select(e.columns().stream().map(c -> col(c)).toArray(Column[]::new));
    }
    if (e.format() == PublishSettings.Format.CSV) {
      for (StructField f : rows.schema().fields()) {
        if (f.dataType() instanceof ArrayType) {
          rows = rows.withColumn(f.name(), array_join(col(f.name()), "|"));
        }
      }
    }
    String name = "customer_scores-" + asOf + "-" + ctx.version();
    Path dir = new Path(e.path());
    Path tmp = new Path(dir, "_tmp-" + name);
    Path target = new Path(dir, name);
    // One file for the importer; repartition keeps the read and the conversions parallel.
    var writer = rows.repartition(1).write().mode("overwrite");
    if (e.format() == PublishSettings.Format.CSV) {
      writer.option("header", "true").csv(tmp.toString());
    } else {
      writer.parquet(tmp.toString());
    }
    FileSystem fs =
        LakePaths.fileSystem(
            dir, ctx.spark().sparkContext().hadoopConfiguration(), "publish.export.path");
    try {
      if (!fs.rename(tmp, target)) {
        throw new IllegalStateException("cannot rename " + tmp + " to " + target);
      }
    } catch (IOException ex) {
      throw new IllegalStateException("cannot rename " + tmp + " to " + target + ": " + ex, ex);
    }
    LOG.info("export: {} ({})", target, e.format());
    return target.toString();
  }

  /** A table read, or empty when it is missing and missing inputs are allowed. */
  private Optional<Dataset<Row>> input(Lake lake, Table table, List<String> missing) {
    if (lake.exists(table) || !settings.allowMissing()) {
      return Optional.of(lake.read(table));
    }
    missing.add(table + " (run `bin/crmlake " + table.producer() + "`)");
    return Optional.empty();
  }

  /** The latest date at most {@code atMost}, else the earliest after it (with a warning). */
  private static Optional<LocalDate> latestAtMost(
      Dataset<Row> data, String column, LocalDate atMost) {
    Optional<LocalDate> d = latest(data, column, Optional.of(atMost));
    if (d.isEmpty()) {
      Row r = data.agg(org.apache.spark.sql.functions.min(column)).first();
      d = r.isNullAt(0) ? Optional.empty() : Optional.of(r.getDate(0).toLocalDate());
      d.ifPresent(
          x ->
              LOG.warn(
                  "no {} at or before {}: using {} (after the as-of date)", column, atMost, x));
    }
    return d;
  }

  /** The latest date in {@code column}, at most {@code atMost}; empty for no rows. */
  static Optional<LocalDate> latest(Dataset<Row> data, String column, Optional<LocalDate> atMost) {
    Dataset<Row> d = atMost.map(m -> data.where(col(column).leq(Date.valueOf(m)))).orElse(data);
    Row r = d.agg(max(column)).first();
    return r.isNullAt(0) ? Optional.empty() : Optional.of(r.getDate(0).toLocalDate());
  }
}
