package io.crmlake.segments;

import static org.apache.spark.sql.functions.col;

import io.crmlake.common.config.ConfigError;
import io.crmlake.common.config.LakePaths;
import io.crmlake.common.lake.Lake;
import io.crmlake.common.run.ModelRefresh;
import java.io.IOException;
import java.util.Optional;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;
import org.apache.spark.ml.PipelineModel;

/**
 * The segments job's saved KMeans models: one fitted pipeline ({@link Clustering#fit}) per training
 * run under {@code <lake>/models/segments/kmeans/<version>}, the run's version. A run that does not
 * train ({@link ModelRefresh}) loads {@code segments.kmeans.model-version}, or the newest.
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
   * The newest model whose training run succeeded: the chosen trials of gold.cluster_selection
   * (written after the model is saved) of succeeded segments runs ({@link ModelRefresh}).
   */
  static Optional<String> newestCommitted(Lake lake) {
    if (!lake.exists(SegmentsTables.CLUSTER_SELECTION)) {
      return Optional.empty();
    }
    return ModelRefresh.newestCommitted(
        lake, "segments", lake.read(SegmentsTables.CLUSTER_SELECTION).where(col("chosen")));
  }
}
