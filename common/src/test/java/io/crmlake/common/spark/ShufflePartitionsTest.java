package io.crmlake.common.spark;

import static org.junit.jupiter.api.Assertions.assertEquals;

import org.junit.jupiter.api.Test;

/**
 * Shuffle partitions sized to the input, worked by hand with 8 MiB (8,388,608 bytes) per partition
 * on 2 cores, at most 4,096:
 *
 * <ul>
 *   <li>no input, or the demo's silver (5,114,142 bytes, under one partition's worth): 2, the
 *       cores;
 *   <li>16 MiB exactly: 2 partitions' worth, a power of two: 2; one byte more: 3, rounded up to 4;
 *   <li>300 MB (314,572,800 bytes): 37.5, so 38 partitions' worth, rounded up to 64;
 *   <li>1 TiB: 131,072, capped at 4,096;
 *   <li>on 200 cores, 40 MB: 5, rounded to 8, raised to the 200 cores.
 * </ul>
 */
class ShufflePartitionsTest {
  static final long MIB8 = 8L << 20;

  @Test
  void handWorked() {
    assertEquals(2, ShufflePartitions.of(0, MIB8, 2, 4096));
    assertEquals(2, ShufflePartitions.of(5_114_142, MIB8, 2, 4096));
    assertEquals(2, ShufflePartitions.of(16L << 20, MIB8, 2, 4096));
    assertEquals(4, ShufflePartitions.of((16L << 20) + 1, MIB8, 2, 4096));
    assertEquals(64, ShufflePartitions.of(314_572_800L, MIB8, 2, 4096));
    assertEquals(4096, ShufflePartitions.of(1L << 40, MIB8, 2, 4096));
    assertEquals(200, ShufflePartitions.of(40_000_000L, MIB8, 200, 4096));
  }

  @Test
  void nearlyTheSameInputTakesTheSameCount() {
    // A re-run whose files differ by a few bytes plans the same shuffles.
    assertEquals(
        ShufflePartitions.of(314_572_800L, MIB8, 2, 4096),
        ShufflePartitions.of(314_572_800L + 50_000, MIB8, 2, 4096));
  }
}
