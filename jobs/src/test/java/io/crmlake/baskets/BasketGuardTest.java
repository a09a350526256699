package io.crmlake.baskets;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.crmlake.baskets.WorkProjection.Basis;
import io.crmlake.baskets.WorkProjection.Projection;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.junit.jupiter.api.Test;

/**
 * The guard's projection and choice of cap on hand-worked aggregates, without Spark.
 *
 * <p>Four baskets of 2 frequent items, a in all, b in two (min count 2): the model has one size
 * class (2 items), with shares a = 1, b = 0.5. Work: the empty itemset visits 4 × 2 = 8 items, {a}
 * 4 × 2 = 8, {a, b} 2 × 2 = 4, {b} 2 × 2 = 4: 24 in all, over 3 itemsets.
 *
 * <p>Two baskets of the same 32 items (min count 2): every subset is frequent, so the uncapped
 * search explodes (2^32 itemsets). The first cap tried below 32 is 16: the capped baskets keep
 * i00..i15 (equal counts: by item), each of the 2^16 − 1 non-empty subsets visits 2 × 16 = 32
 * items, and so does the empty itemset: 32 × 2^16 = 2,097,152 in all.
 */
class BasketGuardTest {
  @Test
  void projectsTheWorkOfEveryFrequentItemset() {
    TreeMap<Integer, Long> sizes = new TreeMap<>(Map.of(2, 4L));
    Map<Integer, Map<Integer, Map<String, Long>>> counts =
        Map.of(-1, Map.of(1, Map.of("a", 4L, "b", 2L)));
    Basis basis = new Basis(sizes, counts, List.of("a", "b"), 1000);
    assertEquals(new Projection(24, 3), WorkProjection.project(basis, -1, 2, 1e9));
    // Over a budget of 20, the walk stops at the itemset that crosses it ({b}, the last).
    assertEquals(new Projection(24, 3), WorkProjection.project(basis, -1, 2, 20));
    // With min count 3, b is no longer projected frequent: the empty itemset and {a}.
    assertEquals(new Projection(16, 1), WorkProjection.project(basis, -1, 3, 1e9));

    BasketGuard.Cap cap = BasketGuard.chooseCap(basis, 4, 2, 1e9);
    assertEquals(0, cap.size(), "within budget, no basket over max-basket-size: no cap");
    assertTrue(cap.withinBudget());
  }

  @Test
  void capsHugeSharedBasketsToTheLargestPowerOfTwoWithinBudget() {
    List<String> items = new ArrayList<>();
    Map<String, Long> all = new HashMap<>();
    Map<String, Long> firstSixteen = new HashMap<>();
    for (int i = 0; i < 32; i++) {
      String item = String.format("i%02d", i);
      items.add(item);
      all.put(item, 2L);
      if (i < 16) {
        firstSixteen.put(item, 2L);
      }
    }
    // Key -1: no cap, both baskets in size class 5 (17-32 items); key 4: cap 16, its own class 4.
    Map<Integer, Map<Integer, Map<String, Long>>> counts =
        Map.of(-1, Map.of(5, all), 4, Map.of(4, firstSixteen));
    Basis basis = new Basis(new TreeMap<>(Map.of(32, 2L)), counts, items, 1000);

    BasketGuard.Cap cap = BasketGuard.chooseCap(basis, 4, 2, 1e7);
    assertEquals(16, cap.size());
    assertTrue(cap.withinBudget());
    assertTrue(cap.uncapped().work() > 1e7, "the projection stops above the budget");
    assertEquals(new Projection(2_097_152, 65_535), cap.chosen());

    BasketGuard.Cap tooSmall = BasketGuard.chooseCap(basis, 4, 2, 1e6);
    assertEquals(16, tooSmall.size(), "the smallest cap tried");
    assertFalse(tooSmall.withinBudget());
  }

  @Test
  void theSmallestCapIsSixteenOrHoldsTheLongestItemsetMined() {
    // 2^jmin: at least 16, and at least max-itemset-length.
    assertEquals(4, BasketGuard.smallestCapExponent(2));
    assertEquals(4, BasketGuard.smallestCapExponent(16));
    assertEquals(5, BasketGuard.smallestCapExponent(17));
    assertEquals(6, BasketGuard.smallestCapExponent(40));
  }
}
