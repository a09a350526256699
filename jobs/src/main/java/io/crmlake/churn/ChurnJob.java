package io.crmlake.churn;

import io.crmlake.churn.ChurnModelRecords.Trained;
import io.crmlake.churn.ChurnScoring.Scored;
import io.crmlake.common.config.ConfigError;
import io.crmlake.common.lake.Lake;
import io.crmlake.common.lake.Table;
import io.crmlake.common.run.Job;
import io.crmlake.common.run.ModelRefresh;
import io.crmlake.common.run.Outputs;
import io.crmlake.common.run.RunContext;
import io.crmlake.ingest.IngestTables;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Churn classification: {@code silver.customer_days} → {@code gold.churn_model_metrics}, {@code
 * gold.churn_feature_importance}, {@code gold.churn_scores}, and a model under {@code
 * <lake>/models/churn/<version>}.
 *
 * <p>Run with {@code bin/crmlake churn} (train, then score), {@code churn train} or {@code churn
 * score}. The phases, each in a class of its own:
 *
 * <ol>
 *   <li>"training set" ({@link ChurnTrainingSet}): customers (about {@code
 *       churn.training-customers} at most, a fixed sample) labelled at monthly cutoffs ({@link
 *       Cutoffs}) with point-in-time features ({@link ChurnFeatures}, a BG/NBD fit per cutoff on
 *       the data before it); no feature row may use a line on or after its cutoff;
 *   <li>"model selection" ({@link ChurnModelSelection}, where the model is chosen): logistic
 *       regression, random forest and gradient-boosted trees, each grid searched on the training
 *       cutoffs and refitted on all of them;
 *   <li>"calibration and evaluation" ({@link ChurnHoldout}): each candidate and two baselines
 *       calibrated (isotonic) on half of the latest cutoff's customers and measured on the holdout;
 *       the best holdout PR AUC scores ({@link ChurnModelSelection#chooseByHoldoutPrAuc}); its card
 *       and the metric and importance rows ({@link ChurnModelRecords});
 *   <li>"scoring" ({@link ChurnScoring}): every customer active as of a date, with a calibrated
 *       probability, risk band, decile, reasons ({@link ChurnReasons}) and lifecycle stage ({@link
 *       Lifecycle});
 * </ol>
 *
 * then the runner stores the model ("store churn model ...", {@link ChurnRegistry}) and writes the
 * tables. Settings that matter: {@code churn.horizon-days}, {@code lookback-days}, {@code cutoffs},
 * {@code candidates}, {@code grid}, {@code training-customers}, {@code risk-bands}, {@code
 * score.*}, {@code lifecycle.*}.
 */
public final class ChurnJob implements Job<ChurnResult> {
  private static final Logger LOG = LoggerFactory.getLogger(ChurnJob.class);

  /** What a run does: AUTO trains and scores, or only scores, as the refresh policy decides. */
  public enum Mode {
    TRAIN,
    SCORE,
    BOTH,
    AUTO
  }

  private final ChurnSettings settings;
  private final Mode mode;

  public ChurnJob(ChurnSettings settings, Mode mode) {
    this.settings = settings;
    this.mode = mode;
  }

  @Override
  public String name() {
    return "churn";
  }

  @Override
  public List<Table> outputs() {
    return ChurnTables.ALL;
  }

  @Override
  public Optional<Table> mainInput() {
    return Optional.of(IngestTables.TRANSACTIONS);
  }

  @Override
  public Outputs<ChurnResult> compute(RunContext ctx) {
    ctx.phase("training set");
    ChurnHistory history = ChurnHistory.read(ctx);
    Optional<ModelRefresh.Decision> refresh =
        mode == Mode.AUTO ? Optional.of(refresh(ctx)) : Optional.empty();
    Mode mode = refresh.map(d -> d.train() ? Mode.BOTH : Mode.SCORE).orElse(this.mode);
    Optional<Trained> trained = Optional.empty();
    if (mode != Mode.SCORE) {
      ChurnTrainingSet set = ChurnTrainingSet.build(ctx, settings, history);
      ctx.phase("model selection");
      ChurnModelSelection.Selection selection = ChurnModelSelection.select(ctx, settings, set);
      ctx.phase("calibration and evaluation");
      ChurnHoldout holdout =
          ChurnHoldout.evaluate(ctx, settings.seed(), set.holdout(), selection.candidates());
      ChurnHoldout.Evaluated chosen = ChurnModelSelection.chooseByHoldoutPrAuc(holdout);
      trained =
          Optional.of(
              ChurnModelRecords.of(
                  ctx.version(), settings, set, selection.trainSet(), holdout, chosen));
    }
    Optional<String> reused = refresh.flatMap(ModelRefresh.Decision::model);
    ChurnRegistry.Saved model =
        trained
            .map(Trained::saved)
            .orElseGet(() -> saved(ctx.lake(), reused.or(settings::modelVersion)));
    Optional<Scored> scored = Optional.empty();
    if (mode != Mode.TRAIN) {
      ctx.phase("scoring");
      scored = Optional.of(ChurnScoring.run(ctx, settings, history, model));
    }
    return outputs(ctx.lake(), mode, model, trained, scored, refresh);
  }

  /**
   * The refresh policy's decision ({@code churn.retrain-after-days}, {@code retrain-now}, {@code
   * score.model-version}); a model that cannot score (other feature definitions) is retrained.
   */
  private ModelRefresh.Decision refresh(RunContext ctx) {
    Optional<String> pinned = settings.modelVersion();
    ModelRefresh.Decision d =
        settings
            .refresh()
            .decide(
                pinned.isPresent() ? Optional.empty() : ChurnRegistry.newestCommitted(ctx.lake()),
                pinned,
                ctx.startedAt());
    if (!d.train() && pinned.isEmpty()) {
      try {
        ChurnRegistry.checkCard(ctx.lake(), d.model().orElseThrow());
      } catch (ConfigError unusable) {
        d = d.train("model " + d.model().orElseThrow() + " cannot score: " + unusable.getMessage());
      }
    }
    LOG.info("{}", d.describe());
    return d;
  }

  /** The saved model a score-only run uses: {@code version}, or the newest committed. */
  private ChurnRegistry.Saved saved(Lake lake, Optional<String> version) {
    ChurnRegistry.Saved model = ChurnRegistry.load(lake, version);
    LOG.info(
        "scoring with saved model {} ({}, holdout PR AUC {})",
        model.card().modelVersion(),
        model.card().candidate(),
        model.card().metrics().get("pr_auc"));
    return model;
  }

  /** The result, the model to store (trained runs) and the tables' rows. */
  private Outputs<ChurnResult> outputs(
      Lake lake,
      Mode mode,
      ChurnRegistry.Saved model,
      Optional<Trained> trained,
      Optional<Scored> scored,
      Optional<ModelRefresh.Decision> refresh) {
    ChurnResult result =
        new ChurnResult(
            mode.name().toLowerCase(Locale.ROOT),
            model.card().modelVersion(),
            model.card().candidate(),
            trained.map(Trained::summary),
            scored.map(Scored::summary),
            refresh);
    Outputs.Builder<ChurnResult> out = Outputs.of(result);
    trained.ifPresent(
        t ->
            out.artifact(
                    "churn model " + model.card().modelVersion(),
                    () -> ChurnRegistry.save(lake, model.card(), model.pipeline()))
                .write(
                    ChurnTables.CHURN_MODEL_METRICS,
                    lake.spark()
                        .createDataFrame(t.metricRows(), ChurnTables.CHURN_MODEL_METRICS.schema()))
                .write(
                    ChurnTables.CHURN_FEATURE_IMPORTANCE,
                    lake.spark()
                        .createDataFrame(
                            t.importanceRows(), ChurnTables.CHURN_FEATURE_IMPORTANCE.schema())));
    scored.ifPresent(
        s ->
            out.replace(
                ChurnTables.CHURN_SCORES, java.sql.Date.valueOf(s.summary().asOfDate()), s.rows()));
    return out.build();
  }
}
