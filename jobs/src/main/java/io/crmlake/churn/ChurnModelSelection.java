package io.crmlake.churn;

import static org.apache.spark.sql.functions.abs;
import static org.apache.spark.sql.functions.col;
import static org.apache.spark.sql.functions.lit;
import static org.apache.spark.sql.functions.xxhash64;

import io.crmlake.churn.ChurnHoldout.Evaluated;
import io.crmlake.churn.ChurnSettings.Candidate;
import io.crmlake.common.run.RunContext;
import io.crmlake.common.spark.Parallel;
import java.time.LocalDate;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import org.apache.spark.ml.PipelineModel;
import org.apache.spark.sql.Column;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Where churn's model is chosen, in three steps:
 *
 * <ol>
 *   <li>{@link #gridSearch}: per candidate ({@code churn.candidates}), every point of its grid
 *       ({@code churn.grid.*}) fitted on the earlier training cutoffs and scored by PR AUC on the
 *       latest training cutoff ({@link #gridSplit}); the best point per candidate;
 *   <li>{@link #refit}: each candidate's best point refitted on all training cutoffs;
 *   <li>{@link #chooseByHoldoutPrAuc}, once {@link ChurnHoldout} has measured every refit and
 *       baseline on the holdout cutoff: the candidate with the highest holdout PR AUC scores.
 * </ol>
 *
 * Steps 1 and 2 are the "model selection" phase ({@link #select}); the holdout cutoff takes no part
 * in them. Settings: {@code churn.candidates}, {@code grid.*}, {@code balance-classes}, {@code
 * parallelism} (fits side by side), {@code seed}.
 */
final class ChurnModelSelection {
  private static final Logger LOG = LoggerFactory.getLogger(ChurnModelSelection.class);

  private ChurnModelSelection() {}

  /**
   * A candidate's best grid point, refitted on all training cutoffs.
   *
   * @param gridPrAuc its PR AUC in the grid search
   */
  record Tuned(
      Candidate candidate, Map<String, Object> params, Double gridPrAuc, PipelineModel model) {
    Map<String, String> stringParams() {
      Map<String, String> out = new LinkedHashMap<>();
      params.forEach((k, v) -> out.put(k, String.valueOf(v)));
      return out;
    }
  }

  /**
   * What model selection hands on.
   *
   * @param trainSet the rows of all training cutoffs, weighted ({@link ChurnModels#weighted})
   * @param candidates each candidate tuned, in {@code churn.candidates} order
   */
  record Selection(Dataset<Row> trainSet, List<Tuned> candidates) {}

  /** The grid search's rows: fitted on, and validated on. */
  record GridSplit(Dataset<Row> fit, Dataset<Row> validation) {}

  /** A candidate's best grid point and its PR AUC. */
  record GridBest(Map<String, Object> params, double prAuc) {}

  /** The "model selection" phase: the grid search per candidate, then the refits. */
  static Selection select(RunContext ctx, ChurnSettings settings, ChurnTrainingSet set) {
    boolean balance = settings.balanceClasses();
    Dataset<Row> trainSet = ctx.persist(ChurnModels.weighted(set.training(), balance));
    GridSplit split = gridSplit(set.rows(), set.cutoffs(), settings.seed());
    GridSplit grid =
        new GridSplit(
            ctx.persist(ChurnModels.weighted(split.fit(), balance)),
            ctx.persist(split.validation()));
    List<Candidate> slowestFirst = slowestFirst(settings.candidates());
    Map<Candidate, GridBest> best = gridSearch(slowestFirst, grid, settings);
    Map<Candidate, PipelineModel> refits = refit(slowestFirst, best, trainSet, settings);
    List<Tuned> tuned = new ArrayList<>();
    for (Candidate c : settings.candidates()) {
      tuned.add(new Tuned(c, best.get(c).params(), best.get(c).prAuc(), refits.get(c)));
    }
    return new Selection(trainSet, tuned);
  }

  /**
   * The grid search's split, training cutoffs only: the earlier training cutoffs fit and the latest
   * validates; with a single training cutoff, a fifth of its customers (by id hash) validates.
   */
  static GridSplit gridSplit(Dataset<Row> rows, List<LocalDate> cutoffs, long seed) {
    if (cutoffs.size() >= 3) {
      java.sql.Date valid = java.sql.Date.valueOf(cutoffs.get(cutoffs.size() - 2));
      return new GridSplit(
          rows.where(col("cutoff").lt(lit(valid))), rows.where(col("cutoff").equalTo(lit(valid))));
    }
    Dataset<Row> only =
        rows.where(col("cutoff").equalTo(lit(java.sql.Date.valueOf(cutoffs.get(0)))));
    Column fifth = abs(xxhash64(col("customer_id"), lit(seed + 1)).mod(5)).equalTo(0);
    return new GridSplit(only.where(fifth.unary_$bang()), only.where(fifth));
  }

  /**
   * The candidates, slowest to fit first. Every grid point of every candidate is fitted side by
   * side ({@code churn.parallelism}), then the refits: the slowest learners start first (boosted
   * trees: a few Spark jobs per tree), so that the last fits to start are quick ones and no thread
   * ends up fitting alone while the others idle. Fits are independent: the order changes no model.
   */
  static List<Candidate> slowestFirst(List<Candidate> candidates) {
    return candidates.stream()
        .sorted(Comparator.comparingInt(Candidate::ordinal).reversed())
        .toList();
  }

  /**
   * Fits every grid point of every candidate on the grid's fit rows and measures its PR AUC on the
   * validation rows; per candidate, the first point with the highest PR AUC.
   */
  static Map<Candidate, GridBest> gridSearch(
      List<Candidate> slowestFirst, GridSplit grid, ChurnSettings settings) {
    List<Map.Entry<Candidate, Map<String, Object>>> points = new ArrayList<>();
    for (Candidate c : slowestFirst) {
      for (Map<String, Object> p : ChurnModels.grid(c, settings.grid())) {
        points.add(Map.entry(c, p));
      }
    }
    List<Double> prAucs =
        Parallel.map(
            points,
            settings.parallelism(),
            point -> {
              PipelineModel m =
                  ChurnModels.fit(point.getKey(), point.getValue(), grid.fit(), settings.seed());
              return ChurnEvaluation.ranking(
                      m.transform(grid.validation())
                          .withColumn(ChurnModels.SCORE, ChurnModels.score()),
                      ChurnModels.SCORE,
                      ChurnModels.LABEL)
                  .prAuc();
            });
    Map<Candidate, GridBest> best = new LinkedHashMap<>();
    for (int i = 0; i < points.size(); i++) {
      Candidate c = points.get(i).getKey();
      double prAuc = prAucs.get(i);
      LOG.debug("grid {} {}: PR AUC {}", c.id, points.get(i).getValue(), format(prAuc));
      if (prAuc > (best.containsKey(c) ? best.get(c).prAuc() : Double.NEGATIVE_INFINITY)) {
        best.put(c, new GridBest(points.get(i).getValue(), prAuc));
      }
    }
    best.forEach(
        (c, b) ->
            LOG.info(
                "grid {}: best of {} points {}, PR AUC {}",
                c.id,
                points.stream().filter(p -> p.getKey() == c).count(),
                b.params(),
                format(b.prAuc())));
    return best;
  }

  /** Each candidate's best grid point fitted on all training cutoffs, side by side. */
  static Map<Candidate, PipelineModel> refit(
      List<Candidate> slowestFirst,
      Map<Candidate, GridBest> best,
      Dataset<Row> trainSet,
      ChurnSettings settings) {
    List<PipelineModel> refits =
        Parallel.map(
            slowestFirst,
            settings.parallelism(),
            c -> ChurnModels.fit(c, best.get(c).params(), trainSet, settings.seed()));
    Map<Candidate, PipelineModel> fitted = new LinkedHashMap<>();
    for (int i = 0; i < slowestFirst.size(); i++) {
      fitted.put(slowestFirst.get(i), refits.get(i));
    }
    return fitted;
  }

  /**
   * The rule that picks the model that scores: of the candidates (never a baseline), the highest
   * holdout PR AUC; on a tie, the one listed first in {@code churn.candidates}.
   */
  static Evaluated chooseByHoldoutPrAuc(ChurnHoldout holdout) {
    Evaluated chosen = null;
    for (Evaluated e : holdout.evaluated()) {
      if (!e.baseline()
          && (chosen == null
              || Double.compare(e.ranking().prAuc(), chosen.ranking().prAuc()) > 0)) {
        chosen = e;
      }
    }
    if (chosen == null) {
      throw new IllegalStateException("no churn candidate was evaluated");
    }
    LOG.info("holdout {}; chose {}", holdout.summary(), chosen.candidate());
    return chosen;
  }

  private static String format(double prAuc) {
    return String.format(Locale.ROOT, "%.4f", prAuc);
  }
}
