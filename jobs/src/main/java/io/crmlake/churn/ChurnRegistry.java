package io.crmlake.churn;

import static org.apache.spark.sql.functions.col;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import io.crmlake.common.config.ConfigError;
import io.crmlake.common.config.LakePaths;
import io.crmlake.common.lake.Lake;
import io.crmlake.common.run.ModelRefresh;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.util.List;
import java.util.Map;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;
import org.apache.spark.ml.PipelineModel;

/**
 * The churn model registry under the lake: {@code <lake>/models/churn/<version>/pipeline} (the
 * calibrated Spark ML pipeline) and {@code model.json} ({@link Card}: features, training medians,
 * reason candidates, holdout metrics, cutoffs and the effective {@code churn} settings). A version
 * counts once its training run has committed {@code gold.churn_model_metrics} (written after the
 * model is saved), so a run that failed after saving is never "the latest".
 */
public final class ChurnRegistry {
  static final String MODELS = "models/churn";
  private static final ObjectMapper JSON =
      new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);

  private ChurnRegistry() {}

  /**
   * What a saved model needs besides its pipeline, and what it scored on the holdout.
   *
   * @param features the feature columns, in vector order
   * @param featureVersion {@link ChurnFeatures#VERSION} when trained (0: saved before versions)
   * @param medians training median of each feature (the reasons' reference point)
   * @param reasonFeatures indices of the features reasons are chosen among
   * @param metrics holdout figures: roc_auc, pr_auc, brier, log_loss, calibration_error
   * @param config the effective churn settings (HOCON)
   */
  public record Card(
      String modelVersion,
      String candidate,
      Map<String, String> params,
      List<String> features,
      int featureVersion,
      double[] medians,
      int[] reasonFeatures,
      Map<String, Double> metrics,
      List<String> trainCutoffs,
      String holdoutCutoff,
      int horizonDays,
      int lookbackDays,
      String timeUnit,
      String config) {}

  /** A loaded model. */
  public record Saved(Card card, PipelineModel pipeline) {}

  static String dir(Lake lake, String version) {
    return lake.root() + "/" + MODELS + "/" + version;
  }

  /** Saves the pipeline and its card. */
  static void save(Lake lake, Card card, PipelineModel pipeline) {
    String dir = dir(lake, card.modelVersion());
    try {
      pipeline.write().overwrite().save(dir + "/pipeline");
      Path p = new Path(dir + "/model.json");
      try (OutputStream out = fs(lake, p).create(p, true)) {
        JSON.writeValue(out, card);
      }
    } catch (IOException e) {
      throw new IllegalStateException("cannot save the churn model to " + dir + ": " + e, e);
    }
  }

  /**
   * Loads a version, or the newest committed one when empty; refuses (exit 2) a model missing or
   * trained on other features than this crmlake computes.
   */
  static Saved load(Lake lake, java.util.Optional<String> version) {
    String v = version.orElseGet(() -> newestCommitted(lake).orElseThrow(ChurnRegistry::noModel));
    Card card = checkCard(lake, v);
    PipelineModel pipeline = PipelineModel.load(dir(lake, v) + "/pipeline");
    List<String> trained = ChurnModels.featuresOf(pipeline);
    if (!trained.equals(ChurnFeatures.NAMES)) {
      throw otherFeatures(v, trained, card.featureVersion());
    }
    return new Saved(card, pipeline);
  }

  /**
   * The card of a saved model; refuses (exit 2) a model missing or whose card names other features
   * or feature definitions than this crmlake computes.
   */
  static Card checkCard(Lake lake, String v) {
    Path p = new Path(dir(lake, v) + "/model.json");
    Card card;
    try {
      FileSystem fs = fs(lake, p);
      if (!fs.exists(p)) {
        throw ConfigError.invalid(
            "churn.score.model-version",
            v,
            "must name a saved model under " + lake.root() + "/" + MODELS);
      }
      try (InputStream in = fs.open(p)) {
        card = JSON.readValue(in, Card.class);
      }
    } catch (IOException e) {
      throw new IllegalStateException("cannot read " + p + ": " + e, e);
    }
    if (!card.features().equals(ChurnFeatures.NAMES)
        || card.featureVersion() != ChurnFeatures.VERSION) {
      throw otherFeatures(v, card.features(), card.featureVersion());
    }
    return card;
  }

  private static ConfigError otherFeatures(String v, List<String> features, int version) {
    return new ConfigError(
        "churn model "
            + v
            + " was trained on the features "
            + features
            + " (definitions version "
            + version
            + "), but this version of crmlake computes "
            + ChurnFeatures.NAMES
            + " (definitions version "
            + ChurnFeatures.VERSION
            + ")"
            + ": train a new model with `bin/crmlake churn train`, or set"
            + " churn.score.model-version to a model trained on these features");
  }

  private static ConfigError noModel() {
    return new ConfigError(
        "no trained churn model exists yet: run `bin/crmlake churn train` first");
  }

  /**
   * The newest model whose training run succeeded: the chosen rows of gold.churn_model_metrics
   * (written after the model is saved) of succeeded churn runs ({@link ModelRefresh}).
   */
  static java.util.Optional<String> newestCommitted(Lake lake) {
    if (!lake.exists(ChurnTables.CHURN_MODEL_METRICS)) {
      return java.util.Optional.empty();
    }
    return ModelRefresh.newestCommitted(
        lake, "churn", lake.read(ChurnTables.CHURN_MODEL_METRICS).where(col("chosen")));
  }

  private static FileSystem fs(Lake lake, Path p) throws IOException {
    return LakePaths.fileSystem(p, lake.spark().sparkContext().hadoopConfiguration(), "lake.root");
  }
}
