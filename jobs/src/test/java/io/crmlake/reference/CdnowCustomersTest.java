package io.crmlake.reference;

import static org.apache.spark.sql.functions.col;
import static org.apache.spark.sql.functions.count;
import static org.apache.spark.sql.functions.lit;
import static org.apache.spark.sql.functions.sum;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.crmlake.clv.BgNbd;
import io.crmlake.clv.ClvModels;
import io.crmlake.clv.ClvModels.Fitted;
import io.crmlake.clv.ClvSettings;
import io.crmlake.clv.ClvSettings.TimeUnit;
import io.crmlake.clv.ClvSummary;
import io.crmlake.common.config.CrmlakeConfig;
import io.crmlake.common.lake.Lake;
import io.crmlake.common.lake.Tables;
import io.crmlake.common.testing.SparkTestBase;
import io.crmlake.segments.SegmentsResult;
import io.crmlake.testing.Jobs;
import java.io.IOException;
import java.math.BigDecimal;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.LocalDate;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Customer-level jobs on the whole CDNOW master file (23,570 customers, 69,659 transactions),
 * checked against a plain-Java reading of the file.
 */
class CdnowCustomersTest extends SparkTestBase {
  @TempDir static Path dir;
  static CrmlakeConfig config;
  static Lake lake;

  @BeforeAll
  static void ingest() {
    sharedData();
    config =
        config(
            dir,
            "segments.kmeans.k-min=2",
            "segments.kmeans.k-max=3",
            "segments.kmeans.seeds=1",
            "segments.kmeans.sample-size=5000");
    lake = lake(config);
    Jobs.ingest(lake, config, "conf/sources/cdnow_master.conf");
  }

  /** Customers, purchase occasions (distinct customer-days) and dollars, read without Spark. */
  record Totals(long customers, long customerDays, BigDecimal dollars) {}

  static Totals readMaster() throws IOException {
    Set<String> customers = new HashSet<>();
    Set<String> days = new HashSet<>();
    BigDecimal dollars = BigDecimal.ZERO;
    List<String> lines = Files.readAllLines(sharedData().resolve("cdnow/CDNOW_master.txt"));
    for (String line : lines.subList(1, lines.size())) {
      String[] f = line.trim().split("\\s+");
      if (f.length < 4) {
        continue;
      }
      customers.add(f[0]);
      days.add(f[0] + " " + f[1]);
      dollars = dollars.add(new BigDecimal(f[3]));
    }
    return new Totals(customers.size(), days.size(), dollars);
  }

  @Test
  void bgNbdFitIsTheSameOverGroupedRowsAndOverCustomers() {
    Dataset<Row> summary =
        ClvSummary.summarize(
                lake.read(Tables.TRANSACTIONS), LocalDate.parse("1998-06-30"), TimeUnit.WEEK)
            .cache();
    assertEquals(23_570, summary.count());
    ClvSettings grouped = ClvSettings.from(config(dir, "clv.starts=1"));
    ClvSettings perCustomer =
        ClvSettings.from(config(dir, "clv.starts=1", "clv.likelihood=per-customer"));
    Fitted g = ClvModels.fitBgNbd(summary, grouped);
    Fitted c = ClvModels.fitBgNbd(summary, perCustomer);
    assertEquals(23_570, c.rows());
    assertTrue(g.rows() < c.rows() / 2, "grouping shrinks the likelihood rows: " + g.rows());
    for (int i = 0; i < 4; i++) {
      double a = g.fit().params()[i];
      double b = c.fit().params()[i];
      assertEquals(a, b, 1e-5 * Math.abs(a), BgNbd.NAMES[i]);
    }
    assertEquals(g.fit().logLikelihood(), c.fit().logLikelihood(), 1e-6);
    summary.unpersist();
  }

  @Test
  void segmentsCoverEveryCustomerAndAllSpend() throws IOException {
    Totals t = readMaster();
    assertEquals(23_570, t.customers());
    SegmentsResult r = Jobs.segments(lake, config);
    assertEquals(LocalDate.parse("1998-07-01"), r.asOfDate());
    Row f =
        lake.read(Tables.CUSTOMER_FEATURES)
            .agg(count(lit(1)), sum("frequency"), sum("purchase_days"), sum("monetary"))
            .first();
    assertEquals(t.customers(), f.getLong(0));
    // CDNOW has no order ids: an order is a customer-day, so frequency = purchase days.
    assertEquals(t.customerDays(), f.getLong(1));
    assertEquals(t.customerDays(), f.getLong(2));
    assertEquals(t.dollars().doubleValue(), f.getDouble(3), 0.005);
    Row s =
        lake.read(Tables.CUSTOMER_SEGMENTS)
            .agg(count(lit(1)), sum("frequency"), sum("monetary"))
            .first();
    assertEquals(t.customers(), s.getLong(0));
    assertEquals(t.customerDays(), s.getLong(1));
    assertEquals(t.dollars().doubleValue(), s.getDouble(2), 0.005);
    assertEquals(
        0,
        lake.read(Tables.CUSTOMER_SEGMENTS)
            .where(col("value_class").isNull().or(col("rfm_segment").isNull()))
            .count(),
        "every customer has a class in every scheme");
  }
}
