package io.crmlake.publish;

import static org.apache.spark.sql.functions.array_join;
import static org.apache.spark.sql.functions.col;
import static org.apache.spark.sql.functions.lit;

import io.crmlake.baskets.BasketsTables;
import io.crmlake.common.config.ConfigError;
import io.crmlake.common.config.LakePaths;
import io.crmlake.common.lake.Lake;
import io.crmlake.common.lake.Table;
import io.crmlake.common.run.Job;
import io.crmlake.common.run.Outputs;
import io.crmlake.common.run.RunContext;
import io.crmlake.ingest.IngestTables;
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
 * <p>Phases: inputs ({@link PublishInputs}) → customer scores ({@link CustomerScores}) → history
 * and migration → segment summary ({@link Summaries}) → action lists ({@link ActionLists}); after
 * the writes: merge report → serving database → export.
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
    ctx.phase("inputs");
    PublishInputs in = PublishInputs.read(ctx.lake(), settings.asOf(), settings.allowMissing());
    ctx.phase("customer scores");
    Scored scored = customerScores(ctx, in);
    ctx.phase("history and migration");
    History history = historyAndMigration(ctx, scored, in.asOf());
    ctx.phase("segment summary");
    Dataset<Row> summary = Summaries.segmentSummary(scored.wide(), in.asOf());
    ctx.phase("action lists");
    Lists lists = actionLists(ctx, scored.wide(), in.asOf());
    return outputs(ctx, new Published(in, scored, history, summary, lists));
  }

  /**
   * The customers in scope, assembled and cached.
   *
   * @param wide one row per customer in scope, every column of {@link CustomerScores#assemble}
   * @param scores their gold.customer_scores rows, stamped with this run
   * @param stamps the stamp values, also set on the rows the merge flags
   * @param publishedAt the run's time: updated_at of the rows, published_at of the snapshot
   */
  record Scored(
      Dataset<Row> wide,
      Dataset<Row> scores,
      Map<String, Object> stamps,
      long customers,
      Timestamp publishedAt) {}

  /**
   * The snapshot for gold.customer_scores_history and the class moves since the previous one.
   *
   * @param previous the latest earlier snapshot, if any
   */
  record History(
      Dataset<Row> snapshot,
      Dataset<Row> migration,
      Optional<LocalDate> previous,
      long migrations) {}

  /** The three action lists, cached, and their sizes. */
  record Lists(
      Dataset<Row> retention,
      Dataset<Row> winback,
      Dataset<Row> crossSell,
      long retentionTargets,
      long winbackTargets,
      long crossSellTargets) {}

  /** What the phases before the writes produced: the rows to write and the result's figures. */
  record Published(
      PublishInputs inputs, Scored scored, History history, Dataset<Row> summary, Lists lists) {
    /** The result, with what the steps after the writes added so far. */
    PublishResult result(
        Optional<PublishResult.Merge> merge,
        Optional<PublishResult.Serving> serving,
        Optional<String> exportPath) {
      return new PublishResult(
          inputs.asOf(),
          inputs.churnAsOf(),
          inputs.clvEnd(),
          inputs.missingText(),
          scored.customers(),
          merge,
          history.previous(),
          history.migrations(),
          lists.retentionTargets(),
          lists.winbackTargets(),
          lists.crossSellTargets(),
          serving,
          exportPath);
    }
  }

  /** Assembles the customers in scope ({@code publish.scope-days}); fails when there are none. */
  private Scored customerScores(RunContext ctx, PublishInputs in) {
    Dataset<Row> wide =
        CustomerScores.assemble(
            in.segments(), in.features(), in.churn(), in.clv(), in.recommendations(), in.rules());
    if (settings.scopeDays() > 0) {
      wide = wide.where(col("recency_days").leq(settings.scopeDays()));
    }
    wide = ctx.persist(wide);
    long customers = wide.count();
    if (customers == 0) {
      throw new ConfigError(
          "no customer in scope as of "
              + in.asOf()
              + " (publish.scope-days = "
              + settings.scopeDays()
              + "): nothing to publish");
    }
    Timestamp now = new Timestamp(ctx.startedAt().toEpochMilli());
    Map<String, Object> stamps = new LinkedHashMap<>();
    stamps.put("as_of_date", Date.valueOf(in.asOf()));
    stamps.put("run_id", ctx.runId());
    stamps.put("pipeline_run_id", ctx.pipelineRunId().orElse(null));
    stamps.put("updated_at", now);
    LOG.info("{} customers in scope", customers);
    return new Scored(wide, CustomerScores.withStamps(wide, stamps), stamps, customers, now);
  }

  /**
   * This run's snapshot, and the migrations from the latest snapshot before {@code asOf} (none on
   * the first publish).
   */
  private static History historyAndMigration(RunContext ctx, Scored scored, LocalDate asOf) {
    Lake lake = ctx.lake();
    Dataset<Row> snapshot =
        scored
            .scores()
            .drop("in_scope", "updated_at")
            .withColumn("published_at", lit(scored.publishedAt()));
    Optional<LocalDate> previous = Optional.empty();
    if (lake.exists(PublishTables.CUSTOMER_SCORES_HISTORY)) {
      Dataset<Row> past = lake.read(PublishTables.CUSTOMER_SCORES_HISTORY);
      previous =
          PublishInputs.latest(
              past.where(col("as_of_date").lt(Date.valueOf(asOf))), "as_of_date", Optional.empty());
    }
    Dataset<Row> migration;
    if (previous.isPresent()) {
      Dataset<Row> before =
          lake.read(PublishTables.CUSTOMER_SCORES_HISTORY)
              .where(col("as_of_date").equalTo(Date.valueOf(previous.get())));
      migration = ctx.persist(Summaries.migration(before, previous.get(), scored.wide(), asOf));
    } else {
      migration = ctx.spark().createDataFrame(List.of(), PublishTables.SEGMENT_MIGRATION.schema());
    }
    long migrations = migration.count();
    LOG.info(
        "{} class moves since {}",
        migrations,
        previous.map(String::valueOf).orElse("(no earlier snapshot)"));
    return new History(snapshot, migration, previous, migrations);
  }

  /** The retention, win-back and cross-sell lists of the customers in scope, cached and counted. */
  private Lists actionLists(RunContext ctx, Dataset<Row> wide, LocalDate asOf) {
    Dataset<Row> retention = ctx.persist(ActionLists.retention(wide, settings.retention(), asOf));
    Dataset<Row> winback = ctx.persist(ActionLists.winback(wide, settings.winback(), asOf));
    Dataset<Row> crossSell =
        ctx.persist(
            ActionLists.crossSell(
                wide, settings.crossSellMinScore(), settings.winback().minRecencyDays(), asOf));
    Lists lists =
        new Lists(
            retention, winback, crossSell, retention.count(), winback.count(), crossSell.count());
    LOG.info(
        "action lists: retention {}, win-back {}, cross-sell {}",
        lists.retentionTargets(),
        lists.winbackTargets(),
        lists.crossSellTargets());
    return lists;
  }

  /**
   * The tables to write, and the steps after the writes: the merge report, the serving database
   * (publish.serving.enabled) and the export (publish.export.path), each adding its part to the
   * result.
   */
  private Outputs<PublishResult> outputs(RunContext ctx, Published p) {
    LocalDate asOf = p.inputs().asOf();
    Outputs.Builder<PublishResult> out =
        Outputs.of(p.result(Optional.empty(), Optional.empty(), Optional.empty()))
            .merge(PublishTables.CUSTOMER_SCORES, p.scored().stamps(), p.scored().scores())
            .replace(PublishTables.CUSTOMER_SCORES_HISTORY, asOf, p.history().snapshot())
            .replace(PublishTables.SEGMENT_MIGRATION, asOf, p.history().migration())
            .replace(PublishTables.SEGMENT_SUMMARY, asOf, p.summary())
            .write(PublishTables.RETENTION_TARGETS, p.lists().retention())
            .write(PublishTables.WINBACK_TARGETS, p.lists().winback())
            .write(PublishTables.CROSS_SELL_TARGETS, p.lists().crossSell())
            .after(
                "merge report",
                r ->
                    p.result(
                        Optional.of(mergeReport(ctx.lake(), p.scored().customers(), ctx.runId())),
                        r.serving(),
                        r.exportPath()));
    if (settings.serving().enabled()) {
      out.after(
          "serving database",
          r -> p.result(r.merge(), Optional.of(serve(ctx, asOf)), r.exportPath()));
    }
    settings
        .export()
        .ifPresent(
            e ->
                out.after(
                    "export",
                    r -> p.result(r.merge(), r.serving(), Optional.of(export(ctx, e, asOf)))));
    return out.build();
  }

  /** Delta's MERGE metrics of this run's commit to customer_scores (all inserted on creation). */
  private static PublishResult.Merge mergeReport(Lake lake, long customers, String runId) {
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
    PublishResult.Merge merge;
    if ("MERGE".equals(m.get("operation"))) {
      long inserted = metric(m, "numTargetRowsInserted");
      long updated = metric(m, "numTargetRowsMatchedUpdated");
      long flagged = metric(m, "numTargetRowsNotMatchedBySourceUpdated");
      long source = metric(m, "numSourceRows");
      merge =
          new PublishResult.Merge(inserted, updated, flagged, source - inserted - updated, version);
    } else {
      merge = new PublishResult.Merge(customers, 0, 0, 0, version);
    }
    LOG.info(
        "gold.customer_scores version {}: {} inserted, {} updated, {} flagged out of scope, {}"
            + " unchanged",
        version,
        merge.inserted(),
        merge.updated(),
        merge.flagged(),
        merge.unchanged());
    return merge;
  }

  private static long metric(Map<String, String> m, String key) {
    String v = m.get(key);
    if (v == null) {
      throw new IllegalStateException("Delta recorded no " + key + " for the MERGE: " + m);
    }
    return Long.parseLong(v);
  }

  /** Loads the serving database from the committed tables. */
  private PublishResult.Serving serve(RunContext ctx, LocalDate asOf) {
    PublishSettings.Serving s = settings.serving();
    String url = s.url().orElseGet(() -> embedded(s).jdbcUrl());
    ServingDb.Target target =
        new ServingDb.Target(
            url, s.user(), new ServingDb.Secret(settings.password(env).orElse(null)), s.schema());
    List<ServingDb.Load> loads = servedTables(ctx.lake(), asOf);
    long t0 = System.nanoTime();
    List<ServingDb.Loaded> loaded =
        ServingDb.load(
            target,
            loads,
            new ServingDb.Options(
                s.method(),
                s.batchSize(),
                ctx.version().substring(ctx.version().lastIndexOf('-') + 1),
                "crmlake publish " + ctx.runId() + ", as of " + asOf));
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
    return new PublishResult.Serving(
        rows, ServingDb.describe(s.method()), ms, ms == 0 ? 0 : rows * 1000.0 / ms, tables);
  }

  /**
   * The served tables: customer_scores, the as-of date's segment summary, the action lists, and the
   * rules and recommendations when they exist.
   */
  private static List<ServingDb.Load> servedTables(Lake lake, LocalDate asOf) {
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
    return loads;
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
}
