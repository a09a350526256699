package io.crmlake.generate;

import io.crmlake.generate.Catalogue.Product;
import java.io.Serializable;
import java.time.DayOfWeek;
import java.time.LocalDate;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import org.apache.commons.math3.random.JDKRandomGenerator;
import org.apache.commons.math3.random.RandomDataGenerator;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;

/**
 * Simulates one customer's life, deterministically from (seed, customer index): a BG/NBD-like
 * process. The first purchase is on the signup day; repeat purchases arrive as a Poisson process
 * (rate drawn per customer, with yearly and weekly seasonality by thinning); after each repeat
 * purchase the customer drops out with a probability drawn per customer. Each order has several
 * lines from the catalogue with its planted bundles and complements; some lines are later returned,
 * re-delivered or corrupted, as configured.
 */
final class CustomerSimulator implements Serializable {
  private static final long serialVersionUID = 1L;
  static final String[] COUNTRIES = {"US", "US", "US", "CA", "GB", "DE", "FR", "NL"};
  static final String[] CHANNELS = {"store", "store", "web", "app"};
  static final String[] AGE_BANDS = {"18-24", "25-34", "35-44", "45-54", "55-64", "65+"};
  private static final double MAX_SEASON = 1.5;

  /** Kinds of generated line, kept in the ground truth. */
  static final String OK = "ok";

  static final String RETURN = "return";
  static final String DUPLICATE = "duplicate";
  static final String[] MALFORMED = {
    "bad_date", "bad_price", "missing_product", "missing_order", "negative_price", "bad_quantity"
  };

  private final GenerateSettings settings;
  private final Catalogue catalogue;
  private final int days;

  CustomerSimulator(GenerateSettings settings, Catalogue catalogue) {
    this.settings = settings;
    this.catalogue = catalogue;
    this.days = (int) (settings.end().toEpochDay() - settings.start().toEpochDay()) + 1;
  }

  /** One simulated customer: profile and ground truth (LakeGenerator.CUSTOMER_SCHEMA), lines. */
  record Simulated(Row customer, List<Row> lines) {}

  static String customerId(long index) {
    return String.format("C%07d", index + 1);
  }

  Simulated simulate(long index, boolean emitLines) {
    RandomDataGenerator rng = new RandomDataGenerator(new JDKRandomGenerator());
    rng.reSeed(mix(settings.seed(), index));
    String cid = customerId(index);
    Persona persona = Persona.pick(rng.nextUniform(0, 1));
    double ratePerDay = rng.nextGamma(2.0, persona.ratePerYear / 2.0) / 365.0;
    double dropout = rng.nextBeta(persona.dropoutA, persona.dropoutB);
    double spend = rng.nextGamma(4.0, persona.spendFactor / 4.0);
    // More customers join early in the period (a cohort that grows less over time).
    int signupDay = (int) Math.floor(Math.pow(rng.nextUniform(0, 1), 1.3) * Math.max(1, days - 30));
    LocalDate signup = settings.start().plusDays(signupDay);
    String country = COUNTRIES[rng.nextInt(0, COUNTRIES.length - 1)];
    String channel = CHANNELS[rng.nextInt(0, CHANNELS.length - 1)];
    String age = AGE_BANDS[rng.nextInt(0, AGE_BANDS.length - 1)];

    List<Row> lines = emitLines ? new ArrayList<>() : null;
    int orders = 0;
    double t = signupDay + rng.nextUniform(0.35, 0.85); // first purchase: signup day
    boolean dropped = false;
    int lastDay = signupDay;
    while (true) {
      int day = (int) Math.floor(t);
      orders++;
      lastDay = day;
      emitOrder(rng, cid, orders, day, t - day, persona, spend, lines);
      if (orders > 1 && rng.nextUniform(0, 1) < dropout) {
        dropped = true;
        break;
      }
      // Next purchase: thinning of a Poisson process with the seasonal rate.
      boolean accepted = false;
      while (!accepted) {
        t += rng.nextExponential(1.0 / (ratePerDay * MAX_SEASON));
        if (t >= days) {
          break;
        }
        accepted = rng.nextUniform(0, 1) < season((int) Math.floor(t)) / MAX_SEASON;
      }
      if (!accepted) {
        break;
      }
    }
    Row customer =
        RowFactory.create(
            cid,
            java.sql.Date.valueOf(signup),
            country,
            channel,
            age,
            persona.name(),
            ratePerDay * 365.0,
            dropout,
            spend,
            orders,
            dropped,
            java.sql.Date.valueOf(settings.start().plusDays(lastDay)));
    return new Simulated(customer, lines);
  }

  /** Seasonal multiplier of the purchase rate: a December peak and busier weekends. */
  double season(int day) {
    LocalDate d = settings.start().plusDays(day);
    double doy = d.getDayOfYear();
    double christmas = 0.35 * Math.exp(-Math.pow((doy - 350) / 25.0, 2));
    DayOfWeek w = d.getDayOfWeek();
    double weekend = (w == DayOfWeek.SATURDAY || w == DayOfWeek.SUNDAY) ? 0.15 : 0.0;
    return Math.min(MAX_SEASON, 1.0 + christmas + weekend);
  }

  /** One order: its id, customer, date and timestamp as the files write it. */
  private record Order(String id, String customer, LocalDate date, String timestamp) {}

  /**
   * The random draws of one order line, drawn in this order whether or not the line is emitted, so
   * that a customer's later draws never depend on {@code emitLines}.
   */
  private record LineDraws(
      long quantity,
      double price,
      double returned,
      double duplicated,
      double malformed,
      int malformedKind,
      int returnAfterDays) {
    static LineDraws draw(RandomDataGenerator rng, Product p, double spend) {
      long qty = 1 + rng.nextPoisson(Math.max(0.05, spend - 1) * 0.5);
      double price = p.price() * (rng.nextUniform(0, 1) < 0.1 ? 0.8 : 1.0);
      double ret = rng.nextUniform(0, 1);
      double dup = rng.nextUniform(0, 1);
      double bad = rng.nextUniform(0, 1);
      int badKind = rng.nextInt(0, MALFORMED.length - 1);
      int returnAfter = rng.nextInt(1, 20);
      return new LineDraws(qty, price, ret, dup, bad, badKind, returnAfter);
    }
  }

  /** Draws an order's products and lines; adds its rows to {@code out} unless it is null. */
  private void emitOrder(
      RandomDataGenerator rng,
      String cid,
      int seq,
      int day,
      double fraction,
      Persona persona,
      double spend,
      List<Row> out) {
    Set<Integer> items = orderItems(rng, persona);
    Order order = order(cid, seq, day, fraction);
    int lineNo = 0;
    for (int item : items) {
      lineNo++;
      Product p = catalogue.get(item);
      LineDraws draws = LineDraws.draw(rng, p, spend);
      if (out != null) {
        emitLine(order, lineNo, p, draws, out);
      }
    }
  }

  /** Products of the order: bundles, then popular products, then planted complements. */
  private Set<Integer> orderItems(RandomDataGenerator rng, Persona persona) {
    Set<Integer> items = new LinkedHashSet<>();
    if (rng.nextUniform(0, 1) < Catalogue.BUNDLE_PASTA_SHARE) {
      for (int i : Catalogue.BUNDLE_PASTA) {
        items.add(i);
      }
    }
    if (rng.nextUniform(0, 1) < Catalogue.BUNDLE_BURGER_SHARE) {
      for (int i : Catalogue.BUNDLE_BURGER) {
        items.add(i);
      }
    }
    long n = 1 + rng.nextPoisson(Math.max(0.05, persona.linesPerOrder - 1));
    for (int k = 0; k < n; k++) {
      items.add(catalogue.pick(rng.nextUniform(0, 1), rng.nextUniform(0, 1)));
    }
    for (int[] c : Catalogue.COMPLEMENTS) {
      if (items.contains(c[0]) && rng.nextUniform(0, 1) * 100 < c[2]) {
        items.add(c[1]);
      }
    }
    return items;
  }

  /** The order's id and its time of day: between 8:00 and 21:00, by {@code fraction} of the day. */
  private Order order(String cid, int seq, int day, double fraction) {
    String orderId = String.format("O%s-%04d", cid.substring(1), seq);
    int seconds = (int) (8 * 3600 + fraction * 13 * 3600);
    LocalDate date = settings.start().plusDays(day);
    String ts =
        String.format("%s %02d:%02d:%02d", date, seconds / 3600, seconds / 60 % 60, seconds % 60);
    return new Order(orderId, cid, date, ts);
  }

  /**
   * The line as its file holds it (corrupted when drawn malformed), then, for a clean line, its
   * re-delivery the next day and its return, when drawn.
   */
  private void emitLine(Order order, int lineNo, Product p, LineDraws d, List<Row> out) {
    String[] v = {
      order.id(),
      String.valueOf(lineNo),
      order.customer(),
      order.timestamp(),
      p.id(),
      p.name(),
      p.category(),
      String.valueOf(d.quantity()),
      String.format(java.util.Locale.ROOT, "%.2f", d.price())
    };
    String kind = OK;
    if (d.malformed() < settings.malformedShare()) {
      kind = MALFORMED[d.malformedKind()];
      corrupt(v, kind);
    }
    out.add(line(v, order.date(), kind));
    if (kind.equals(OK) && d.duplicated() < settings.duplicateShare()) {
      out.add(line(v, order.date().plusDays(1), DUPLICATE));
    }
    LocalDate returnDate = order.date().plusDays(d.returnAfterDays());
    if (kind.equals(OK)
        && d.returned() < settings.returnShare()
        && !returnDate.isAfter(settings.end())) {
      String[] r = v.clone();
      r[0] = "R" + order.id().substring(1) + "-" + lineNo;
      r[1] = "1";
      r[3] = returnDate + order.timestamp().substring(10);
      r[7] = String.valueOf(-d.quantity());
      out.add(line(r, returnDate, RETURN));
    }
  }

  private static void corrupt(String[] v, String kind) {
    switch (kind) {
      case "bad_date" -> v[3] = v[3].substring(0, 5) + "13-45" + v[3].substring(10);
      case "bad_price" -> v[8] = v[8].replace('.', ',') + "O";
      case "missing_product" -> v[4] = "";
      case "missing_order" -> v[0] = "";
      case "negative_price" -> v[8] = "-" + v[8];
      case "bad_quantity" -> v[7] = "two";
      default -> throw new IllegalArgumentException(kind);
    }
  }

  private static Row line(String[] v, LocalDate fileDate, String kind) {
    Object[] values = new Object[v.length + 2];
    System.arraycopy(v, 0, values, 0, v.length);
    values[v.length] = java.sql.Date.valueOf(fileDate);
    values[v.length + 1] = kind;
    return RowFactory.create(values);
  }

  /** A well-mixed 64-bit seed per customer (SplitMix64 finaliser). */
  static long mix(long seed, long index) {
    long z = seed * 0x9E3779B97F4A7C15L + index * 0xBF58476D1CE4E5B9L + 0x94D049BB133111EBL;
    z = (z ^ (z >>> 30)) * 0xBF58476D1CE4E5B9L;
    z = (z ^ (z >>> 27)) * 0x94D049BB133111EBL;
    return z ^ (z >>> 31);
  }
}
