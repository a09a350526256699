package io.crmlake.churn;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.crmlake.common.testing.SparkTestBase;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import org.apache.spark.api.java.JavaRDD;
import org.apache.spark.mllib.evaluation.BinaryClassificationMetrics;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.functions;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructType;
import org.junit.jupiter.api.Test;
import scala.Tuple2;

/**
 * The down-sampled ROC and precision-recall curves: on rows in one partition they are MLlib's own
 * ({@link BinaryClassificationMetrics} with {@link ChurnEvaluation#CURVE_BINS} bins, whose groups
 * then span all scores), and the same rows in other partitions, in another order, draw the same
 * curves (MLlib's would move with its sort's partition boundaries).
 *
 * <p>Fixture: 2,000 customers, scores with three decimals (about 1,000 distinct scores with ties,
 * so groups of about 10 scores), label 1 with probability equal to the score (seeded).
 */
class ChurnCurvesTest extends SparkTestBase {
  static final StructType SCORED =
      new StructType()
          .add("customer_id", DataTypes.StringType)
          .add("score", DataTypes.DoubleType)
          .add("label", DataTypes.DoubleType);

  static Dataset<Row> fixture() {
    Random r = new Random(42);
    List<Row> rows = new ArrayList<>();
    for (int i = 0; i < 2000; i++) {
      double s = Math.round(r.nextDouble() * 1000) / 1000.0;
      rows.add(RowFactory.create("c" + i, s, r.nextDouble() < s ? 1.0 : 0.0));
    }
    return spark.createDataFrame(rows, SCORED);
  }

  static List<String> points(Row[] curve) {
    return Arrays.stream(curve).map(Row::toString).toList();
  }

  @Test
  void inOnePartitionTheCurvesAreMllibsAndAnyPartitioningDrawsTheSame() {
    Dataset<Row> one = fixture().coalesce(1);
    Row[][] ours = ChurnEvaluation.curves(one, "score", "label");

    JavaRDD<Tuple2<Object, Object>> pairs =
        one.toJavaRDD().map(r -> new Tuple2<>((Object) r.getDouble(1), (Object) r.getDouble(2)));
    BinaryClassificationMetrics m = new BinaryClassificationMetrics(pairs.rdd(), 100);
    List<Object> thresholds = m.thresholds().toJavaRDD().collect();
    List<Tuple2<Object, Object>> roc = m.roc().toJavaRDD().collect();
    List<Tuple2<Object, Object>> pr = m.pr().toJavaRDD().collect();
    m.unpersist();
    assertTrue(thresholds.size() >= 90 && thresholds.size() <= 200, "points: " + thresholds.size());
    assertEquals(roc.size(), ours[0].length);
    assertEquals(pr.size(), ours[1].length);
    assertEquals(Double.POSITIVE_INFINITY, ours[0][0].getDouble(0));
    assertEquals(Double.NEGATIVE_INFINITY, ours[0][ours[0].length - 1].getDouble(0));
    for (int i = 0; i < roc.size(); i++) {
      if (i > 0 && i <= thresholds.size()) {
        assertEquals((Double) thresholds.get(i - 1), ours[0][i].getDouble(0), "threshold " + i);
        assertEquals((Double) thresholds.get(i - 1), ours[1][i].getDouble(0), "threshold " + i);
      }
      assertEquals((Double) roc.get(i)._1(), ours[0][i].getDouble(1), "false positive rate " + i);
      assertEquals((Double) roc.get(i)._2(), ours[0][i].getDouble(2), "true positive rate " + i);
    }
    for (int i = 0; i < pr.size(); i++) {
      assertEquals((Double) pr.get(i)._1(), ours[1][i].getDouble(1), "recall " + i);
      assertEquals((Double) pr.get(i)._2(), ours[1][i].getDouble(2), "precision " + i);
    }

    Dataset<Row> shuffled = fixture().repartition(7).orderBy(functions.rand(3));
    Row[][] again = ChurnEvaluation.curves(shuffled.repartition(5), "score", "label");
    assertEquals(points(ours[0]), points(again[0]));
    assertEquals(points(ours[1]), points(again[1]));
  }
}
