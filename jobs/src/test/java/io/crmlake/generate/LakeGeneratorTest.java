package io.crmlake.generate;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.crmlake.common.config.CrmlakeConfig;
import io.crmlake.common.lake.Lake;
import io.crmlake.common.testing.SparkTestBase;
import io.crmlake.ingest.IngestResult;
import io.crmlake.ingest.IngestTables;
import io.crmlake.testing.Jobs;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.apache.spark.sql.Row;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class LakeGeneratorTest extends SparkTestBase {
  @TempDir Path dir;

  static String[] small(Path lakeRoot, long seed) {
    return new String[] {
      "generate.customers=400",
      "generate.start=2023-01-01",
      "generate.end=2023-12-31",
      "generate.seed=" + seed,
      "generate.malformed-share=0.02",
      "generate.duplicate-share=0.02",
      "generate.customers-per-partition=100",
    };
  }

  private GenerateResult generate(CrmlakeConfig config) {
    return Jobs.generate(lake(config), config);
  }

  private static Map<String, String> contents(Path orders) throws Exception {
    Map<String, String> out = new HashMap<>();
    try (Stream<Path> files = Files.list(orders)) {
      for (Path f : files.toList()) {
        if (f.getFileName().toString().startsWith(".")) {
          continue; // Hadoop's checksum files
        }
        out.put(f.getFileName().toString(), Files.readString(f));
      }
    }
    return out;
  }

  @Test
  void sameSeedSameFilesOtherSeedOtherFiles() throws Exception {
    generate(config(dir.resolve("a"), small(dir, 7)));
    generate(config(dir.resolve("b"), small(dir, 7)));
    generate(config(dir.resolve("c"), small(dir, 8)));
    Map<String, String> a = contents(dir.resolve("a/landing/orders"));
    assertTrue(a.size() > 300, "daily files: " + a.size());
    assertTrue(a.containsKey("orders-2023-06-01.csv"), a.keySet().toString());
    assertEquals(a, contents(dir.resolve("b/landing/orders")));
    assertNotEquals(a, contents(dir.resolve("c/landing/orders")));
    // Same parameters again: nothing is rewritten.
    GenerateResult again = generate(config(dir.resolve("a"), small(dir, 7)));
    assertTrue(again.skipped(), "same parameters as _manifest.json: nothing to do");
    assertEquals(0, again.lines());
  }

  @Test
  void ingestSortsEveryPlantedAnomalyAsTheGroundTruthSays() {
    CrmlakeConfig config = config(dir, small(dir, 11));
    GenerateResult gen = generate(config);
    Map<String, Long> truth = new HashMap<>();
    for (Row r :
        spark
            .read()
            .parquet(dir.resolve("landing/truth/anomalies").toString())
            .groupBy("kind")
            .count()
            .collectAsList()) {
      truth.put(r.getString(0), r.getLong(1));
    }
    for (String kind : List.of("bad_date", "bad_price", "duplicate", "return", "missing_order")) {
      assertTrue(truth.getOrDefault(kind, 0L) > 0, "the generator planted " + kind + ": " + truth);
    }

    Lake lake = lake(config);
    IngestResult r = Jobs.ingest(lake, config, "conf/sources/sample.conf");
    assertEquals(gen.outputRows(), r.inputRows(), "every generated line is read");
    assertEquals(truth.get("duplicate"), r.skippedRows());
    Map<String, Long> reasons = new HashMap<>();
    for (Row row :
        lake.read(IngestTables.TRANSACTIONS_REJECTED)
            .groupBy("reason_code")
            .count()
            .collectAsList()) {
      reasons.put(row.getString(0), row.getLong(1));
    }
    assertEquals(truth.getOrDefault("bad_date", 0L), reasons.getOrDefault("BAD_TIMESTAMP", 0L));
    assertEquals(
        truth.getOrDefault("bad_price", 0L) + truth.getOrDefault("bad_quantity", 0L),
        reasons.getOrDefault("BAD_NUMBER", 0L));
    assertEquals(
        truth.getOrDefault("missing_order", 0L) + truth.getOrDefault("missing_product", 0L),
        reasons.getOrDefault("MISSING_FIELD", 0L));
    assertEquals(
        truth.getOrDefault("negative_price", 0L), reasons.getOrDefault("NEGATIVE_PRICE", 0L));
    assertEquals(
        truth.getOrDefault("return", 0L),
        lake.read(IngestTables.TRANSACTIONS).where("is_return").count());
  }

  @Test
  void customersAreHeterogeneousAndSomeDropOut() {
    CrmlakeConfig config = config(dir, small(dir, 3));
    LakeGenerator gen = new LakeGenerator(spark, GenerateSettings.from(config));
    Row t =
        gen.customers()
            .selectExpr(
                "count(*)",
                "sum(CASE WHEN dropped_out THEN 1 ELSE 0 END)",
                "stddev(purchases_per_year) / avg(purchases_per_year)",
                "count(DISTINCT persona)")
            .first();
    assertEquals(400L, t.getLong(0));
    assertTrue(t.getLong(1) > 40 && t.getLong(1) < 360, "dropouts: " + t.getLong(1));
    assertTrue(t.getDouble(2) > 0.5, "purchase rates vary: cv " + t.getDouble(2));
    assertEquals(4L, t.getLong(3));
  }

  @Test
  void plantedBundleCoOccursFarAboveChance() {
    CrmlakeConfig config = config(dir, small(dir, 5));
    new LakeGenerator(spark, GenerateSettings.from(config)).lines().createOrReplaceTempView("l");
    // Lift of Spaghetti (P0001) -> Tomato Sauce (P0002), counted over orders.
    Row r =
        spark
            .sql(
                "WITH o AS (SELECT order_id, max(product_id = 'P0001') a, max(product_id = 'P0002') b"
                    + " FROM l WHERE kind = 'ok' GROUP BY order_id)"
                    + " SELECT count(*), sum(CASE WHEN a THEN 1 ELSE 0 END),"
                    + " sum(CASE WHEN b THEN 1 ELSE 0 END), sum(CASE WHEN a AND b THEN 1 ELSE 0 END)"
                    + " FROM o")
            .first();
    double n = r.getLong(0);
    double lift = (r.getLong(3) / n) / ((r.getLong(1) / n) * (r.getLong(2) / n));
    assertTrue(lift > 5, "lift of the planted bundle: " + lift);
  }
}
