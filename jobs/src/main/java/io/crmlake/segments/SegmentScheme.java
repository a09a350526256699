package io.crmlake.segments;

import static org.apache.spark.sql.functions.lit;
import static org.apache.spark.sql.functions.when;

import io.crmlake.common.config.ConfigError;
import io.crmlake.common.config.Settings;
import java.io.Serializable;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import org.apache.spark.sql.Column;

/**
 * A named way of classifying customers from their RFM figures, defined in config under {@code
 * segments.schemes.<column>}; the key becomes a column of {@code gold.customer_segments}.
 *
 * <ul>
 *   <li>{@code type = split}: each of R, F, M is high or low against a split ({@code mean} or
 *       {@code median} of all customers; R is high when recency is below the split, F and M when
 *       above it); each class names the (r, f, m) it takes, e.g. {@code {name = "Important Value",
 *       r = high, f = high, m = high}}. The eight combinations must all be named.
 *   <li>{@code type = scores}: ordered rules on the 1–5 scores {@code r, f, m} and {@code fm} (F
 *       and M averaged, rounded half up), each a range "4-5" or a single score; the first matching
 *       rule wins. Every one of the 125 cells must match a rule unless {@code default} names a
 *       class.
 * </ul>
 */
public record SegmentScheme(
    String column, Type type, Split split, List<Rule> rules, Optional<String> fallback)
    implements Serializable {

  public enum Type {
    SPLIT,
    SCORES
  }

  public enum Split {
    MEAN,
    MEDIAN
  }

  /**
   * One class: a name and, per dimension, an inclusive range of scores (split: 1 = low, 2 = high).
   */
  public record Rule(String name, int[] r, int[] f, int[] m, int[] fm) implements Serializable {
    boolean matches(int rv, int fv, int mv, int fmv) {
      return in(r, rv) && in(f, fv) && in(m, mv) && in(fm, fmv);
    }

    private static boolean in(int[] range, int v) {
      return range == null || (v >= range[0] && v <= range[1]);
    }

    Column condition(Column rc, Column fc, Column mc, Column fmc) {
      Column c = lit(true);
      c = and(c, rc, r);
      c = and(c, fc, f);
      c = and(c, mc, m);
      return and(c, fmc, fm);
    }

    private static Column and(Column acc, Column value, int[] range) {
      return range == null ? acc : acc.and(value.between(range[0], range[1]));
    }
  }

  /**
   * Reads the scheme {@code column} of {@code schemes} (the view of {@code segments.schemes});
   * errors name the full key and the bad value.
   */
  static SegmentScheme from(String column, Settings schemes) {
    String key = schemes.key(column);
    if (!column.matches("[a-z][a-z0-9_]*")) {
      throw ConfigError.invalid(
          key, column, "must be a lower-case column name (letters, digits, underscores)");
    }
    Settings c = schemes.object(column);
    Type type = c.enumValue("type", Type.class);
    String listKey = type == Type.SPLIT ? "classes" : "rules";
    // Either type's keys: a scheme of the defaults set to the other type keeps the defaults' own.
    c.onlyKeys(List.of("type", "split", "classes", "rules", "default"));
    Split split = c.has("split") ? c.enumValue("split", Split.class) : Split.MEAN;
    List<Rule> rules = new ArrayList<>();
    for (Settings it : c.objectList(listKey)) {
      it.onlyKeys(
          type == Type.SPLIT
              ? List.of("name", "r", "f", "m")
              : List.of("name", "r", "f", "m", "fm"));
      String name = get(it, "name");
      if (type == Type.SPLIT) {
        rules.add(new Rule(name, level(it, "r"), level(it, "f"), level(it, "m"), null));
      } else {
        rules.add(new Rule(name, range(it, "r"), range(it, "f"), range(it, "m"), range(it, "fm")));
      }
    }
    Optional<String> fallback =
        c.has("default") ? Optional.of(get(c, "default")) : Optional.empty();
    SegmentScheme s = new SegmentScheme(column, type, split, List.copyOf(rules), fallback);
    s.checkCoverage(key);
    return s;
  }

  /** Every cell must reach a class: names the first one that does not. */
  private void checkCoverage(String key) {
    if (fallback.isPresent()) {
      return;
    }
    int top = type == Type.SPLIT ? 2 : 5;
    for (int r = 1; r <= top; r++) {
      for (int f = 1; f <= top; f++) {
        for (int m = 1; m <= top; m++) {
          if (classify(r, f, m) == null) {
            String cell =
                type == Type.SPLIT
                    ? "r = " + word(r) + ", f = " + word(f) + ", m = " + word(m)
                    : "scores r = " + r + ", f = " + f + ", m = " + m;
            throw new ConfigError(
                key
                    + " leaves customers with "
                    + cell
                    + " without a class: add a rule or a"
                    + " default");
          }
        }
      }
    }
  }

  /** The class of one cell (split: 1 = low, 2 = high), or the default, or null. */
  public String classify(int r, int f, int m) {
    int fm = (f + m + 1) / 2;
    for (Rule rule : rules) {
      if (rule.matches(r, f, m, fm)) {
        return rule.name();
      }
    }
    return fallback.orElse(null);
  }

  /** The class as a column, from score columns (scores) or level columns 1/2 (split). */
  public Column column(Column r, Column f, Column m) {
    Column fm = floorInt(f.plus(m).plus(1).divide(2));
    Column out = fallback.<Column>map(v -> lit(v)).orElse(lit(null).cast("string"));
    for (int i = rules.size() - 1; i >= 0; i--) {
      Rule rule = rules.get(i);
      out = when(rule.condition(r, f, m, fm), lit(rule.name())).otherwise(out);
    }
    return out;
  }

  private static Column floorInt(Column c) {
    return org.apache.spark.sql.functions.floor(c).cast("int");
  }

  private static String word(int level) {
    return level == 2 ? "high" : "low";
  }

  private static String get(Settings c, String key) {
    return c.string(key).trim();
  }

  private static int[] level(Settings c, String dim) {
    if (!c.has(dim)) {
      return null;
    }
    String v = get(c, dim).toLowerCase(Locale.ROOT);
    return switch (v) {
      case "high" -> new int[] {2, 2};
      case "low" -> new int[] {1, 1};
      default -> throw ConfigError.invalid(c.key(dim), v, "must be high or low");
    };
  }

  /** "4-5", "3" or 3 → inclusive range within 1..5. */
  static int[] range(Settings c, String dim) {
    if (!c.has(dim)) {
      return null;
    }
    String v = get(c, dim);
    String[] parts = v.split("-", -1);
    try {
      int lo = Integer.parseInt(parts[0].trim());
      int hi = parts.length == 2 ? Integer.parseInt(parts[1].trim()) : lo;
      if (parts.length > 2 || lo < 1 || hi > 5 || lo > hi) {
        throw new NumberFormatException();
      }
      return new int[] {lo, hi};
    } catch (NumberFormatException e) {
      throw ConfigError.invalid(c.key(dim), v, "must be a score 1-5 or a range like 4-5");
    }
  }

  static Column levels(Column value, double split, boolean lowIsHigh) {
    Column high = lowIsHigh ? value.lt(split) : value.gt(split);
    return when(high, lit(2)).otherwise(lit(1));
  }
}
