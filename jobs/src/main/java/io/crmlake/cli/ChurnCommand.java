package io.crmlake.cli;

import io.crmlake.churn.ChurnJob.Mode;
import picocli.CommandLine.Command;

@Command(
    name = "churn",
    mixinStandardHelpOptions = true,
    subcommands = {ChurnCommand.Train.class, ChurnCommand.Score.class},
    description = {
      "Churn classification: train on point-in-time features at monthly cutoffs, then score.",
      "Without a subcommand it scores, training first when churn.retrain-after-days says the",
      "model is due (or churn.retrain-now, or no model yet). Writes gold.churn_model_metrics (every",
      "candidate and baseline on the holdout), gold.churn_feature_importance, gold.churn_scores",
      "(calibrated probability, risk band, reasons, lifecycle stage) and the model under",
      "<lake>/models/churn/. Settings: churn.* (horizon-days, lookback-days, cutoffs,",
      "candidates, grid, risk-bands, score.as-of, score.model-version, lifecycle)."
    })
final class ChurnCommand extends ChurnCommandBase {
  @Override
  Mode mode() {
    return Mode.AUTO;
  }

  @Command(
      name = "train",
      mixinStandardHelpOptions = true,
      description = "Train, evaluate, calibrate and save a churn model (no scores).")
  static final class Train extends ChurnCommandBase {
    @Override
    Mode mode() {
      return Mode.TRAIN;
    }
  }

  @Command(
      name = "score",
      mixinStandardHelpOptions = true,
      description = {
        "Score customers with a saved churn model: the latest, or churn.score.model-version.",
        "Refuses (exit 2) a model trained on other features."
      })
  static final class Score extends ChurnCommandBase {
    @Override
    Mode mode() {
      return Mode.SCORE;
    }
  }
}
