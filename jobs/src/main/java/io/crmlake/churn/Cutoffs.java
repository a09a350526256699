package io.crmlake.churn;

import io.crmlake.common.config.ConfigError;
import java.time.LocalDate;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;

/**
 * The cutoffs a training run labels, oldest first; the last is the holdout. A cutoff T is labelled
 * only when its whole horizon (T … T + horizon − 1) lies within the data, and needs {@code
 * min-history-days} of data before it.
 */
public final class Cutoffs {
  private Cutoffs() {}

  /**
   * @param first first transaction date
   * @param last last transaction date
   */
  public static List<LocalDate> of(ChurnSettings s, LocalDate first, LocalDate last) {
    LocalDate latest = last.plusDays(1).minusDays(s.horizonDays());
    LocalDate earliest = first.plusDays(s.minHistoryDays());
    if (!s.cutoffs().isEmpty()) {
      for (LocalDate c : s.cutoffs()) {
        if (c.isAfter(latest) || c.isBefore(earliest)) {
          throw ConfigError.invalid(
              "churn.cutoffs",
              c,
              "must lie between "
                  + earliest
                  + " (churn.min-history-days after the first transaction "
                  + first
                  + ") and "
                  + latest
                  + " (a full churn.horizon-days before the day after the last transaction "
                  + last
                  + ")");
        }
      }
      return s.cutoffs();
    }
    List<LocalDate> cutoffs = new ArrayList<>();
    for (int i = 0; i < s.maxCutoffs(); i++) {
      LocalDate c = latest.minusMonths((long) i * s.cutoffIntervalMonths());
      if (c.isBefore(earliest)) {
        break;
      }
      cutoffs.add(c);
    }
    if (cutoffs.size() < 2) {
      throw new ConfigError(
          "churn needs at least two labelled cutoffs (training and holdout), but the data from "
              + first
              + " to "
              + last
              + " holds "
              + cutoffs.size()
              + " with churn.horizon-days = "
              + s.horizonDays()
              + ", churn.min-history-days = "
              + s.minHistoryDays()
              + " and churn.cutoff-interval-months = "
              + s.cutoffIntervalMonths()
              + ": shorten them, or set churn.cutoffs");
    }
    Collections.reverse(cutoffs);
    return List.copyOf(cutoffs);
  }
}
