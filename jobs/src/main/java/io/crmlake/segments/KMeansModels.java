package io.crmlake.segments;

import static org.apache.spark.sql.functions.col;

import io.crmlake.common.config.ConfigError;
import io.crmlake.common.config.LakePaths;
import io.crmlake.common.lake.Lake;
import java.io.IOException;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;
import org.apache.spark.ml.PipelineModel;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.functions;

/**
 * The segments job's saved KMeans models: one fitted pipeline ({@link Clustering#fit}) per training
 * run under {@code <lake>/models/segments/kmeans/<version>}, the run's version. A run with {@code
 * segments.kmeans.retrain = false} loads {@code segments.kmeans.model-version}, or the newest.
 */
final class KMeansModels {
  static final String DIR = "models/segments/kmeans";

  private KMeansModels() {}

  static String dir(Lake lake) {
    return lake.root() + "/" + DIR;
  }

  /** Saves a trained model under its version. */
  static void save(Lake lake, String version, PipelineModel model) {
    String path = dir(lake) + "/" + version;
    try {
      model.write().overwrite().save(path);
    } catch (IOException e) {
      throw new IllegalStateException("cannot save the KMeans model to " + path + ": " + e, e);
    }
  }

  /** The saved model of {@code version}; a configuration error when there is none. */
  static PipelineModel load(Lake lake, String version) {
    String path = dir(lake) + "/" + version;
    Path p = new Path(path);
    try {
      FileSystem fs =
          LakePaths.fileSystem(p, lake.spark().sparkContext().hadoopConfiguration(), "lake.root");
      if (!fs.exists(p)) {
        throw ConfigError.invalid(
            "segments.kmeans.model-version", version, "must name a saved model under " + dir(lake));
      }
    } catch (IOException e) {
      throw new IllegalStateException("cannot read " + path + ": " + e, e);
    }
    return PipelineModel.load(path);
  }

  /**
   * The newest model a training run committed: the chosen trial of gold.cluster_selection, which is
   * written after the model is saved, so a run that failed after saving its model is ignored.
   */
  static String latest(Lake lake) {
    String none =
        "segments.kmeans.retrain = false, but no trained model exists: run segments with"
            + " retrain = true first";
    if (!lake.exists(SegmentsTables.CLUSTER_SELECTION)) {
      throw new ConfigError(
          none + " (" + SegmentsTables.CLUSTER_SELECTION + " does not exist yet)");
    }
    Row latest =
        lake.read(SegmentsTables.CLUSTER_SELECTION)
            .where(col("chosen"))
            .agg(functions.max("model_version"))
            .first();
    if (latest.isNullAt(0)) {
      throw new ConfigError(none);
    }
    return latest.getString(0);
  }
}
