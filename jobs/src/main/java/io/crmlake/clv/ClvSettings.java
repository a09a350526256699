package io.crmlake.clv;

import io.crmlake.common.config.ConfigError;
import io.crmlake.common.config.CrmlakeConfig;
import io.crmlake.common.config.Settings;
import io.crmlake.common.run.ModelRefresh;
import java.time.LocalDate;
import java.util.Optional;

/** Settings of the CLV job ({@code clv.*}; meanings in crmlake-defaults.conf). */
public record ClvSettings(
    Optional<LocalDate> observationEnd,
    Optional<LocalDate> calibrationEnd,
    TimeUnit timeUnit,
    double horizon,
    double discountRate,
    double margin,
    Likelihood likelihood,
    int starts,
    int maxIterations,
    double tolerance,
    double l2Penalty,
    double maxSpendCorrelation,
    ModelRefresh refresh) {

  /** The model's unit of time, in days (a month is 365.25 / 12 days). */
  public enum TimeUnit {
    DAY(1.0),
    WEEK(7.0),
    MONTH(365.25 / 12);

    public final double days;

    TimeUnit(double days) {
      this.days = days;
    }
  }

  /** Rows the likelihood is summed over: distinct (x, t_x, T) with counts, or one per customer. */
  public enum Likelihood {
    GROUPED,
    PER_CUSTOMER
  }

  public static ClvSettings from(CrmlakeConfig config) {
    Settings s = config.settings();
    ClvSettings c =
        new ClvSettings(
            s.optDate("clv.observation-end"),
            s.optDate("clv.calibration-end"),
            s.enumValue("clv.time-unit", TimeUnit.class),
            s.doubleIn("clv.horizon", 0, 10_000),
            s.doubleIn("clv.discount-rate", 0, 10),
            s.doubleIn("clv.margin", 0, 1),
            s.enumValue("clv.likelihood", Likelihood.class),
            s.intAtLeast("clv.starts", 1),
            s.intAtLeast("clv.max-iterations", 1),
            s.doubleIn("clv.tolerance", 0, 1),
            s.doubleIn("clv.l2-penalty", 0, 1_000),
            s.doubleIn("clv.max-spend-correlation", 0, 1),
            ModelRefresh.of(s, "clv", "CLV parameters"));
    if (c.horizon() <= 0) {
      throw ConfigError.invalid("clv.horizon", c.horizon(), "must be above 0 (in clv.time-unit)");
    }
    if (c.starts() > 3) {
      throw ConfigError.invalid("clv.starts", c.starts(), "must be at most 3");
    }
    if (c.calibrationEnd().isPresent()
        && c.observationEnd().isPresent()
        && !c.calibrationEnd().get().isBefore(c.observationEnd().get())) {
      throw ConfigError.invalid(
          "clv.calibration-end",
          c.calibrationEnd().get(),
          "must be before clv.observation-end " + c.observationEnd().get());
    }
    return c;
  }

  public MaximumLikelihood.Options options() {
    return new MaximumLikelihood.Options(maxIterations, tolerance, l2Penalty);
  }
}
