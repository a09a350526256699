package io.crmlake.common.config;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ConfigLoaderTest {
  @TempDir Path home;

  private Path write(String name, String text) throws Exception {
    Path p = home.resolve(name);
    Files.writeString(p, text);
    return p;
  }

  @Test
  void fileOverridesDefaultsAndSetOverridesFile() throws Exception {
    write("a.conf", "lake.root = from-file\nspark.master = \"local[1]\"");
    CrmlakeConfig c = CrmlakeConfig.load("a.conf", home, List.of("spark.master=local[3]"));
    assertEquals(home.resolve("from-file").toUri().toString(), c.lake().root());
    assertEquals("local[3]", c.spark().master().orElseThrow());
    assertEquals(CrmlakeConfig.CatalogType.LAKE, c.lake().catalog());
  }

  @Test
  void configFilesCanBeUrlsOrHadoopPaths() throws Exception {
    Path f = write("remote.conf", "lake.root = \"hdfs://nn:8020/crm\"");
    assertEquals(
        "hdfs://nn:8020/crm",
        CrmlakeConfig.load(f.toUri().toString(), home, List.of()).lake().root());
    // A Hadoop path the driver can read (here the local file system through Hadoop).
    assertEquals(
        "hdfs://nn:8020/crm",
        ConfigLoader.parseLocation("file://" + f.toAbsolutePath(), home).getString("lake.root"));
  }

  @Test
  void substitutionsFollowOverriddenRoot() {
    CrmlakeConfig c = CrmlakeConfig.load(null, home, List.of("lake.root=s3a://bucket/lake"));
    assertEquals("s3a://bucket/lake", c.lake().root());
    assertEquals("s3a://bucket/lake/landing", c.settings().path("lake.landing"));
  }

  @Test
  void badValueNamesKeyAndValue() {
    ConfigError e =
        assertThrows(
            ConfigError.class,
            () -> CrmlakeConfig.load(null, home, List.of("lake.catalog=oracle")));
    assertTrue(e.getMessage().contains("lake.catalog"), e.getMessage());
    assertTrue(e.getMessage().contains("oracle"), e.getMessage());
  }

  @Test
  void rangeChecksNameKeyAndValue() {
    Settings s =
        CrmlakeConfig.of(ConfigLoader.load(null, home, List.of("x.n=0", "x.f=1.5"), false), home)
            .settings();
    ConfigError n = assertThrows(ConfigError.class, () -> s.intAtLeast("x.n", 1));
    assertEquals("x.n must be at least 1, cannot be: 0", n.getMessage());
    ConfigError f = assertThrows(ConfigError.class, () -> s.doubleIn("x.f", 0, 1));
    assertTrue(f.getMessage().startsWith("x.f must be between 0.0 and 1.0, cannot be: 1.5"));
  }

  @Test
  void sizesAreBytesAndCheckedWithKeyAndValue() {
    CrmlakeConfig c =
        CrmlakeConfig.load(null, home, List.of("spark.bytes-per-shuffle-partition=16m"));
    assertEquals(16L << 20, c.spark().bytesPerShufflePartition());
    ConfigError small =
        assertThrows(
            ConfigError.class,
            () ->
                CrmlakeConfig.load(null, home, List.of("spark.bytes-per-shuffle-partition=100k")));
    assertTrue(
        small.getMessage().startsWith("spark.bytes-per-shuffle-partition must be at least"),
        small.getMessage());
    assertTrue(small.getMessage().contains("100k"), small.getMessage());
    ConfigError word =
        assertThrows(
            ConfigError.class,
            () ->
                CrmlakeConfig.load(null, home, List.of("spark.bytes-per-shuffle-partition=lots")));
    assertTrue(word.getMessage().contains("spark.bytes-per-shuffle-partition"), word.getMessage());
    assertTrue(word.getMessage().contains("lots"), word.getMessage());
  }

  @Test
  void missingFileAndSyntaxErrorsNameTheFile() throws Exception {
    ConfigError missing =
        assertThrows(ConfigError.class, () -> CrmlakeConfig.load("nope.conf", home, List.of()));
    assertTrue(missing.getMessage().contains("nope.conf"), missing.getMessage());
    write("broken.conf", "lake { root = ");
    ConfigError broken =
        assertThrows(ConfigError.class, () -> CrmlakeConfig.load("broken.conf", home, List.of()));
    assertTrue(broken.getMessage().contains("broken.conf"), broken.getMessage());
  }

  @Test
  void malformedSetIsRejected() {
    ConfigError e =
        assertThrows(ConfigError.class, () -> CrmlakeConfig.load(null, home, List.of("novalue")));
    assertTrue(e.getMessage().contains("novalue"));
  }

  @Test
  void secretsAreMaskedAndHashIgnoresThem() {
    String secret = "spark.conf.\"spark.hadoop.fs.s3a.secret.key\"";
    CrmlakeConfig a =
        CrmlakeConfig.load(null, home, List.of(secret + "=hunter2", "publish.serving.user=crm"));
    CrmlakeConfig b =
        CrmlakeConfig.load(null, home, List.of(secret + "=other", "publish.serving.user=crm"));
    assertFalse(a.describe().contains("hunter2"));
    assertTrue(a.describe().contains("crm"));
    assertFalse(a.changes().toString().contains("hunter2"), a.changes().toString());
    assertEquals("******", a.changes().get(secret));
    assertEquals(a.hash(), b.hash());
    CrmlakeConfig c =
        CrmlakeConfig.load(null, home, List.of(secret + "=x", "publish.serving.user=other"));
    assertNotEquals(a.hash(), c.hash());
  }

  @Test
  void pathsResolveAgainstHomeAndKeepUris() {
    assertEquals("hdfs://nn:8020/lake", LakePaths.resolve("hdfs://nn:8020/lake/", home));
    assertEquals(home.resolve("x/y").toUri().toString(), LakePaths.resolve("x/y", home));
  }

  @Test
  void missingConnectorIsNamed() {
    ConfigError e =
        assertThrows(
            ConfigError.class,
            () ->
                LakePaths.fileSystem(
                    new org.apache.hadoop.fs.Path("s3a://bucket/lake"),
                    new org.apache.hadoop.conf.Configuration(),
                    "lake.root"));
    assertTrue(e.getMessage().contains("hadoop-aws"), e.getMessage());
    assertTrue(e.getMessage().contains("lake.root"), e.getMessage());
  }

  /**
   * A misspelt key is an error, not a silently ignored setting: the message names the key, where it
   * came from and the closest declared key.
   */
  @Test
  void anUnknownKeyInASetIsAnErrorNamingTheClosestKey() {
    ConfigError e =
        assertThrows(
            ConfigError.class,
            () -> CrmlakeConfig.load(null, home, List.of("baskets.min-suport=0.1")));
    assertEquals(
        "unknown setting baskets.min-suport (--set baskets.min-suport): did you mean"
            + " baskets.min-support? every setting is declared, with its meaning, in"
            + " crmlake-defaults.conf",
        e.getMessage());
    // The value is never shown: it may be a secret.
    for (String set :
        List.of("publish.serving.pasword=hunter2", "publish.serving={pasword = hunter2}")) {
      e = assertThrows(ConfigError.class, () -> CrmlakeConfig.load(null, home, List.of(set)));
      assertTrue(
          e.getMessage().contains("unknown setting publish.serving.pasword")
              && !e.getMessage().contains("hunter2"),
          e.getMessage());
    }
    // A whole object given to --set is checked key by key.
    e =
        assertThrows(
            ConfigError.class,
            () ->
                CrmlakeConfig.load(null, home, List.of("clv={horizon = 26, discount-rat = 0.05}")));
    assertTrue(
        e.getMessage().startsWith("unknown setting clv.discount-rat (--set clv)")
            && e.getMessage().contains("did you mean clv.discount-rate?"),
        e.getMessage());
  }

  @Test
  void anUnknownKeyInAFileNamesTheFileAndLine() throws Exception {
    write("typo.conf", "lake.root = x\nsegments {\n  kmeans {\n    k-maks = 4\n  }\n}\n");
    ConfigError e =
        assertThrows(ConfigError.class, () -> CrmlakeConfig.load("typo.conf", home, List.of()));
    assertTrue(
        e.getMessage()
            .startsWith(
                "unknown setting segments.kmeans.k-maks (config file typo.conf, line 4): did you"
                    + " mean segments.kmeans.k-max?"),
        e.getMessage());
    // A section that does not exist at all.
    write("section.conf", "basket { min-support = 0.1 }\n");
    e = assertThrows(ConfigError.class, () -> CrmlakeConfig.load("section.conf", home, List.of()));
    assertTrue(
        e.getMessage().startsWith("unknown setting basket (config file section.conf, line 1)")
            && e.getMessage().contains("did you mean baskets?"),
        e.getMessage());
  }

  /** Free-form maps take any key; every key of the shipped config files is declared. */
  @Test
  void freeFormMapsTakeAnyKeyAndTheShippedConfigsAreValid() throws Exception {
    CrmlakeConfig c =
        CrmlakeConfig.load(
            null,
            home,
            List.of(
                "spark.conf.\"spark.sql.ansi.enabled\"=false",
                "segments.schemes.my_scheme={type = split}"));
    assertEquals("false", c.spark().conf().get("spark.sql.ansi.enabled"));
    Path project = Path.of(System.getProperty("crmlake.project.dir", "..")).toAbsolutePath();
    for (String f : List.of("conf/local.conf", "conf/cluster.conf")) {
      CrmlakeConfig.load(project.resolve(f).toString(), project, List.of());
    }
  }

  /** The variable Typesafe Config reads a key from: '.' as '_', '-' as '__', '_' as '___'. */
  @Test
  void environmentVariablesAreNamedAsTypesafeConfigReadsThem() {
    assertEquals(
        "CONFIG_FORCE_baskets_min__suport", ConfigLoader.environmentVariable("baskets.min-suport"));
    assertEquals(
        "CONFIG_FORCE_segments_schemes_value___class",
        ConfigLoader.environmentVariable("segments.schemes.value_class"));
  }

  /**
   * The start-of-run log lists what differs from the defaults: a changed root, not the landing
   * folder that follows it; a Spark setting added; a value equal to its default is not listed.
   */
  @Test
  void changesListOnlyWhatDiffersFromTheDefaults() {
    CrmlakeConfig c =
        CrmlakeConfig.load(
            null,
            home,
            List.of(
                "lake.root=s3a://bucket/lake",
                "baskets.min-support=0.01",
                "churn.seed=7",
                "spark.conf.\"spark.ui.enabled\"=false"));
    assertEquals(
        java.util.Map.of(
            "churn.seed", "7",
            "lake.root", "s3a://bucket/lake",
            "spark.conf.\"spark.ui.enabled\"", "false"),
        c.changes());
  }
}
