package io.crmlake.churn;

import io.crmlake.clv.ClvSettings;
import io.crmlake.common.config.ConfigError;
import io.crmlake.common.config.CrmlakeConfig;
import io.crmlake.common.config.Settings;
import io.crmlake.common.run.ModelRefresh;
import java.time.LocalDate;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * Settings of the churn job ({@code churn.*}; meanings in crmlake-defaults.conf). The BG/NBD fits
 * at each cutoff use the clv job's time unit and optimiser settings ({@code clv.*}).
 */
public record ChurnSettings(
    int horizonDays,
    int lookbackDays,
    List<LocalDate> cutoffs,
    int cutoffIntervalMonths,
    int maxCutoffs,
    int minHistoryDays,
    List<Candidate> candidates,
    Grid grid,
    boolean balanceClasses,
    long seed,
    int parallelism,
    long trainingCustomers,
    Optional<LocalDate> scoreAsOf,
    Optional<String> modelVersion,
    ModelRefresh refresh,
    List<RiskBand> riskBands,
    int reasons,
    int reasonCandidates,
    Lifecycle.Thresholds lifecycle,
    ClvSettings clv,
    String effective) {

  /** A classifier family compared on the holdout; declared from the quickest to fit. */
  public enum Candidate {
    LOGISTIC("logistic"),
    RANDOM_FOREST("random-forest"),
    GBT("gbt");

    public final String id;

    Candidate(String id) {
      this.id = id;
    }

    static Candidate of(String key, String value) {
      for (Candidate c : values()) {
        if (c.id.equals(value)) {
          return c;
        }
      }
      throw ConfigError.invalid(key, value, "must be one of logistic, random-forest, gbt");
    }
  }

  /** The hyper-parameters tried per candidate. */
  public record Grid(
      List<Double> logisticRegParam,
      List<Integer> forestNumTrees,
      List<Integer> forestMaxDepth,
      List<Integer> gbtMaxIter,
      List<Integer> gbtMaxDepth,
      List<Double> gbtStepSize) {}

  /** A risk band: customers whose calibrated probability is at least minProbability. */
  public record RiskBand(String name, double minProbability) {}

  /** Reads and checks {@code churn.*} (and {@code clv.*}); refuses (exit 2) invalid values. */
  public static ChurnSettings from(CrmlakeConfig config) {
    Settings s = config.settings();
    int horizon = s.intAtLeast("churn.horizon-days", 1);
    int lookback = s.intAtLeast("churn.lookback-days", 1);
    List<LocalDate> cutoffs = cutoffs(s);
    int maxCutoffs = s.intAtLeast("churn.max-cutoffs", 2);
    List<Candidate> candidates = candidates(s);
    Grid grid = grid(s);
    List<RiskBand> bands = riskBands(s);
    Reasons reasons = reasons(s);
    Lifecycle.Thresholds lifecycle = lifecycle(s, horizon);
    return new ChurnSettings(
        horizon,
        lookback,
        cutoffs,
        s.intAtLeast("churn.cutoff-interval-months", 1),
        maxCutoffs,
        s.intAtLeast("churn.min-history-days", 1),
        candidates,
        grid,
        s.bool("churn.balance-classes"),
        s.longAtLeast("churn.seed", Long.MIN_VALUE),
        s.intAtLeast("churn.parallelism", 1),
        s.longAtLeast("churn.training-customers", 0),
        s.optDate("churn.score.as-of"),
        s.optString("churn.score.model-version"),
        ModelRefresh.of(s, "churn", "churn classifier"),
        bands,
        reasons.count(),
        reasons.candidates(),
        lifecycle,
        ClvSettings.from(config),
        config
            .raw()
            .getConfig("churn")
            .root()
            .render(com.typesafe.config.ConfigRenderOptions.concise()));
  }

  /** {@code churn.cutoffs}: none, or at least two dates in increasing order. */
  private static List<LocalDate> cutoffs(Settings s) {
    List<LocalDate> cutoffs = new ArrayList<>();
    for (String c : s.stringList("churn.cutoffs")) {
      try {
        LocalDate d = LocalDate.parse(c.trim());
        if (!cutoffs.isEmpty() && !d.isAfter(cutoffs.get(cutoffs.size() - 1))) {
          throw ConfigError.invalid("churn.cutoffs", c, "must be in increasing order");
        }
        cutoffs.add(d);
      } catch (DateTimeParseException e) {
        throw ConfigError.invalid("churn.cutoffs", c, "must be dates like 2024-03-01");
      }
    }
    if (cutoffs.size() == 1) {
      throw ConfigError.invalid(
          "churn.cutoffs", cutoffs, "must name at least two dates (training and holdout)");
    }
    return List.copyOf(cutoffs);
  }

  /** {@code churn.candidates}: at least one, each once, in the order listed. */
  private static List<Candidate> candidates(Settings s) {
    List<Candidate> candidates = new ArrayList<>();
    for (String c : s.stringList("churn.candidates")) {
      Candidate cand = Candidate.of("churn.candidates", c.trim());
      if (!candidates.contains(cand)) {
        candidates.add(cand);
      }
    }
    if (candidates.isEmpty()) {
      throw ConfigError.invalid("churn.candidates", "[]", "must name at least one model");
    }
    return List.copyOf(candidates);
  }

  /** {@code churn.grid.*}: the values tried per hyper-parameter. */
  private static Grid grid(Settings s) {
    return new Grid(
        doubles(s, "churn.grid.logistic.reg-param", 0, 10),
        ints(s, "churn.grid.random-forest.num-trees", 1),
        ints(s, "churn.grid.random-forest.max-depth", 1),
        ints(s, "churn.grid.gbt.max-iter", 1),
        ints(s, "churn.grid.gbt.max-depth", 1),
        doubles(s, "churn.grid.gbt.step-size", 0.001, 1));
  }

  /** {@code churn.risk-bands}: from the top, decreasing minimums, the last one 0. */
  private static List<RiskBand> riskBands(Settings s) {
    List<RiskBand> bands = new ArrayList<>();
    double previous = Double.POSITIVE_INFINITY;
    for (Settings b : s.objectList("churn.risk-bands")) {
      b.onlyKeys(List.of("name", "min-probability"));
      double min = b.number("min-probability");
      String name = b.string("name");
      if (!(min >= 0 && min < previous && min <= 1)) {
        throw ConfigError.invalid(
            b.key("min-probability"),
            min,
            "must be in [0, 1] and below the previous band's (bands are listed from the top)");
      }
      if (name.isBlank()) {
        throw ConfigError.invalid(b.key("name"), "\"" + name + "\"", "must name the band");
      }
      previous = min;
      bands.add(new RiskBand(name, min));
    }
    if (bands.isEmpty() || bands.get(bands.size() - 1).minProbability() != 0) {
      throw ConfigError.invalid(
          "churn.risk-bands", bands, "must end with a band whose min-probability is 0");
    }
    return List.copyOf(bands);
  }

  /** {@code churn.reasons.count} and {@code candidates}: the reasons given, chosen among. */
  private record Reasons(int count, int candidates) {}

  private static Reasons reasons(Settings s) {
    int reasons = s.intAtLeast("churn.reasons.count", 0);
    int reasonCandidates = s.intAtLeast("churn.reasons.candidates", 1);
    if (reasonCandidates > ChurnFeatures.NAMES.size() || reasons > reasonCandidates) {
      throw ConfigError.invalid(
          "churn.reasons.candidates",
          reasonCandidates,
          "must be between churn.reasons.count ("
              + reasons
              + ") and the number of features ("
              + ChurnFeatures.NAMES.size()
              + ")");
    }
    return new Reasons(reasons, reasonCandidates);
  }

  /** {@code churn.lifecycle.*}, with the churn horizon. */
  private static Lifecycle.Thresholds lifecycle(Settings s, int horizon) {
    return new Lifecycle.Thresholds(
        horizon,
        s.intAtLeast("churn.lifecycle.exploration-max-purchase-days", 1),
        s.intAtLeast("churn.lifecycle.trend-window-days", 1),
        s.doubleIn("churn.lifecycle.formation-rate-ratio", 1, 1000),
        s.doubleIn("churn.lifecycle.decline-rate-ratio", 0, 1),
        s.doubleIn("churn.lifecycle.decline-recency-ratio", 1, 1000));
  }

  /** The BG/NBD horizon in the clv time unit. */
  double horizonUnits() {
    return horizonDays / clv.timeUnit().days;
  }

  private static List<Double> doubles(Settings s, String key, double min, double max) {
    List<Double> out = new ArrayList<>();
    for (String v : s.stringList(key)) {
      double d;
      try {
        d = Double.parseDouble(v.trim());
      } catch (NumberFormatException e) {
        throw ConfigError.invalid(key, v, "must be a list of numbers");
      }
      if (!(d >= min && d <= max)) {
        throw ConfigError.invalid(key, v, "must be between " + min + " and " + max);
      }
      out.add(d);
    }
    if (out.isEmpty()) {
      throw ConfigError.invalid(key, "[]", "must list at least one value");
    }
    return List.copyOf(out);
  }

  private static List<Integer> ints(Settings s, String key, int min) {
    List<Integer> out = new ArrayList<>();
    for (String v : s.stringList(key)) {
      int i;
      try {
        i = Integer.parseInt(v.trim());
      } catch (NumberFormatException e) {
        throw ConfigError.invalid(key, v, "must be a list of whole numbers");
      }
      if (i < min) {
        throw ConfigError.invalid(key, v, "must be at least " + min);
      }
      out.add(i);
    }
    if (out.isEmpty()) {
      throw ConfigError.invalid(key, "[]", "must list at least one value");
    }
    return List.copyOf(out);
  }
}
