package io.crmlake.churn;

import static org.junit.jupiter.api.Assertions.assertSame;

import io.crmlake.churn.ChurnEvaluation.Ranking;
import io.crmlake.churn.ChurnHoldout.Evaluated;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * The rule that picks churn's model, {@link ChurnModelSelection#chooseByHoldoutPrAuc}, on holdout
 * figures made by hand: the candidate with the highest holdout PR AUC; a baseline never, however
 * well it ranks; on a tie, the candidate listed first in {@code churn.candidates} (the order {@link
 * ChurnHoldout} evaluates them in), whichever family it is.
 */
class ChurnModelSelectionTest {
  static Evaluated evaluated(String candidate, boolean baseline, double prAuc) {
    return new Evaluated(
        candidate,
        baseline,
        Map.of(),
        null,
        new Ranking(0.5, prAuc),
        0,
        0,
        List.of(),
        List.of(),
        null,
        null);
  }

  static Evaluated choose(Evaluated... evaluated) {
    return ChurnModelSelection.chooseByHoldoutPrAuc(new ChurnHoldout(1, 1, List.of(evaluated)));
  }

  @Test
  void theHighestHoldoutPrAucOfTheCandidatesWinsAndABaselineNever() {
    Evaluated forest = evaluated("random-forest", false, 0.45);
    assertSame(
        forest,
        choose(
            evaluated("logistic", false, 0.40),
            forest,
            evaluated("gbt", false, 0.43),
            evaluated("recency", true, 0.60),
            evaluated("p_alive", true, 0.50)));
  }

  @Test
  void aTieGoesToTheCandidateListedFirst() {
    Evaluated logistic = evaluated("logistic", false, 0.45);
    assertSame(
        logistic,
        choose(
            evaluated("recency", true, 0.45),
            logistic,
            evaluated("random-forest", false, 0.45),
            evaluated("gbt", false, 0.44)));
    Evaluated gbt = evaluated("gbt", false, 0.45);
    assertSame(gbt, choose(gbt, evaluated("logistic", false, 0.45)));
  }
}
