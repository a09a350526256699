package io.crmlake.segments;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.crmlake.common.config.ConfigError;
import io.crmlake.common.config.CrmlakeConfig;
import io.crmlake.segments.SegmentsSettings.Tier;
import io.crmlake.testing.Cli;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Reading segments.* without Spark: every bad value is a ConfigError naming its full key. */
class SegmentsSettingsTest {
  @TempDir Path dir;

  private static SegmentsSettings settings(String... sets) {
    Path home = Path.of(System.getProperty("crmlake.project.dir", "..")).toAbsolutePath();
    return SegmentsSettings.from(CrmlakeConfig.load(null, home, List.of(sets)));
  }

  private static String error(String... sets) {
    return assertThrows(ConfigError.class, () -> settings(sets)).getMessage();
  }

  @Test
  void theDefaultsRead() {
    SegmentsSettings s = settings();
    assertEquals(
        List.of(
            new Tier("Platinum", 0.05),
            new Tier("Gold", 0.15),
            new Tier("Iron", 0.60),
            new Tier("Lead", 0.20)),
        s.tiers());
    assertEquals(
        List.of("rfm_segment", "value_class"),
        s.schemes().stream().map(SegmentScheme::column).toList());
    SegmentScheme value = s.schemes().get(1);
    assertEquals(SegmentScheme.Split.MEAN, value.split());
    assertEquals("Important Value", value.classify(2, 2, 2));
    assertEquals("Lost", s.schemes().get(0).classify(1, 1, 2));
  }

  @Test
  void aNonNumericShareNamesItsKeyAndValue() {
    assertEquals(
        "segments.pyramid.tiers[0].share must be a number, cannot be: x",
        error("segments.pyramid.tiers=[{name=A, share=x}, {name=B, share=0.5}]"));
  }

  @Test
  void aTierWithoutNameNamesTheKeyAndShowsTheTier() {
    String m = error("segments.pyramid.tiers=[{name=A, share=0.5}, {share=0.5}]");
    assertTrue(m.startsWith("missing setting segments.pyramid.tiers[1].name"), m);
    assertTrue(m.contains("{\"share\":0.5}"), m);
    assertEquals(
        "segments.pyramid.tiers[0].name must name the tier, cannot be: \" \"",
        error("segments.pyramid.tiers=[{name=\" \", share=0.5}, {name=B, share=0.5}]"));
  }

  @Test
  void aTierThatIsNoObjectIsNamed() {
    assertEquals(
        "segments.pyramid.tiers[1] must be an object {...}, cannot be: B",
        error("segments.pyramid.tiers=[{name=A, share=0.5}, B]"));
    assertEquals(
        "segments.pyramid.tiers must be a list of objects [{...}], cannot be: gold",
        error("segments.pyramid.tiers=gold"));
    assertEquals(
        "segments.pyramid.tiers[1].share must be between 0 and 1 (exclusive), cannot be: 1.5",
        error("segments.pyramid.tiers=[{name=A, share=0.5}, {name=B, share=1.5}]"));
  }

  @Test
  void badSchemeValuesNameTheirKeyAndValue() {
    assertEquals(
        "segments.schemes.value_class.type must be one of [split, scores], cannot be: bogus",
        error("segments.schemes.value_class.type=bogus"));
    assertEquals(
        "segments.schemes.value_class.split must be one of [mean, median], cannot be: mode",
        error("segments.schemes.value_class.split=mode"));
    assertEquals(
        "segments.schemes.value_class.classes[1].r must be high or low, cannot be: hi",
        error("segments.schemes.value_class.classes=[{name=A, r=high}, {name=B, r=hi}]"));
    assertEquals(
        "segments.schemes.rfm_segment.rules[0].r must be a score 1-5 or a range like 4-5,"
            + " cannot be: 6-7",
        error("segments.schemes.rfm_segment.rules=[{name=X, r=\"6-7\"}]"));
    assertEquals(
        "segments.schemes.rfm_segment.rules[0].name must be a string, cannot be: {\"a\":1}",
        error("segments.schemes.rfm_segment.rules=[{name={a=1}}]"));
    assertEquals(
        "segments.schemes.rfm_segment.rules[1] must be an object {...}, cannot be: Lost",
        error("segments.schemes.rfm_segment.rules=[{name=X}, Lost]"));
    assertEquals(
        "segments.schemes.extra must be an object {...}, cannot be: column",
        error("segments.schemes.extra=column"));
    String noType = error("segments.schemes.extra={rules=[{name=X}]}");
    assertTrue(noType.startsWith("missing setting segments.schemes.extra.type"), noType);
  }

  /** Keys inside a list's objects and inside a scheme are checked too: a typo is named. */
  @Test
  void misspeltKeysInsideTiersSchemesAndClassesAreNamed() {
    String tier = error("segments.pyramid.tiers=[{name=A, share=0.5}, {name=B, shar=0.5}]");
    assertTrue(
        tier.startsWith("unknown setting segments.pyramid.tiers[1].shar: did you mean")
            && tier.contains("segments.pyramid.tiers[1].share?"),
        tier);
    String scheme = error("segments.schemes.value_class.defualt=Other");
    assertTrue(
        scheme.startsWith("unknown setting segments.schemes.value_class.defualt")
            && scheme.contains("did you mean segments.schemes.value_class.default?"),
        scheme);
    String rule = error("segments.schemes.rfm_segment.rules=[{name=X, r=\"1-5\", fmm=\"1-5\"}]");
    assertTrue(
        rule.startsWith("unknown setting segments.schemes.rfm_segment.rules[0].fmm")
            && rule.contains("did you mean segments.schemes.rfm_segment.rules[0].fm?"),
        rule);
  }

  @Test
  void theCommandLineExitsWith2AndNamesTheKey() {
    Cli.Result r =
        Cli.run(
            "segments",
            "--lake",
            dir.toString(),
            "--set",
            "segments.pyramid.tiers=[{name=A,share=x},{name=B,share=0.5}]");
    assertEquals(2, r.code(), r.err());
    assertTrue(
        r.err().contains("segments.pyramid.tiers[0].share must be a number, cannot be: x"),
        r.err());
  }
}
