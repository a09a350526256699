package io.crmlake.common.run;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.crmlake.common.config.ConfigError;
import java.time.Instant;
import java.util.Optional;
import org.junit.jupiter.api.Test;

/**
 * The refresh policy's decisions, by hand. A model trained on 2024-07-01 at 02:10 UTC (version
 * 20240701T021000-…), weekly policy:
 *
 * <pre>
 * run at                  age (UTC days)  decision
 * 2024-07-07 23:59        6               reuse
 * 2024-07-08 01:50        7               train (a week later, 20 minutes earlier in the night)
 * 2024-07-08 01:50, now   7               train (retrain-now)
 * </pre>
 */
class ModelRefreshTest {
  static final String V = "20240701T021000-abcdef12";
  static final ModelRefresh WEEKLY = new ModelRefresh("association rules", "baskets", 7, false);

  @Test
  void aModelIsRetrainedOnTheNightItIsDueWhateverTheMinutes() {
    ModelRefresh.Decision d = WEEKLY.decide(Optional.of(V), Instant.parse("2024-07-07T23:59:00Z"));
    assertFalse(d.train());
    assertEquals(6, d.ageDays());
    assertEquals(
        "association rules: reuse model "
            + V
            + " (6 days old; retrained at 7 days (baskets.retrain-after-days))",
        d.describe());

    d = WEEKLY.decide(Optional.of(V), Instant.parse("2024-07-08T01:50:00Z"));
    assertTrue(d.train());
    assertEquals(7, d.ageDays());
    assertEquals(
        "model " + V + " is 7 days old; baskets.retrain-after-days = 7", d.reason(), d.reason());
  }

  @Test
  void retrainNowNoModelAndZeroDaysAlwaysTrain() {
    Instant now = Instant.parse("2024-07-01T03:00:00Z");
    assertEquals("no committed model yet", WEEKLY.decide(Optional.empty(), now).reason());
    ModelRefresh.Decision d =
        new ModelRefresh("association rules", "baskets", 7, true).decide(Optional.of(V), now);
    assertTrue(d.train());
    assertEquals("baskets.retrain-now is set", d.reason());
    assertTrue(
        new ModelRefresh("association rules", "baskets", 0, false)
            .decide(Optional.of(V), now)
            .train(),
        "0: every run trains, even the same day");
  }

  @Test
  void aPinnedModelIsReusedAtAnyAgeAndAVersionThatIsNoneIsASettingError() {
    Instant later = Instant.parse("2025-07-01T03:00:00Z");
    ModelRefresh.Decision d =
        WEEKLY.decide(Optional.of("20990101T000000-00000000"), Optional.of(V), later);
    assertFalse(d.train());
    assertEquals(Optional.of(V), d.model());
    assertEquals(365, d.ageDays());
    ConfigError e =
        assertThrows(
            ConfigError.class, () -> WEEKLY.decide(Optional.empty(), Optional.of("latest"), later));
    assertTrue(e.getMessage().contains("model version latest"), e.getMessage());
  }
}
