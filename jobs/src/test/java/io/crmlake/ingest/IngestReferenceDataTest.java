package io.crmlake.ingest;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.crmlake.common.config.CrmlakeConfig;
import io.crmlake.common.lake.Lake;
import io.crmlake.common.testing.SparkTestBase;
import io.crmlake.testing.GroceryLines;
import io.crmlake.testing.Jobs;
import java.math.BigDecimal;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.LocalDate;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Ingests the real reference data sets with the shipped source configs and checks every count
 * against an independent plain-Java reading of the same files.
 */
class IngestReferenceDataTest extends SparkTestBase {
  @TempDir Path dir;

  @Test
  void cdnowMasterKeepsEveryRowIncludingExactRepeats() throws Exception {
    Path file = sharedData().resolve("cdnow/CDNOW_master.txt");
    List<String> lines = Files.readAllLines(file);
    List<String> rows = lines.subList(1, lines.size()).stream().filter(l -> !l.isBlank()).toList();
    Set<String> customers = new HashSet<>();
    BigDecimal dollars = BigDecimal.ZERO;
    for (String l : rows) {
      String[] f = l.trim().split("\\s+");
      customers.add(f[0]);
      dollars = dollars.add(new BigDecimal(f[3]));
    }
    long exactRepeats = rows.size() - rows.stream().map(String::trim).distinct().count();
    assertEquals(69_659, rows.size());
    assertEquals(23_570, customers.size());
    assertEquals(255, exactRepeats, "rows that repeat another row exactly (real purchases)");

    CrmlakeConfig config = config(dir);
    Lake lake = lake(config);
    IngestResult r = Jobs.ingest(lake, config, "conf/sources/cdnow_master.conf");
    assertEquals(69_659, r.inputRows());
    assertEquals(69_659, r.outputRows());
    assertEquals(0, r.quarantinedRows());
    assertEquals(0, r.skippedRows());
    Row s =
        spark
            .sql(
                "SELECT count(*), count(DISTINCT customer_id), sum(amount), count(DISTINCT line_id),"
                    + " min(order_date), max(order_date), count(product_id)"
                    + " FROM silver.transactions")
            .first();
    assertEquals(69_659L, s.getLong(0));
    assertEquals(23_570L, s.getLong(1));
    assertEquals(0, dollars.compareTo(s.getDecimal(2)), "dollar total " + s.getDecimal(2));
    assertEquals(69_659L, s.getLong(3));
    assertEquals(LocalDate.of(1997, 1, 1), s.getDate(4).toLocalDate());
    assertEquals(LocalDate.of(1998, 6, 30), s.getDate(5).toLocalDate());
    assertEquals(0L, s.getLong(6), "CDNOW has no products");
  }

  @Test
  void groceriesLinesGiveMembersAndMemberDayBaskets() throws Exception {
    List<GroceryLines.Line> rows =
        GroceryLines.read(sharedData().resolve("groceries/groceries_lines.csv"));
    Set<String> members = new HashSet<>();
    Set<String> baskets = new HashSet<>();
    for (GroceryLines.Line l : rows) {
      members.add(l.member());
      baskets.add(l.basket());
    }
    assertEquals(38_765, rows.size());
    assertEquals(3_898, members.size());
    assertEquals(14_963, baskets.size());

    CrmlakeConfig config = config(dir);
    Lake lake = lake(config);
    IngestResult r = Jobs.ingest(lake, config, "conf/sources/groceries_lines.conf");
    assertEquals(38_765, r.outputRows());
    Row s =
        spark
            .sql(
                "SELECT count(*), count(DISTINCT customer_id), count(DISTINCT order_id),"
                    + " count(DISTINCT customer_id, order_date), count(order_date)"
                    + " FROM silver.transactions")
            .first();
    assertEquals(38_765L, s.getLong(0));
    assertEquals(3_898L, s.getLong(1));
    assertEquals(14_963L, s.getLong(2));
    assertEquals(14_963L, s.getLong(3));
    assertEquals(38_765L, s.getLong(4), "every date parsed, in either format");
  }

  @Test
  void groceriesBasketsBecomeOrdersWithTrimmedItems() throws Exception {
    Path file = sharedData().resolve("groceries/groceries_baskets.csv");
    List<String> rows = Files.readAllLines(file).stream().filter(l -> !l.isBlank()).toList();
    long items = 0;
    Set<String> distinct = new HashSet<>();
    Set<String> paddedRaw = new HashSet<>();
    for (String l : rows) {
      for (String item : l.split(",")) {
        if (!item.trim().isEmpty()) {
          items++;
          distinct.add(item.trim());
          if (!item.equals(item.trim())) {
            paddedRaw.add(item);
          }
        }
      }
    }
    assertEquals(9_835, rows.size());
    assertTrue(!paddedRaw.isEmpty(), "the data set has item names padded with spaces");

    CrmlakeConfig config = config(dir);
    Lake lake = lake(config);
    IngestResult r = Jobs.ingest(lake, config, "conf/sources/groceries_baskets.conf");
    assertEquals(items, r.outputRows());
    Dataset<Row> silver = lake.read(IngestTables.TRANSACTIONS);
    Row s =
        silver
            .selectExpr(
                "count(DISTINCT order_id)",
                "count(DISTINCT product_id)",
                "count(customer_id)",
                "count(order_ts)",
                "sum(CASE WHEN product_id <> trim(product_id) THEN 1 ELSE 0 END)")
            .first();
    assertEquals(9_835L, s.getLong(0));
    assertEquals(distinct.size(), s.getLong(1));
    assertEquals(0L, s.getLong(2), "basket lists have no customers");
    assertEquals(0L, s.getLong(3), "basket lists have no dates");
    assertEquals(0L, s.getLong(4), "item names are trimmed");
  }

  @Test
  void cdnowSampleHasItsPublishedCustomers() {
    sharedData();
    CrmlakeConfig config = config(dir);
    Lake lake = lake(config);
    IngestResult r = Jobs.ingest(lake, config, "conf/sources/cdnow_sample.conf");
    assertEquals(6_919, r.outputRows());
    assertEquals(
        2_357L, lake.read(IngestTables.TRANSACTIONS).select("customer_id").distinct().count());
  }
}
