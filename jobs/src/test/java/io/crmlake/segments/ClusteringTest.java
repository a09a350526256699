package io.crmlake.segments;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.crmlake.common.testing.SparkTestBase;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.Random;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructType;
import org.junit.jupiter.api.Test;

/**
 * K selection fits its trials side by side ({@code segments.kmeans.parallelism}); every trial is
 * the same Spark work as alone, so one thread and three give the same trials, silhouettes, costs
 * and choice, bit for bit.
 */
class ClusteringTest extends SparkTestBase {
  @Test
  void trialsDoNotDependOnTheParallelism() {
    StructType schema =
        new StructType()
            .add("customer_id", DataTypes.StringType)
            .add("recency_days", DataTypes.IntegerType)
            .add("frequency", DataTypes.LongType)
            .add("monetary", DataTypes.DoubleType);
    Random random = new Random(11);
    List<Row> rows = new ArrayList<>();
    for (int i = 0; i < 600; i++) {
      int group = i % 3; // three planted groups: recent and frequent, middling, lapsed
      rows.add(
          RowFactory.create(
              "c" + i,
              10 + 150 * group + random.nextInt(30),
              (long) (12 - 5 * group + random.nextInt(3)),
              400.0 / (1 + group) + random.nextInt(50)));
    }
    Dataset<Row> features = spark.createDataFrame(rows, schema);
    List<Clustering.Selection> selections = new ArrayList<>();
    for (int parallelism : new int[] {1, 3}) {
      SegmentsSettings.KMeansSettings s =
          new SegmentsSettings.KMeansSettings(
              List.of("recency_days", "frequency", "monetary"),
              2,
              5,
              2,
              20,
              100_000,
              parallelism,
              true,
              Optional.empty());
      selections.add(Clustering.select(features, rows.size(), s));
    }
    assertEquals(8, selections.get(0).trials().size(), "K 2..5, two seeds each");
    assertEquals(selections.get(0).trials(), selections.get(1).trials());
    assertEquals(selections.get(0).best(), selections.get(1).best());
    assertEquals(3, selections.get(0).best().k(), "the three planted groups");
  }
}
